package org.diffmmj.spark;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.apache.spark.sql.SparkSession;

@Command(name = "recommend", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Top-k items for every user (or those listed) of a saved dot-product model.",
                "Item embeddings are broadcast; users are partitioned and joined with their",
                "training items, which are never recommended. The lists equal",
                "./diffmm recommend's (the same scorer and tie-breaking: lower item index first).",
                "Writes rows user_id, item_id, rank (1..k), score in the data's own ids, as",
                "Parquet (or CSV with a header). Models that do not score by user-item",
                "embeddings (diffrec) are refused.",
                "Exit codes: 0 done, 1 failed, 2 bad usage, 3 written but some users unknown."})
public final class RecommendCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "A train --out directory or its model.ckpt (read on the driver).")
    Path model;

    @Option(names = "--users", required = true, paramLabel = "PATH|all",
            description = "'all', a text file with one user id per line (a first line 'user' or 'user_id' is a header),"
                    + " or a Parquet table with a user_id column.")
    String users;

    @Option(names = {"-k", "--k"}, defaultValue = "100", description = "Items per user (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--out", required = true, paramLabel = "PATH",
            description = "Output directory (any Hadoop file system path); written to a temporary sibling, then renamed.")
    String out;

    @Option(names = "--format", defaultValue = "parquet", paramLabel = "FORMAT",
            description = "parquet or csv (with a header) (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--force", description = "Replace an existing --out (only once the new output is complete).")
    boolean force;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
            description = "Repartition the users into N before scoring (default: as the join leaves them, spark.sql.shuffle.partitions).")
    int partitions;

    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master, e.g. local[*] or local[2] (default: spark-submit's, else local[*]).")
    String master;

    @Override
    public Integer call() throws Exception {
        if (k < 1) {
            throw new IllegalArgumentException("--k must be >= 1, got " + k);
        }
        if (!format.equalsIgnoreCase("parquet") && !format.equalsIgnoreCase("csv")) {
            throw new IllegalArgumentException("unknown --format '" + format + "'; choose parquet or csv");
        }
        SparkSession spark = SparkJobs.session("diffmm spark recommend", master);
        try {
            BatchRecommend.Summary s = BatchRecommend.run(spark,
                    new BatchRecommend.Options(model, users, k, out, format, force, partitions));
            System.out.printf("users %d%nrows %d%nseconds %.2f%nusers_per_second %.0f%n", s.users(), s.rows(), s.seconds(),
                    s.users() / s.seconds());
            if (s.unknownUsers() > 0) {
                System.err.println(users + ": " + s.unknownUsers() + " users unknown to the model (e.g. "
                        + String.join(", ", s.unknownExamples()) + "); the others were written");
                return 3;
            }
            return 0;
        } finally {
            spark.stop();
        }
    }
}
