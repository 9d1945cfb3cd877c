package org.diffmmj.spark;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.io.SavedModel;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.recommend.EmbeddingTopK;

/**
 * Top-k items for many users of a saved dot-product model, on Spark: the item embeddings (as
 * the core's {@link EmbeddingTopK}) and item ids are broadcast; users (id, embedding) are a
 * partitioned table joined with their training items (grouped from the model's training
 * interactions); each partition scores blocks of users against all items and keeps the k best
 * unseen ones with the same code, hence the same lists, as {@code ./diffmm recommend}. Output:
 * one row per (user, rank): {@code user_id, item_id, rank, score} in the data's own ids, as
 * Parquet or CSV, written to a temporary sibling and renamed into place.
 */
public final class BatchRecommend {

    /** What to score and where to write it. {@code users}: "all" or a path (see {@link #readUsers}). */
    public record Options(Path model, String users, int k, String out, String format, boolean force, int partitions) {
    }

    /** What was done: users scored, rows written, requested users the model does not know. */
    public record Summary(long users, long rows, long unknownUsers, List<String> unknownExamples, double seconds) {
    }

    /** The output's columns. */
    public static final StructType OUTPUT = new StructType()
            .add("user_id", DataTypes.StringType, false)
            .add("item_id", DataTypes.StringType, false)
            .add("rank", DataTypes.IntegerType, false)
            .add("score", DataTypes.FloatType, false);

    /** Users per block: the block's score rows stay below 2^24 floats (64 MB). */
    static int blockRows(int items) {
        return (int) Math.max(1, Math.min(256, (1L << 24) / Math.max(1, items)));
    }

    private BatchRecommend() {
    }

    public static Summary run(SparkSession spark, Options o) throws IOException {
        if (o.k() < 1) {
            throw new IllegalArgumentException("--k must be >= 1, got " + o.k());
        }
        String format = o.format() == null ? "parquet" : o.format().toLowerCase(java.util.Locale.ROOT);
        if (!format.equals("parquet") && !format.equals("csv")) {
            throw new IllegalArgumentException("unknown --format '" + o.format() + "'; choose parquet or csv");
        }
        long started = System.nanoTime();
        org.apache.hadoop.fs.Path tmp = SparkJobs.prepareOutput(spark, o.out(), o.force());
        if (!"all".equals(o.users())) {
            org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(o.users());
            if (!p.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(p)) {
                throw new IllegalArgumentException("--users " + o.users() + ": no such file (give a file of user ids, a Parquet"
                        + " table with a user_id column, or 'all')");
            }
        }
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

        // The driver reads the checkpoint once: embeddings, ids and the training interactions.
        int users;
        int items;
        int dim;
        float[] userEmb;
        String[] itemIds;
        String[] userIds;
        int[] trainPtr;
        int[] trainItems;
        EmbeddingTopK scorer;
        try (SavedModel saved = SavedModel.load(o.model())) {
            if (!saved.hasEmbeddings()) {
                throw new IllegalArgumentException(o.model() + ": model '" + saved.modelName() + "' does not score by user·item"
                        + " embeddings (its score source is the model itself, e.g. a denoiser over each user's whole item row),"
                        + " so it cannot be scored with broadcast item embeddings; use ./diffmm recommend --users for it");
            }
            EmbeddingScorer emb = saved.embeddingScorer();
            users = emb.users();
            items = emb.items();
            dim = emb.userEmbeddings().cols();
            userEmb = emb.userEmbeddings().toArray();
            scorer = new EmbeddingTopK(emb.itemEmbeddings().toArray(), items, dim);
            itemIds = ids(saved.itemIds());
            userIds = ids(saved.userIds());
            Interactions train = saved.train();
            trainPtr = train.userPtr().clone();
            trainItems = train.userItems().clone();
            SparkJobs.log("model " + saved.modelName() + ": " + users + " users, " + items + " items, dim " + dim + ", "
                    + trainItems.length + " training interactions; item embeddings broadcast: "
                    + String.format("%.1f MB", items * (double) dim * 4 / 1e6));
        }

        // Users (index, id, embedding) and their training items as tables; the seen lists are joined in.
        List<Row> userRows = new ArrayList<>(users);
        for (int u = 0; u < users; u++) {
            ByteBuffer b = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(userEmb, u * dim, dim);
            userRows.add(RowFactory.create(u, userIds[u], b.array()));
        }
        StructType userSchema = new StructType().add("u", DataTypes.IntegerType, false)
                .add("user_id", DataTypes.StringType, false).add("embedding", DataTypes.BinaryType, false);
        // Slices of the driver-built tables: the cluster's parallelism, and at most ~1 MB of embeddings a task.
        int slices = (int) Math.max(Math.max(1, o.partitions() > 0 ? o.partitions() : jsc.defaultParallelism()),
                Math.min(10_000, (long) users * dim * 4 / (1 << 20) + 1));
        Dataset<Row> userTable = spark.createDataFrame(jsc.parallelize(userRows, slices), userSchema);
        // The training interactions by user (the model keeps them as rows of a CSR matrix): (u, seen items).
        List<Row> seenRows = new ArrayList<>();
        for (int u = 0; u < users; u++) {
            if (trainPtr[u + 1] > trainPtr[u]) {
                seenRows.add(RowFactory.create(u, java.util.Arrays.copyOfRange(trainItems, trainPtr[u], trainPtr[u + 1])));
            }
        }
        StructType seenSchema = new StructType().add("u", DataTypes.IntegerType, false)
                .add("seen", DataTypes.createArrayType(DataTypes.IntegerType, false), false);
        Dataset<Row> seen = spark.createDataFrame(jsc.parallelize(seenRows, slices), seenSchema);
        Dataset<Row> selected = userTable;
        long unknown = 0;
        List<String> unknownExamples = List.of();
        if (!"all".equals(o.users())) {
            Dataset<Row> wanted = readUsers(spark, o.users()).distinct().cache();
            Dataset<Row> missing = wanted.join(userTable, wanted.col("user_id").equalTo(userTable.col("user_id")), "left_anti");
            unknown = missing.count();
            unknownExamples = missing.limit(5).collectAsList().stream().map(r -> r.getString(0)).toList();
            selected = userTable.join(wanted, "user_id");
        }
        Dataset<Row> work = selected.join(seen, "u", "left").select("user_id", "embedding", "seen");
        if (o.partitions() > 0) {
            work = work.repartition(o.partitions());
        }

        SparkJobs.log("scoring " + ("all".equals(o.users()) ? "all " + users : "the listed") + " users, k = " + o.k()
                + ", into " + o.out() + " (" + format + ")");
        Broadcast<EmbeddingTopK> bScorer = jsc.broadcast(scorer);
        Broadcast<String[]> bItems = jsc.broadcast(itemIds);
        LongAccumulator scored = jsc.sc().longAccumulator("users scored");
        LongAccumulator written = jsc.sc().longAccumulator("rows written");
        int k = o.k();
        int dimension = dim;
        JavaRDD<Row> out = work.javaRDD().mapPartitions(rows -> scorePartition(rows, bScorer.value(), bItems.value(),
                dimension, k, scored, written));
        Dataset<Row> result = spark.createDataFrame(out, OUTPUT);
        try {
            var writer = result.write().mode("errorifexists");
            if (format.equals("csv")) {
                writer.option("header", "true").csv(tmp.toString());
            } else {
                writer.parquet(tmp.toString());
            }
            SparkJobs.commitOutput(spark, tmp, o.out());
        } catch (RuntimeException | IOException e) {
            SparkJobs.discard(spark, tmp);
            throw e;
        } finally {
            bScorer.destroy();
            bItems.destroy();
        }
        long n = scored.value();
        double seconds = (System.nanoTime() - started) / 1e9;
        long rows = written.value();
        SparkJobs.log(String.format("wrote %s: %d users, %d rows in %.1f s (%.0f users/s)", o.out(), n, rows, seconds,
                n / seconds));
        return new Summary(n, rows, unknown, unknownExamples, seconds);
    }

    /** Scores a partition block by block: the shared scorer's sums, seen items excluded, k best each. */
    private static Iterator<Row> scorePartition(Iterator<Row> rows, EmbeddingTopK scorer, String[] itemIds, int dim, int k,
                                                LongAccumulator scored, LongAccumulator written) {
        int items = scorer.items();
        int block = blockRows(items);
        float[] queries = new float[block * dim];
        float[] scores = new float[block * items];
        int n = Math.min(k, items);
        int[] best = new int[n];
        float[] bestScores = new float[n];
        float[] scratch = new float[n];
        return new Iterator<>() {
            private final List<Row> ready = new ArrayList<>();
            private int next;

            @Override
            public boolean hasNext() {
                while (next >= ready.size() && rows.hasNext()) {
                    fill();
                }
                return next < ready.size();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                return ready.get(next++);
            }

            private void fill() {
                ready.clear();
                next = 0;
                List<String> ids = new ArrayList<>(block);
                List<int[]> seen = new ArrayList<>(block);
                while (ids.size() < block && rows.hasNext()) {
                    Row r = rows.next();
                    int at = ids.size();
                    ids.add(r.getString(0));
                    ByteBuffer.wrap((byte[]) r.get(1)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(queries, at * dim, dim);
                    seen.add(r.isNullAt(2) ? new int[0] : seenItems(r.get(2)));
                }
                scorer.scoreBlock(queries, ids.size(), scores);
                for (int r = 0; r < ids.size(); r++) {
                    int[] s = seen.get(r);
                    int found = EmbeddingTopK.topUnseen(scores, r * items, items, s, 0, s.length, n, best, bestScores, scratch);
                    for (int j = 0; j < found; j++) {
                        ready.add(RowFactory.create(ids.get(r), itemIds[best[j]], j + 1, bestScores[j]));
                    }
                    written.add(found);
                }
                scored.add(ids.size());
            }
        };
    }

    /** A seen-items column as ints, whichever form the row holds it in. */
    private static int[] seenItems(Object v) {
        if (v instanceof int[] a) {
            return a;
        }
        if (v instanceof scala.collection.Seq<?> seq) {
            int[] out = new int[seq.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (Integer) seq.apply(i);
            }
            return out;
        }
        List<?> list = (List<?>) v;
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (Integer) list.get(i);
        }
        return out;
    }

    /**
     * The users to score, one column user_id: Parquet (a .parquet file or a directory) with a
     * user_id (or user) column, or text with one id per line (blank lines skipped, a first line
     * 'user' or 'user_id' taken as a header), as {@code ./diffmm recommend --users} reads.
     */
    static Dataset<Row> readUsers(SparkSession spark, String path) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
        var fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(p)) {
            throw new IllegalArgumentException("--users " + path + ": no such file (give a file of user ids, a Parquet"
                    + " table with a user_id column, or 'all')");
        }
        if (path.endsWith(".parquet") || fs.getFileStatus(p).isDirectory()) {
            Dataset<Row> t = spark.read().parquet(path);
            List<String> cols = List.of(t.columns());
            String c = cols.contains("user_id") ? "user_id" : cols.contains("user") ? "user" : null;
            if (c == null) {
                throw new IllegalArgumentException("--users " + path + ": the Parquet table has no user_id (or user) column"
                        + " (columns: " + String.join(", ", cols) + ")");
            }
            return t.select(t.col(c).cast(DataTypes.StringType).as("user_id")).where("user_id is not null");
        }
        Dataset<Row> lines = spark.read().text(path)
                .withColumn("pos", functions.monotonically_increasing_id())
                .withColumn("user_id", functions.trim(functions.col("value")))
                .where("user_id <> ''");
        Row first = lines.orderBy("pos").select("pos", "user_id").limit(1).collectAsList().stream().findFirst().orElse(null);
        if (first != null && (first.getString(1).equals("user") || first.getString(1).equals("user_id"))) {
            lines = lines.where(functions.col("pos").notEqual(first.getLong(0)));
        }
        return lines.select("user_id");
    }

    private static String[] ids(IdMapping m) {
        String[] out = new String[m.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = m.externalId(i);
        }
        return out;
    }
}
