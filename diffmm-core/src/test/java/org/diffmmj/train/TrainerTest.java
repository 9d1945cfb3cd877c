package org.diffmmj.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.Interactions;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.BatchSources;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.data.TestData;
import org.diffmmj.model.LightGcn;
import org.diffmmj.model.MfBpr;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;

class TrainerTest {

    @TempDir
    Path dir;

    private static final Dataset DATA = TestData.synthetic(300, 200, 5);

    @Test
    void negativeSamplingCoversEveryPairOnceWithTrueNegatives() {
        Interactions train = DATA.train();
        List<? extends Batch> batches = BatchSources.triples(train).epoch(100, new Rng(1));
        Set<Long> seen = new HashSet<>();
        int total = 0;
        for (Batch batch : batches) {
            TripleBatch b = batch.as(TripleBatch.class);
            assertThat(b.size()).isLessThanOrEqualTo(100);
            for (int k = 0; k < b.size(); k++) {
                assertThat(train.contains(b.users()[k], b.positives()[k])).isTrue();
                assertThat(train.contains(b.users()[k], b.negatives()[k])).isFalse();
                assertThat(seen.add((long) b.users()[k] * train.items() + b.positives()[k])).isTrue();
                total++;
            }
        }
        assertThat(total).isEqualTo(train.size());
        assertThat(batches.get(batches.size() - 1).size()).isEqualTo(train.size() % 100 == 0 ? 100 : train.size() % 100);
    }

    private static TrainingHistory run(String model, int epochs, long seed) {
        TrainingConfig config = TrainingConfig.builder().epochs(epochs).batchSize(256).learningRate(5e-3)
                .seed(seed).build();
        try (Recommender r = model.equals("mf") ? new MfBpr(DATA.users(), DATA.items(), MfBpr.DEFINITION.config("dim", 32), new Rng(seed))
                : new LightGcn(DATA.train(), LightGcn.DEFINITION.config("dim", 32), new Rng(seed))) {
            return new Trainer(config).fit(r, DATA, Map.of(), null);
        }
    }

    @Test
    void theSameSeedGivesIdenticalNumbers() {
        for (String model : new String[] {"mf", "lightgcn"}) {
            List<EpochRecord> a = run(model, 2, 7).epochs();
            List<EpochRecord> b = run(model, 2, 7).epochs();
            for (int e = 0; e < a.size(); e++) {
                assertThat(b.get(e).losses()).isEqualTo(a.get(e).losses());
                assertThat(b.get(e).val()).isEqualTo(a.get(e).val());
                assertThat(b.get(e).test()).isEqualTo(a.get(e).test());
            }
            assertThat(run(model, 1, 8).epochs().get(0).losses()).isNotEqualTo(a.get(0).losses());
        }
    }

    @Test
    void lightGcnBeatsMatrixFactorisationOnPlantedData() {
        double mf = run("mf", 15, 3).bestValidationEpoch().test().get("recall@20");
        double lgcn = run("lightgcn", 15, 3).bestValidationEpoch().test().get("recall@20");
        System.out.printf("synthetic 300x200, 15 epochs: MF-BPR test recall@20 %.4f, LightGCN %.4f%n", mf, lgcn);
        assertThat(lgcn).isGreaterThan(mf);
    }

    @Test
    void historyJsonHasBothProtocols() throws Exception {
        TrainingHistory h = run("mf", 3, 1);
        h.writeJson(dir.resolve("metrics.json"));
        JsonNode json = new ObjectMapper().readTree(dir.resolve("metrics.json").toFile());
        assertThat(json.get("epochs")).hasSize(3);
        JsonNode epoch = json.get("epochs").get(0);
        assertThat(epoch.get("val").has("recall@20")).isTrue();
        assertThat(epoch.get("test").has("ndcg@20")).isTrue();
        assertThat(epoch.get("test").has("precision@20")).isTrue();
        assertThat(epoch.get("seconds").has("recommendation_training")).isTrue();
        assertThat(epoch.get("losses").has("bpr")).isTrue();
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/status"))) {
            JsonNode memory = epoch.get("memory_mb");
            assertThat(memory.get("rss").asDouble()).isPositive()
                    .isLessThanOrEqualTo(memory.get("peak_rss").asDouble());
        }
        int bestVal = json.get("best_val_epoch").asInt();
        assertThat(json.get("test_at_best_val").get("recall@20").asDouble())
                .isEqualTo(json.get("epochs").get(bestVal).get("test").get("recall@20").asDouble());
        int bestTest = json.get("best_test_epoch").asInt();
        for (JsonNode e : json.get("epochs")) {
            assertThat(e.get("test").get("recall@20").asDouble())
                    .isLessThanOrEqualTo(json.get("best_test").get("recall@20").asDouble());
        }
        assertThat(json.get("best_test").get("recall@20").asDouble())
                .isEqualTo(json.get("epochs").get(bestTest).get("test").get("recall@20").asDouble());
    }

    @Test
    void earlyStoppingStopsAfterPatience() {
        TrainingConfig config = TrainingConfig.builder().epochs(40).batchSize(256).learningRate(5e-2)
                .seed(1).patience(2).build();
        try (Recommender r = new MfBpr(DATA.users(), DATA.items(), MfBpr.DEFINITION.config("dim", 16), new Rng(1))) {
            TrainingHistory h = new Trainer(config).fit(r, DATA, Map.of(), null);
            int best = h.bestValidationEpoch().epoch();
            assertThat(h.epochs()).hasSizeLessThan(40);
            assertThat(h.epochs().size() - 1).isEqualTo(best + 2);
        }
    }
}
