package org.diffmmj.spark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.DataFormatException;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.InteractionLogSplitter;
import org.diffmmj.data.Interactions;
import org.diffmmj.util.AtomicFiles;

import static org.apache.spark.sql.functions.col;

/**
 * {@code data split} on Spark: from an interaction log (CSV/TSV or Parquet: user, item[, rating][,
 * timestamp]) to the train/validation/test files the trainer reads. The log-wide steps run in
 * Spark SQL: minimum rating, one interaction per (user, item) (its first position in the log and
 * its earliest time), iterative k-core (group counts and anti-joins, one round at a time, until no
 * user or item is below k: {@link InteractionLogSplitter}'s rounds exactly). Each user's split is
 * the core's own {@link InteractionLogSplitter#splitUser} called per user group on the executors
 * (the random split draws from a stream of (seed, user id) alone). The split pairs are collected
 * to the driver, indexed in order of first appearance and written by the core's writers, so the
 * files equal {@code ./diffmm data split}'s byte for byte on the same log and settings.
 */
public final class LogPreparation {

    /** The job's settings; {@code inputFormat}: csv, parquet or null (from the path). */
    public record Options(String input, String inputFormat, Character delimiter, int kCore, Double minRating,
                          InteractionLogSplitter.Strategy strategy, double[] ratios, long seed, Path out,
                          DataFormat format, boolean force) {
    }

    private LogPreparation() {
    }

    /** Runs the job and writes {@code out}; returns the same statistics {@code data split} prints. */
    public static InteractionLogSplitter.Stats run(SparkSession spark, Options o) throws IOException {
        InteractionLogSplitter splitter = new InteractionLogSplitter().kCore(o.kCore()).minRating(o.minRating())
                .strategy(o.strategy()).ratios(o.ratios()).seed(o.seed());
        checkOutput(o.out(), o.force());
        String in = o.input();
        org.apache.hadoop.fs.Path inPath = new org.apache.hadoop.fs.Path(in);
        var fs = inPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
        if (!fs.exists(inPath)) {
            throw new DataFormatException(in + ": no such file or directory");
        }
        boolean directory = fs.getFileStatus(inPath).isDirectory();
        String kind = o.inputFormat() != null ? o.inputFormat().toLowerCase(Locale.ROOT)
                : in.endsWith(".parquet") || directory ? "parquet" : "csv";
        SparkJobs.log("reading " + in + " (" + kind + ")");
        Dataset<Row> log = switch (kind) {
            case "csv" -> readCsv(spark, in, o.delimiter());
            case "parquet" -> readParquet(spark, in);
            default -> throw new IllegalArgumentException("unknown --input-format '" + o.inputFormat() + "'; choose csv or parquet");
        };
        // log: user, item, rating (NaN: none), time, pos (order in the log), hasRating, hasTime as metadata below.
        boolean hasRating = Arrays.asList(log.columns()).contains("rating_raw");
        boolean hasTime = Arrays.asList(log.columns()).contains("time_raw");
        if (o.minRating() != null && !hasRating) {
            throw new DataFormatException(in + ": --min-rating needs a rating column (user,item,rating[,timestamp])");
        }
        if (o.strategy() == InteractionLogSplitter.Strategy.TEMPORAL && !hasTime) {
            throw new DataFormatException(in + ": the temporal split needs a timestamp column "
                    + "(user,item,rating,timestamp or a header naming 'timestamp')");
        }
        UserDefinedFunction badId = functions.udf((UDF1<String, String>) LogPreparation::idProblem, DataTypes.StringType);
        UserDefinedFunction decimal = functions.udf((UDF1<String, Double>) InteractionLogSplitter::parseDecimal,
                DataTypes.DoubleType);
        Dataset<Row> parsed = log
                .withColumn("rating", hasRating ? decimal.apply(col("rating_raw")) : functions.lit(Double.NaN))
                .withColumn("time", hasTime ? decimal.apply(col("time_raw")) : col("pos").cast(DataTypes.DoubleType))
                .withColumn("user_problem", badId.apply(col("user")))
                .withColumn("item_problem", badId.apply(col("item")))
                .cache();
        Column bad = col("user_problem").isNotNull().or(col("item_problem").isNotNull());
        if (hasRating) {
            bad = bad.or(functions.isnan(col("rating")));
        }
        if (hasTime) {
            bad = bad.or(functions.isnan(col("time")));
        }
        // One pass: how many records, how many refused, how many below the minimum rating.
        Column belowMin = o.minRating() == null ? functions.lit(false) : col("rating").lt(o.minRating());
        Row counts = parsed.agg(functions.count(functions.lit(1)),
                functions.sum(functions.when(bad, 1L).otherwise(0L)),
                functions.sum(functions.when(belowMin, 1L).otherwise(0L))).first();
        long records = counts.getLong(0);
        if (records == 0) {
            throw new DataFormatException(in + ": no records (expected user,item[,rating][,timestamp])");
        }
        if (counts.getLong(1) > 0) {
            Row r = parsed.where(bad).orderBy("pos").limit(1).collectAsList().get(0);
            long record = parsed.where(col("pos").lt(r.<Long>getAs("pos"))).count() + 1;
            String what = r.getAs("user_problem") != null ? "user id " + r.getAs("user_problem")
                    : r.getAs("item_problem") != null ? "item id " + r.getAs("item_problem")
                    : hasRating && Double.isNaN(r.<Double>getAs("rating")) ? "rating '" + r.getAs("rating_raw") + "' is not a finite decimal number"
                    : "timestamp '" + r.getAs("time_raw") + "' is not a finite decimal number";
            throw new DataFormatException(r.getAs("file") + ": data record " + record + ": " + what);
        }
        long below = counts.getLong(2);
        long afterRating = records - below;
        if (afterRating == 0) {
            throw new DataFormatException(in + ": no interactions left (all " + below + " records are below --min-rating "
                    + o.minRating() + ")");
        }
        Dataset<Row> kept = o.minRating() == null ? parsed : parsed.where(functions.not(belowMin));
        // One interaction per pair: its first position and its earliest time.
        Dataset<Row> events = kept.groupBy("user", "item")
                .agg(functions.min("pos").as("pos"), functions.min("time").as("time"))
                .localCheckpoint();
        Row before = events.agg(functions.count(functions.lit(1)), functions.countDistinct("user"),
                functions.countDistinct("item")).first();
        long interactionsBefore = before.getLong(0);
        long duplicates = afterRating - interactionsBefore;
        long usersBefore = before.getLong(1);
        long itemsBefore = before.getLong(2);
        SparkJobs.log(records + " records, " + below + " below --min-rating, " + duplicates + " repeated pairs; "
                + usersBefore + " users, " + itemsBefore + " items, " + interactionsBefore + " interactions");
        parsed.unpersist();

        int rounds = 0;
        long interactions = interactionsBefore;
        if (o.kCore() > 1) {
            while (interactions > 0) {
                Dataset<Row> lowUsers = events.groupBy("user").count().where(col("count").lt(o.kCore())).select("user");
                Dataset<Row> lowItems = events.groupBy("item").count().where(col("count").lt(o.kCore())).select("item");
                Dataset<Row> next = events.join(lowUsers, seq("user"), "left_anti")
                        .join(lowItems, seq("item"), "left_anti")
                        .localCheckpoint();
                long after = next.count();
                if (after == interactions) {
                    break;
                }
                rounds++;
                SparkJobs.log(o.kCore() + "-core round " + rounds + ": " + interactions + " -> " + after + " interactions");
                events = next;
                interactions = after;
            }
        }
        if (interactions == 0) {
            throw new DataFormatException(in + ": nothing is left after the " + o.kCore() + "-core filter ("
                    + interactionsBefore + " interactions of " + usersBefore + " users and " + itemsBefore + " items before it)");
        }

        // Each user's split on the executors, by the core's own per-user function.
        JavaRDD<Row> split = events.select("user", "item", "pos", "time").javaRDD()
                .groupBy(r -> r.getString(0))
                .flatMap(group -> splitGroup(splitter, group._1(), group._2()).iterator());
        StructType splitSchema = new StructType().add("user", DataTypes.StringType).add("item", DataTypes.StringType)
                .add("pos", DataTypes.LongType).add("part", DataTypes.IntegerType);
        List<Row> pairs = spark.createDataFrame(split, splitSchema).collectAsList();
        SparkJobs.log("split " + pairs.size() + " interactions (" + o.strategy().name().toLowerCase(Locale.ROOT)
                + "); writing " + o.out() + " on the driver");

        // Dense indices in order of first appearance among what is left, as the core splitter.
        Map<String, Long> userFirst = new HashMap<>();
        Map<String, Long> itemFirst = new HashMap<>();
        for (Row r : pairs) {
            userFirst.merge(r.getString(0), r.getLong(2), Math::min);
            itemFirst.merge(r.getString(1), r.getLong(2), Math::min);
        }
        List<String> users = order(userFirst);
        List<String> items = order(itemFirst);
        IdMapping userIds = IdMapping.of(users);
        IdMapping itemIds = IdMapping.of(items);
        int[][] us = new int[3][];
        int[][] is = new int[3][];
        int[] sizes = new int[3];
        for (Row r : pairs) {
            sizes[r.getInt(3)]++;
        }
        for (int s = 0; s < 3; s++) {
            us[s] = new int[sizes[s]];
            is[s] = new int[sizes[s]];
        }
        int[] at = new int[3];
        for (Row r : pairs) {
            int s = r.getInt(3);
            us[s][at[s]] = userIds.index(r.getString(0));
            is[s][at[s]++] = itemIds.index(r.getString(1));
        }
        String[] names = {"training", "validation", "test"};
        Interactions[] built = new Interactions[3];
        for (int s = 0; s < 3; s++) {
            if (sizes[s] == 0) {
                throw new DataFormatException(in + ": the " + names[s] + " split is empty: users have too few interactions"
                        + " for these ratios (" + users.size() + " users, " + interactions + " interactions); use a larger --k-core"
                        + " or other ratios");
            }
            built[s] = Interactions.fromPairs(users.size(), items.size(), us[s], is[s]);
        }
        String fname = inPath.getName();
        String name = fname.contains(".") ? fname.substring(0, fname.lastIndexOf('.')) : fname;
        org.diffmmj.data.Dataset d = new org.diffmmj.data.Dataset(name, built[0], built[1], built[2], Map.of(), userIds, itemIds);
        writeFresh(d, o.out(), o.format(), o.force());
        InteractionLogSplitter.Stats stats = new InteractionLogSplitter.Stats((int) records, (int) below, (int) duplicates,
                rounds, (int) usersBefore, (int) itemsBefore, (int) interactionsBefore, users.size(), items.size(),
                (int) interactions, built[0].size(), built[1].size(), built[2].size());
        SparkJobs.log("wrote " + o.out() + " (" + o.format().lower() + "): " + users.size() + " users, " + items.size()
                + " items, splits " + built[0].size() + "/" + built[1].size() + "/" + built[2].size());
        return stats;
    }

    private static scala.collection.immutable.Seq<String> seq(String column) {
        return scala.jdk.javaapi.CollectionConverters.asScala(List.of(column)).toList();
    }

    /** One user's rows (user, item, pos, time) in log order through the core split; rows (user, item, pos, part). */
    static List<Row> splitGroup(InteractionLogSplitter splitter, String user, Iterable<Row> rows) {
        List<Row> list = new ArrayList<>();
        rows.forEach(list::add);
        list.sort((a, b) -> Long.compare(a.getLong(2), b.getLong(2)));
        double[] times = new double[list.size()];
        for (int k = 0; k < times.length; k++) {
            times[k] = list.get(k).getDouble(3);
        }
        InteractionLogSplitter.UserSplit split = splitter.splitUser(user, times);
        List<Row> out = new ArrayList<>(list.size());
        int p = 0;
        for (int s = 0; s < 3; s++) {
            for (int c = 0; c < split.counts()[s]; c++, p++) {
                Row e = list.get(split.order()[p]);
                out.add(RowFactory.create(user, e.getString(1), e.getLong(2), s));
            }
        }
        return out;
    }

    private static List<String> order(Map<String, Long> first) {
        List<Map.Entry<String, Long>> entries = new ArrayList<>(first.entrySet());
        entries.sort(Map.Entry.comparingByValue());
        List<String> out = new ArrayList<>(entries.size());
        entries.forEach(e -> out.add(e.getKey()));
        return out;
    }

    /**
     * CSV/TSV as the core splitter reads it: RFC 4180 quoting, blank lines skipped, a header when
     * the first record names user and item columns (else user,item[,rating][,timestamp]). Every
     * file of a directory is read; a header repeated at the top of each part file is dropped.
     */
    static Dataset<Row> readCsv(SparkSession spark, String in, Character delimiter) {
        String n = in.toLowerCase(Locale.ROOT);
        char delim = delimiter != null ? delimiter
                : n.endsWith(".tsv") || n.endsWith(".tab") || n.endsWith(".inter") ? '\t' : ',';
        Dataset<Row> raw = spark.read().option("sep", String.valueOf(delim)).option("header", "false")
                .option("quote", "\"").option("escape", "\"").option("multiLine", "true").option("mode", "FAILFAST")
                .option("ignoreLeadingWhiteSpace", "false").option("ignoreTrailingWhiteSpace", "false")
                .csv(in)
                .withColumn("pos", functions.monotonically_increasing_id())
                .withColumn("file", functions.input_file_name());
        String[] fields = Arrays.stream(raw.columns()).filter(c -> c.startsWith("_c")).toArray(String[]::new);
        List<Row> first = raw.orderBy("pos").limit(1).collectAsList();
        if (first.isEmpty()) {
            throw new DataFormatException(in + ": empty file (expected user" + delim + "item[" + delim + "rating]["
                    + delim + "timestamp] records)");
        }
        String[] values = new String[fields.length];
        for (int k = 0; k < fields.length; k++) {
            values[k] = first.get(0).isNullAt(k) ? "" : first.get(0).getString(k);
        }
        int[] cols;
        try {
            cols = InteractionLogSplitter.logColumns(values);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(first.get(0).getAs("file") + ":1: " + e.getMessage());
        }
        Dataset<Row> data = raw;
        if (cols[4] == 1) {
            Column isHeader = functions.lit(true);
            for (int k = 0; k < fields.length; k++) {
                isHeader = isHeader.and(functions.coalesce(col(fields[k]), functions.lit("")).equalTo(values[k]));
            }
            data = raw.where(functions.not(isHeader));
        } else if (fields.length < 2 || fields.length > 4) {
            throw new DataFormatException(first.get(0).getAs("file") + ":1: " + fields.length + " fields; expected user"
                    + delim + "item[" + delim + "rating][" + delim + "timestamp] (or a header naming the columns)");
        }
        return select(data, fields, cols);
    }

    /** Parquet with columns named as a CSV header would be (user/user_id, item/item_id, rating, timestamp). */
    static Dataset<Row> readParquet(SparkSession spark, String in) {
        Dataset<Row> raw = spark.read().parquet(in)
                .withColumn("pos", functions.monotonically_increasing_id())
                .withColumn("file", functions.input_file_name());
        String[] fields = Arrays.stream(raw.columns()).filter(c -> !c.equals("pos") && !c.equals("file")).toArray(String[]::new);
        int[] cols;
        try {
            cols = InteractionLogSplitter.logColumns(fields);
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(in + ": " + e.getMessage());
        }
        if (cols[4] != 1) {
            throw new DataFormatException(in + ": the Parquet table needs user and item columns (user or user_id, item or"
                    + " item_id; optional rating, timestamp); found " + String.join(", ", fields));
        }
        return select(raw, fields, cols);
    }

    private static Dataset<Row> select(Dataset<Row> data, String[] fields, int[] cols) {
        List<Column> out = new ArrayList<>();
        out.add(col(fields[cols[0]]).cast(DataTypes.StringType).as("user"));
        out.add(col(fields[cols[1]]).cast(DataTypes.StringType).as("item"));
        if (cols[2] >= 0) {
            out.add(col(fields[cols[2]]).cast(DataTypes.StringType).as("rating_raw"));
        }
        if (cols[3] >= 0) {
            out.add(col(fields[cols[3]]).cast(DataTypes.StringType).as("time_raw"));
        }
        out.add(col("pos"));
        out.add(col("file"));
        return data.select(out.toArray(Column[]::new));
    }

    /** Why an id is refused (as the core's readers: empty, surrounding spaces, control characters), or null. */
    static String idProblem(String v) {
        if (v == null || v.isEmpty()) {
            return "is missing";
        }
        if (!v.equals(v.strip())) {
            return "'" + v + "' has leading or trailing spaces; remove them (ids are compared exactly)";
        }
        for (int k = 0; k < v.length(); k++) {
            if (Character.isISOControl(v.charAt(k))) {
                return "'" + v + "' contains a control character";
            }
        }
        return null;
    }

    private static void checkOutput(Path out, boolean force) throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException(out + " exists and is not a directory");
        }
        if (Files.exists(out) && !force) {
            try (var s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw new IllegalArgumentException(out + " exists and is not empty (use --force to write into it)");
                }
            }
        }
    }

    /** As {@code data split}: written into a sibling temporary directory, then moved into place. */
    private static void writeFresh(org.diffmmj.data.Dataset d, Path out, DataFormat format, boolean force) throws IOException {
        checkOutput(out, force);
        Path tmp = AtomicFiles.newSiblingDirectory(out);
        try {
            DatasetLoader.write(d, tmp, format);
            if (format != DataFormat.CSV) {
                DatasetLoader.writeIdMaps(d, tmp);
            }
            if (Files.exists(out)) {
                try (var files = Files.list(tmp)) {
                    for (Path f : files.toList()) {
                        Files.move(f, out.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } else {
                Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    /** The statistics as {@code data split} prints them. */
    static Map<String, Object> describe(InteractionLogSplitter.Stats stats) {
        return new LinkedHashMap<>(stats.asMap());
    }
}
