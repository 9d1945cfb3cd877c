package org.diffmmj.serve;

import org.diffmmj.recommend.RecommendationService;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.eval.Evaluator;
import org.diffmmj.io.SavedModel;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.model.LightGcn;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;

/** The saved-model round trip and the HTTP service, through a real HTTP client on loopback. */
class RecommendationServerTest {

    @TempDir
    static Path dir;

    private static final Dataset DATA = TestData.synthetic(80, 50, 2);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SavedModel saved;
    private static RecommendationServer server;
    private static float[] trainedScores;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void trainSaveAndServe() throws Exception {
        LightGcn.Config config = LightGcn.DEFINITION.config("dim", 16, "layers", 2);
        try (Recommender model = LightGcn.DEFINITION.create(config, DATA, new Rng(1))) {
            new Trainer(TrainingConfig.builder().epochs(2).batchSize(128).build())
                    .fit(model, DATA, Map.of(), null);
            try (ScoreSource scorer = model.scorer()) {
                trainedScores = new float[3 * DATA.items()];
                scorer.score(new int[] {0, 1, 2}, trainedScores);
            }
            SavedModel.save(dir.resolve("model.ckpt"), model, config, DATA, null, 1, Map.of());
        }
        saved = SavedModel.load(dir);
        server = new RecommendationServer(new RecommendationService(saved)).start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() {
        server.close();
        saved.close();
    }

    @Test
    void aLoadedModelScoresExactlyAsTheTrainedOne() {
        float[] loaded = new float[3 * DATA.items()];
        saved.embeddingScorer().score(new int[] {0, 1, 2}, loaded);
        assertThat(loaded).containsExactly(trainedScores);
        Evaluator ev = Evaluator.defaults();
        assertThat(ev.evaluate(saved.embeddingScorer(), saved.train(), DATA.test()).values()).isNotEmpty();
        assertThat(saved.datasetFingerprint()).isEqualTo(DATA.fingerprint());
        assertThat(saved.train()).isEqualTo(DATA.train());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void recommendsUnseenItemsBestFirst() throws Exception {
        HttpResponse<String> r = get("/recommend?user=0&k=5");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).contains("application/json");
        assertThat(r.body()).startsWith("{\"user\":\"0\",\"items\":[{\"item\":"); // stable key order
        JsonNode items = JSON.readTree(r.body()).get("items");
        assertThat(items).hasSize(5);
        double previous = Double.POSITIVE_INFINITY;
        for (JsonNode item : items) {
            int id = Integer.parseInt(item.get("item").asText());
            assertThat(DATA.train().contains(0, id)).isFalse();
            assertThat(item.get("score").asDouble()).isLessThanOrEqualTo(previous)
                    .isEqualTo((double) trainedScores[id], org.assertj.core.data.Offset.offset(1e-6));
            previous = item.get("score").asDouble();
        }
        // And they are the best five: no unseen item left out scores higher than the last one.
        java.util.Set<Integer> returned = new java.util.HashSet<>();
        items.forEach(item -> returned.add(Integer.parseInt(item.get("item").asText())));
        for (int i = 0; i < DATA.items(); i++) {
            if (!returned.contains(i) && !DATA.train().contains(0, i)) {
                assertThat((double) trainedScores[i]).as("item %d", i).isLessThanOrEqualTo(previous + 1e-6);
            }
        }
    }

    @Test
    void badRequestsGetJsonErrorsWithoutStackTraces() throws Exception {
        HttpResponse<String> unknown = get("/recommend?user=99999");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).get("error").asText()).contains("unknown user");
        for (String k : new String[] {"abc", "0", "-3", "100000"}) {
            HttpResponse<String> bad = get("/recommend?user=0&k=" + k);
            assertThat(bad.statusCode()).as("k=%s", k).isEqualTo(400);
            assertThat(JSON.readTree(bad.body()).get("error").asText()).contains("k must be");
        }
        assertThat(get("/recommend").statusCode()).isEqualTo(400);
        HttpResponse<String> malformed = post("/recommend", "{not json");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).doesNotContain("Exception").doesNotContain("at org.");
        assertThat(post("/recommend", "{\"users\": \"0\"}").statusCode()).isEqualTo(400);
        assertThat(post("/recommend", "{\"users\": [0], \"k\": \"x\"}").statusCode()).isEqualTo(400);
        HttpResponse<String> nowhere = get("/no/such/path");
        assertThat(nowhere.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(nowhere.body()).has("error")).isTrue();
        assertThat(get("/items/nope/similar").statusCode()).isEqualTo(404);
    }

    @Test
    void batchSimilarHealthAndMetrics() throws Exception {
        HttpResponse<String> batch = post("/recommend", "{\"users\": [0, \"1\", 99999], \"k\": 3}");
        assertThat(batch.statusCode()).isEqualTo(200);
        JsonNode results = JSON.readTree(batch.body()).get("results");
        assertThat(results).hasSize(3);
        assertThat(results.get(0).get("items")).hasSize(3);
        assertThat(results.get(2).get("error").asText()).contains("unknown user");
        HttpResponse<String> similar = get("/items/3/similar?k=4");
        assertThat(similar.statusCode()).isEqualTo(200);
        JsonNode sim = JSON.readTree(similar.body()).get("similar");
        assertThat(sim).hasSize(4);
        for (JsonNode s : sim) {
            assertThat(s.get("item").asText()).isNotEqualTo("3");
            assertThat(s.get("similarity").asDouble()).isBetween(-1.0001, 1.0001);
        }
        assertThat(JSON.readTree(get("/health").body()).get("status").asText()).isEqualTo("ok");
        String metrics = get("/metrics").body();
        assertThat(metrics).containsPattern("diffmm_request_seconds_count\\{route=\"/recommend\",status=\"200\"\\} [1-9]")
                .contains("diffmm_request_seconds_bucket{route=\"/items/{id}/similar\",status=\"200\",le=\"+Inf\"}")
                .containsPattern("diffmm_errors_total [1-9]")
                .contains("jvm_memory_used_bytes").contains("jvm_gc_").contains("process_uptime_seconds");
        // A path no route serves is labelled "unmatched", not by what the client sent.
        get("/no/such/path/x1");
        assertThat(get("/metrics").body()).contains("route=\"unmatched\",status=\"404\"").doesNotContain("x1");
    }

    @Test
    void postTakesASingleUserAndRefusesUnknownFields() throws Exception {
        String user = saved.userIds().externalId(2);
        HttpResponse<String> one = post("/recommend", "{\"user\": \"" + user + "\", \"k\": 4}");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(one.body())).isEqualTo(JSON.readTree(get("/recommend?user=" + user + "&k=4").body()));
        assertThat(post("/recommend", "{\"user\": \"no-such-user\"}").statusCode()).isEqualTo(404);
        HttpResponse<String> extra = post("/recommend", "{\"users\": [\"" + user + "\"], \"kk\": 3}");
        assertThat(extra.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(extra.body()).get("error").asText()).contains("unknown field 'kk'");
        assertThat(post("/recommend", "{\"user\": \"" + user + "\", \"users\": []}").statusCode()).isEqualTo(400);
        assertThat(post("/recommend", "{\"user\": \"" + user + "\", \"include_seen\": \"yes\"}").statusCode())
                .isEqualTo(400);
    }

    @Test
    void precomputedAnswersEqualLiveScoring() {
        RecommendationService live = new RecommendationService(saved, 0);
        RecommendationService cached = new RecommendationService(saved, 4);
        assertThat(cached.precomputed()).isEqualTo(4);
        for (int u = 0; u < DATA.users(); u++) {
            String user = saved.userIds().externalId(u);
            for (int k : new int[] {1, 4, 7}) {
                assertThat(cached.recommend(user, k, false)).as("user %s k %d", user, k)
                        .isEqualTo(live.recommend(user, k, false)).hasSize(k);
            }
            assertThat(cached.recommend(user, 3, true)).isEqualTo(live.recommend(user, 3, true));
        }
    }
}
