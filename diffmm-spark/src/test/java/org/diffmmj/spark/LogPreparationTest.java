package org.diffmmj.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.InteractionLogSplitter;
import org.diffmmj.data.InteractionLogSplitter.Strategy;

/** spark prepare against the single-process data split, and a log with a hand-known k-core (local[2]). */
class LogPreparationTest {

    static SparkSession spark;
    @TempDir
    static Path dir;
    static Path log;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkTestSession.start("LogPreparationTest");
        // A log with string ids, ratings, timestamps with ties, repeated pairs (the later one earlier in
        // time once), users met in no particular order, and a tail that the 3-core removes.
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(9);
        StringBuilder sb = new StringBuilder("user_id,item_id,rating,timestamp\n");
        for (int r = 0; r < 3000; r++) {
            int u = rnd.nextInt(120);
            int i = (int) Math.min(79, Math.abs(rnd.nextGaussian()) * 25);
            sb.append("u").append(u).append(',').append("i-").append(i).append(',').append(1 + rnd.nextInt(5)).append(',')
                    .append(1000 + rnd.nextInt(400)).append('\n');
        }
        log = dir.resolve("log.csv");
        Files.writeString(log, sb.toString());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static Map<String, byte[]> files(Path d) throws Exception {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(d)) {
            for (Path f : s.toList()) {
                m.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        return m;
    }

    /** What ./diffmm data split writes for these settings (its code path: splitter, writers, id maps). */
    private static Path single(InteractionLogSplitter splitter, Path input, DataFormat format, String name) throws Exception {
        Dataset d = splitter.split(input).dataset();
        Path out = dir.resolve(name);
        Files.createDirectories(out);
        DatasetLoader.write(d, out, format);
        if (format != DataFormat.CSV) {
            DatasetLoader.writeIdMaps(d, out);
        }
        return out;
    }

    private static void sameFiles(Strategy strategy, DataFormat format, int kCore, Double minRating) throws Exception {
        long t0 = System.nanoTime();
        String tag = strategy + "-" + format + "-" + kCore;
        InteractionLogSplitter splitter = new InteractionLogSplitter().kCore(kCore).minRating(minRating).strategy(strategy)
                .ratios(0.7, 0.15, 0.15).seed(2024);
        Path expected = single(splitter, log, format, "single-" + tag);
        Path out = dir.resolve("spark-" + tag);
        InteractionLogSplitter.Stats stats = LogPreparation.run(spark, new LogPreparation.Options(log.toString(), null, null,
                kCore, minRating, strategy, new double[] {0.7, 0.15, 0.15}, 2024, out, format, false));
        assertThat(stats.asMap()).isEqualTo(splitter.split(log).stats().asMap());
        Map<String, byte[]> want = files(expected);
        Map<String, byte[]> got = files(out);
        assertThat(got.keySet()).isEqualTo(want.keySet());
        want.forEach((f, bytes) -> assertThat(got.get(f)).as(tag + " " + f).isEqualTo(bytes));
        System.out.printf("prepare %s: %.1f s%n", tag, (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void randomSplitEqualsDataSplitByteForByte() throws Exception {
        sameFiles(Strategy.RANDOM, DataFormat.CSV, 3, null);
    }

    @Test
    void temporalSplitEqualsDataSplitByteForByte() throws Exception {
        sameFiles(Strategy.TEMPORAL, DataFormat.MMREC, 3, 2.0);
    }

    @Test
    void leaveOneOutEqualsDataSplitByteForByte() throws Exception {
        sameFiles(Strategy.LEAVE_ONE_OUT, DataFormat.AUTHORS, 4, null);
    }

    @Test
    void kCoreOfAHandBuiltLog() throws Exception {
        // Users a..d each rate items x, y, w; a also rates z; e rates only z; a rates x again at the end.
        // 2-core: round 1 removes e (one interaction; z still has two), round 2 removes z (now one);
        // then a..d × {x, y, w}: 12 interactions, and leave-one-out gives x, y, w to train, validation, test.
        StringBuilder sb = new StringBuilder();
        for (String u : new String[] {"a", "b", "c", "d"}) {
            sb.append(u).append(",x\n").append(u).append(",y\n").append(u).append(",w\n");
        }
        sb.append("a,z\ne,z\na,x\n");
        Path f = dir.resolve("hand.csv");
        Files.writeString(f, sb.toString());
        Path out = dir.resolve("hand-out");
        InteractionLogSplitter.Stats s = LogPreparation.run(spark, new LogPreparation.Options(f.toString(), null, null, 2, null,
                Strategy.LEAVE_ONE_OUT, new double[] {0.8, 0.1, 0.1}, 1, out, DataFormat.CSV, false));
        assertThat(s.records()).isEqualTo(15);
        assertThat(s.duplicates()).isEqualTo(1);
        assertThat(s.interactionsBefore()).isEqualTo(14);
        assertThat(s.usersBefore()).isEqualTo(5);
        assertThat(s.itemsBefore()).isEqualTo(4);
        assertThat(s.kCoreRounds()).isEqualTo(2);
        assertThat(s.users()).isEqualTo(4);
        assertThat(s.items()).isEqualTo(3);
        assertThat(s.interactions()).isEqualTo(12);
        assertThat(new int[] {s.train(), s.validation(), s.test()}).containsExactly(4, 4, 4);
        Dataset d = DatasetLoader.load(out);
        assertThat(List.of(d.userIds().externalId(0), d.userIds().externalId(3))).containsExactly("a", "d");
        assertThat(List.of(d.itemIds().externalId(0), d.itemIds().externalId(1), d.itemIds().externalId(2)))
                .containsExactly("x", "y", "w");
        for (int u = 0; u < 4; u++) {
            assertThat(d.train().contains(u, 0)).isTrue();
            assertThat(d.validation().contains(u, 1)).isTrue();
            assertThat(d.test().contains(u, 2)).isTrue();
        }
    }

    @Test
    void parquetInputGivesTheSameFilesAsCsv() throws Exception {
        List<org.apache.spark.sql.Row> rows = new ArrayList<>();
        List<String> lines = Files.readAllLines(log);
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            rows.add(RowFactory.create(f[0], f[1], Integer.parseInt(f[2]), Long.parseLong(f[3])));
        }
        StructType schema = new StructType().add("user_id", DataTypes.StringType).add("item_id", DataTypes.StringType)
                .add("rating", DataTypes.IntegerType).add("timestamp", DataTypes.LongType);
        Path parquet = dir.resolve("log.parquet");
        spark.createDataFrame(rows, schema).coalesce(1).write().parquet(parquet.toString());
        Path out = dir.resolve("from-parquet");
        LogPreparation.run(spark, new LogPreparation.Options(parquet.toString(), null, null, 3, null, Strategy.TEMPORAL,
                new double[] {0.8, 0.1, 0.1}, 5, out, DataFormat.CSV, false));
        // Same data as log.csv, named log: the single-process split of the CSV.
        Path expected = single(new InteractionLogSplitter().kCore(3).strategy(Strategy.TEMPORAL).seed(5), log, DataFormat.CSV,
                "single-parquet");
        assertThat(files(out).keySet()).isEqualTo(files(expected).keySet());
        files(expected).forEach((f, bytes) -> {
            try {
                assertThat(Files.readAllBytes(out.resolve(f))).as(f).isEqualTo(bytes);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void badInputsNameTheFileAndWhatWasExpected() throws Exception {
        Path out = dir.resolve("never");
        Path onlyUser = dir.resolve("only-user.csv");
        Files.writeString(onlyUser, "user,what\n1,2\n");
        assertThatThrownBy(() -> LogPreparation.run(spark, new LogPreparation.Options(onlyUser.toString(), null, null, 0, null,
                Strategy.RANDOM, new double[] {0.8, 0.1, 0.1}, 1, out, DataFormat.CSV, false)))
                .hasMessageContaining("only-user.csv:1").hasMessageContaining("names a user but no item column");
        Path badTime = dir.resolve("bad-time.csv");
        Files.writeString(badTime, "u,a,5,1\nu,b,5,1\nv,b,4,soon\n");
        assertThatThrownBy(() -> LogPreparation.run(spark, new LogPreparation.Options(badTime.toString(), null, null, 0, null,
                Strategy.TEMPORAL, new double[] {0.8, 0.1, 0.1}, 1, out, DataFormat.CSV, false)))
                .hasMessageContaining("bad-time.csv").hasMessageContaining("record 3")
                .hasMessageContaining("timestamp 'soon' is not a finite decimal number");
        Path noTime = dir.resolve("no-time.csv");
        Files.writeString(noTime, "u,a\nu,b\n");
        assertThatThrownBy(() -> LogPreparation.run(spark, new LogPreparation.Options(noTime.toString(), null, null, 0, null,
                Strategy.TEMPORAL, new double[] {0.8, 0.1, 0.1}, 1, out, DataFormat.CSV, false)))
                .hasMessageContaining("the temporal split needs a timestamp column");
        Path noItem = dir.resolve("no-item.parquet");
        spark.createDataFrame(List.of(RowFactory.create("u", 1L)), new StructType().add("user_id", DataTypes.StringType)
                .add("ts", DataTypes.LongType)).write().parquet(noItem.toString());
        assertThatThrownBy(() -> LogPreparation.run(spark, new LogPreparation.Options(noItem.toString(), null, null, 0, null,
                Strategy.RANDOM, new double[] {0.8, 0.1, 0.1}, 1, out, DataFormat.CSV, false)))
                .hasMessageContaining("no-item.parquet").hasMessageContaining("no item column");
        assertThatThrownBy(() -> LogPreparation.run(spark, new LogPreparation.Options(dir.resolve("absent.csv").toString(), null,
                null, 0, null, Strategy.RANDOM, new double[] {0.8, 0.1, 0.1}, 1, out, DataFormat.CSV, false)))
                .hasMessageContaining("absent.csv: no such file");
        Files.createDirectories(dir.resolve("full"));
        Files.writeString(dir.resolve("full/x"), "x");
        assertThatThrownBy(() -> LogPreparation.run(spark, new LogPreparation.Options(log.toString(), null, null, 0, null,
                Strategy.RANDOM, new double[] {0.8, 0.1, 0.1}, 1, dir.resolve("full"), DataFormat.CSV, false)))
                .hasMessageContaining("exists and is not empty (use --force");
        assertThat(Files.exists(out)).isFalse();
    }
}
