package org.diffmmj.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.SyntheticGenerator;
import org.diffmmj.io.SavedModel;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.recommend.RecommendationService;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;

/** spark recommend against the single-process recommend, at scale, and on bad inputs (local[2]). */
class BatchRecommendTest {

    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path small;

    @BeforeAll
    static void start() throws Exception {
        long t0 = System.nanoTime();
        spark = SparkTestSession.start("BatchRecommendTest");
        // A small LightGCN trained for a few epochs on synthetic data with string ids.
        Dataset data = new SyntheticGenerator(300, 120, Map.of(), 5).generate("tiny");
        small = dir.resolve("lgcn");
        Files.createDirectories(small);
        ModelDefinition<?> def = ModelRegistry.get("lightgcn");
        Record config = def.config(null, Map.of("dim", 16, "layers", 2));
        try (Recommender model = def.create(config, data, new Rng(3))) {
            new Trainer(TrainingConfig.builder().epochs(3).batchSize(256).seed(3).build()).fit(model, data, Map.of(),
                    (epoch, h, m) -> { });
            SavedModel.save(small.resolve(SavedModel.FILE_NAME), model, config, data, null, 3, Map.of());
        }
        System.out.printf("BatchRecommendTest setup: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Map<String, List<Row>> byUser(List<Row> rows) {
        Map<String, List<Row>> m = new HashMap<>();
        for (Row r : rows) {
            m.computeIfAbsent(r.getString(0), u -> new ArrayList<>()).add(r);
        }
        m.values().forEach(l -> l.sort((a, b) -> Integer.compare(a.getInt(2), b.getInt(2))));
        return m;
    }

    @Test
    void everyUserEqualsTheSingleProcessRecommend() throws Exception {
        long t0 = System.nanoTime();
        String out = dir.resolve("all.parquet").toString();
        BatchRecommend.Summary s = BatchRecommend.run(spark, new BatchRecommend.Options(small, "all", 10, out, "parquet", false, 3));
        Map<String, List<Row>> got = byUser(spark.read().parquet(out).collectAsList());
        try (SavedModel saved = SavedModel.load(small)) {
            RecommendationService service = new RecommendationService(saved, 0);
            assertThat(got).hasSize(service.users());
            assertThat(s.users()).isEqualTo(service.users());
            for (int u = 0; u < service.users(); u++) {
                String user = saved.userIds().externalId(u);
                List<RecommendationService.ScoredItem> want = service.recommend(user, 10, false);
                List<Row> rows = got.get(user);
                assertThat(rows).as("user %s", user).hasSize(want.size());
                for (int r = 0; r < want.size(); r++) {
                    assertThat(rows.get(r).getInt(2)).isEqualTo(r + 1);
                    assertThat(rows.get(r).getString(1)).as("user %s rank %d", user, r + 1).isEqualTo(want.get(r).item());
                    assertThat(rows.get(r).getFloat(3)).isEqualTo((float) want.get(r).score());
                }
            }
        }
        System.out.printf("everyUserEqualsTheSingleProcessRecommend: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void listedUsersAsCsvAndUnknownUsersCounted() throws Exception {
        Path users = dir.resolve("users.txt");
        try (SavedModel saved = SavedModel.load(small)) {
            Files.writeString(users, "user\n" + saved.userIds().externalId(7) + "\n\n" + saved.userIds().externalId(2)
                    + "\nnobody\n" + saved.userIds().externalId(7) + "\n");
        }
        String out = dir.resolve("some.csv").toString();
        BatchRecommend.Summary s = BatchRecommend.run(spark, new BatchRecommend.Options(small, users.toString(), 5, out, "csv", false, 0));
        assertThat(s.users()).isEqualTo(2);
        assertThat(s.unknownUsers()).isEqualTo(1);
        assertThat(s.unknownExamples()).containsExactly("nobody");
        List<Row> rows = spark.read().option("header", "true").csv(out).collectAsList();
        assertThat(rows).hasSize(10);
        assertThat(spark.read().option("header", "true").csv(out).columns()).containsExactly("user_id", "item_id", "rank", "score");
        // An existing output is refused without --force, replaced with it.
        assertThatThrownBy(() -> BatchRecommend.run(spark, new BatchRecommend.Options(small, users.toString(), 5, out, "csv", false, 0)))
                .hasMessageContaining("exists (use --force");
        BatchRecommend.run(spark, new BatchRecommend.Options(small, users.toString(), 3, out, "csv", true, 0));
        assertThat(spark.read().option("header", "true").csv(out).count()).isEqualTo(6);
    }

    @Test
    void aHundredThousandUsersEndToEnd() throws Exception {
        long t0 = System.nanoTime();
        // Embeddings straight from the core API: an untrained MF (its initialised weights) over 100,000
        // users with 3..10 training items each among 400 (and one validation and one test item).
        int users = 100_000;
        int items = 400;
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(11);
        List<List<Integer>> parts = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                new ArrayList<>(), new ArrayList<>());
        for (int u = 0; u < users; u++) {
            int n = 5 + rnd.nextInt(8);
            java.util.BitSet taken = new java.util.BitSet();
            while (taken.cardinality() < n) {
                taken.set(rnd.nextInt(items));
            }
            int at = 0;
            for (int i = taken.nextSetBit(0); i >= 0; i = taken.nextSetBit(i + 1), at++) {
                int part = at < n - 2 ? 0 : at == n - 2 ? 1 : 2;
                parts.get(2 * part).add(u);
                parts.get(2 * part + 1).add(i);
            }
        }
        org.diffmmj.data.Interactions[] split = new org.diffmmj.data.Interactions[3];
        for (int p = 0; p < 3; p++) {
            split[p] = org.diffmmj.data.Interactions.fromPairs(users, items,
                    parts.get(2 * p).stream().mapToInt(Integer::intValue).toArray(),
                    parts.get(2 * p + 1).stream().mapToInt(Integer::intValue).toArray());
        }
        org.diffmmj.data.Interactions train = split[0];
        List<String> userNames = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            userNames.add("u" + u);
        }
        Dataset data = new Dataset("big", train, split[1], split[2], Map.of(), org.diffmmj.data.IdMapping.of(userNames),
                org.diffmmj.data.IdMapping.identity(items));
        Path big = dir.resolve("big");
        Files.createDirectories(big);
        ModelDefinition<?> def = ModelRegistry.get("mf-bpr");
        Record config = def.config(null, Map.of("dim", 32));
        try (Recommender model = def.create(config, data, new Rng(1))) {
            SavedModel.save(big.resolve(SavedModel.FILE_NAME), model, config, data, null, 0, Map.of());
        }
        double setup = (System.nanoTime() - t0) / 1e9;
        int k = 20;
        String out = dir.resolve("big.parquet").toString();
        BatchRecommend.Summary s = BatchRecommend.run(spark, new BatchRecommend.Options(big, "all", k, out, "parquet", false, 0));
        assertThat(s.users()).isEqualTo(100_000);
        var table = spark.read().parquet(out);
        assertThat(table.count()).isEqualTo(100_000L * k);
        assertThat(table.select("user_id").distinct().count()).isEqualTo(100_000);
        Row ranks = table.groupBy().agg(org.apache.spark.sql.functions.min("rank"), org.apache.spark.sql.functions.max("rank"))
                .first();
        assertThat(ranks.getInt(0)).isEqualTo(1);
        assertThat(ranks.getInt(1)).isEqualTo(k);
        // No training item comes back: join the output with the training pairs.
        List<Row> pairs = new ArrayList<>();
        for (int u = 0; u < data.users(); u++) {
            for (int p = data.train().userPtr()[u]; p < data.train().userPtr()[u + 1]; p++) {
                pairs.add(org.apache.spark.sql.RowFactory.create(data.userIds().externalId(u),
                        data.itemIds().externalId(data.train().userItems()[p])));
            }
        }
        var schema = new org.apache.spark.sql.types.StructType().add("user_id", "string").add("item_id", "string");
        long seen = table.join(org.apache.spark.sql.functions.broadcast(spark.createDataFrame(pairs, schema)),
                scala.jdk.javaapi.CollectionConverters.asScala(List.of("user_id", "item_id")).toSeq()).count();
        assertThat(seen).isZero();
        // Every 500th user's list equals the single-process recommend's.
        Map<String, List<Row>> sample = byUser(table.where("cast(substring(user_id, 2) as int) % 500 = 0").collectAsList());
        assertThat(sample).hasSize(users / 500);
        try (SavedModel saved = SavedModel.load(big)) {
            RecommendationService service = new RecommendationService(saved, 0);
            sample.forEach((user, rows) -> {
                List<RecommendationService.ScoredItem> want = service.recommend(user, k, false);
                assertThat(rows.stream().map(r -> r.getString(1)).toList()).as(user)
                        .isEqualTo(want.stream().map(RecommendationService.ScoredItem::item).toList());
            });
        }
        System.out.printf("aHundredThousandUsersEndToEnd: model %.1f s, scoring %.1f s (%.0f users/s), total %.1f s%n", setup,
                s.seconds(), s.users() / s.seconds(), (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void aModelThatDoesNotScoreByEmbeddingsIsRefusedByName() throws Exception {
        Dataset data = new SyntheticGenerator(40, 30, Map.of(), 2).generate("d");
        Path run = dir.resolve("diffrec");
        Files.createDirectories(run);
        ModelDefinition<?> def = ModelRegistry.get("diffrec");
        Record config = def.config(null, Map.of());
        try (Recommender model = def.create(config, data, new Rng(1))) {
            SavedModel.save(run.resolve(SavedModel.FILE_NAME), model, config, data, null, 0, Map.of());
        }
        assertThatThrownBy(() -> BatchRecommend.run(spark,
                new BatchRecommend.Options(run, "all", 5, dir.resolve("x").toString(), "parquet", false, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model 'diffrec'").hasMessageContaining("does not score by user·item embeddings");
        assertThat(Files.exists(dir.resolve("x"))).isFalse();
    }

    @Test
    void badArgumentsGiveClearErrors() {
        assertThatThrownBy(() -> BatchRecommend.run(spark, new BatchRecommend.Options(small, "all", 0, dir.resolve("k0").toString(),
                "parquet", false, 0))).hasMessageContaining("--k must be >= 1, got 0");
        assertThatThrownBy(() -> BatchRecommend.run(spark, new BatchRecommend.Options(small, "all", 5, dir.resolve("f").toString(),
                "json", false, 0))).hasMessageContaining("unknown --format 'json'");
        assertThatThrownBy(() -> BatchRecommend.run(spark, new BatchRecommend.Options(small, dir.resolve("none.txt").toString(), 5,
                dir.resolve("u").toString(), "parquet", false, 0))).hasMessageContaining("none.txt: no such file");
        assertThatThrownBy(() -> BatchRecommend.run(spark, new BatchRecommend.Options(dir.resolve("nomodel"), "all", 5,
                dir.resolve("m").toString(), "parquet", false, 0))).hasMessageContaining("nomodel");
    }
}
