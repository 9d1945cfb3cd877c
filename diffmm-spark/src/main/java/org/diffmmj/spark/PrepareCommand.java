package org.diffmmj.spark;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.apache.spark.sql.SparkSession;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.InteractionLogSplitter;

@Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"./diffmm data split on Spark: one interaction log to the train/validation/test files.",
                "The log: CSV/TSV or Parquet, user, item[, rating][, timestamp]. Minimum rating, one interaction per"
                        + " pair (its first position, its earliest time) and iterative k-core run in Spark SQL; each"
                        + " user's split is the core's own per-user split (random: seeded by --seed and the user's id),"
                        + " run per user on the executors. The split is collected and written on the driver by the"
                        + " core's writers: the files equal data split's byte for byte."})
public final class PrepareCommand implements Callable<Integer> {

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "The log: a CSV/TSV file or directory (a header optional, as data split reads it) or Parquet"
                    + " (a .parquet file or a directory; columns user/user_id, item/item_id, optional rating, timestamp).")
    String input;

    @Option(names = "--input-format", paramLabel = "FORMAT",
            description = "csv or parquet (default: parquet for .parquet and directories, csv otherwise).")
    String inputFormat;

    @Option(names = "--delimiter", paramLabel = "CHAR",
            description = "CSV field delimiter (default: tab for .tsv/.tab/.inter, comma otherwise).")
    String delimiter;

    @Option(names = "--k-core", defaultValue = "0", paramLabel = "N",
            description = "Drop users and items with fewer than N interactions, repeatedly (default: ${DEFAULT-VALUE}, none).")
    int kCore;

    @Option(names = "--min-rating", paramLabel = "R", description = "Keep records rated at least R (needs a rating column).")
    Double minRating;

    @Option(names = "--split", required = true, paramLabel = "HOW", description = "random, temporal or leave-one-out.")
    String split;

    @Option(names = "--ratios", defaultValue = "0.8,0.1,0.1", paramLabel = "T,V,T",
            description = "Train, validation, test shares per user (default: ${DEFAULT-VALUE}; not for leave-one-out).")
    String ratios;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output directory on the driver's file system (new or empty, unless --force).")
    Path out;

    @Option(names = "--format", defaultValue = "csv", paramLabel = "FORMAT",
            description = "authors, mmrec or csv (default: ${DEFAULT-VALUE}, which keeps the original ids).")
    String format;

    @Option(names = "--force", description = "Write into a non-empty output directory.")
    boolean force;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[*] (default: spark-submit's, else local[*]).")
    String master;

    @Override
    public Integer call() throws Exception {
        InteractionLogSplitter.Strategy strategy = InteractionLogSplitter.Strategy.parse(split);
        DataFormat to = DataFormat.parse(format);
        String[] parts = ratios.split(",", -1);
        double[] r = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--ratios: '" + parts[i] + "' is not a number");
            }
        }
        new InteractionLogSplitter().kCore(kCore).minRating(minRating).ratios(r);
        Character delim = null;
        if (delimiter != null) {
            String d = delimiter.equals("\\t") || delimiter.equalsIgnoreCase("tab") ? "\t" : delimiter;
            if (d.length() != 1) {
                throw new IllegalArgumentException("--delimiter must be one character (or 'tab'), got '" + delimiter + "'");
            }
            delim = d.charAt(0);
        }
        SparkSession spark = SparkJobs.session("diffmm spark prepare", master);
        try {
            InteractionLogSplitter.Stats stats = LogPreparation.run(spark, new LogPreparation.Options(input, inputFormat, delim,
                    kCore, minRating, strategy, r, seed, out, to, force));
            // As data split prints them: density in percent to four significant digits.
            stats.asMap().forEach((key, v) -> System.out.printf("%-24s %s%n", key, v instanceof Double d
                    ? new java.math.BigDecimal(key.contains("density") ? 100 * d : d)
                            .round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString()
                            + (key.contains("density") ? " %" : "") : v));
            System.out.println("wrote " + out + " (" + to.lower() + ")" + (to == DataFormat.CSV ? ""
                    : "; user_ids.csv and item_ids.csv map its indices to the log's ids"));
            return 0;
        } finally {
            spark.stop();
        }
    }
}
