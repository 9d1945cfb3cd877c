package org.diffmmj.spark;

import java.io.IOException;
import java.util.UUID;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** What both jobs share: the session, and output written to a temporary path then renamed. */
final class SparkJobs {

    private SparkJobs() {
    }

    /**
     * The session: under spark-submit (spark.master already set) its settings stand; otherwise
     * {@code master} (default local[*]), no web UI and a few shuffle partitions for one machine.
     */
    static SparkSession session(String appName, String master) {
        SparkConf conf = new SparkConf();
        SparkSession.Builder b = SparkSession.builder().appName(appName);
        if (master != null) {
            b.master(master);
        } else if (!conf.contains("spark.master")) {
            b.master("local[*]");
        }
        String effective = master != null ? master : conf.get("spark.master", "local[*]");
        if (effective.startsWith("local")) {
            if (!conf.contains("spark.ui.enabled")) {
                b.config("spark.ui.enabled", "false");
            }
            if (!conf.contains("spark.sql.shuffle.partitions")) {
                b.config("spark.sql.shuffle.partitions", "8");
            }
        }
        return b.getOrCreate();
    }

    /** Refuses an existing output unless forced; returns the temporary sibling to write to. */
    static Path prepareOutput(SparkSession spark, String out, boolean force) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path target = new Path(out);
        FileSystem fs = target.getFileSystem(hadoop);
        if (fs.exists(target) && !force) {
            throw new IllegalArgumentException(out + " exists (use --force to replace it)");
        }
        Path parent = fs.makeQualified(target).getParent();
        if (parent != null && !fs.exists(parent)) {
            fs.mkdirs(parent);
        }
        return new Path(parent, "." + target.getName() + ".tmp-" + UUID.randomUUID());
    }

    /** Moves the finished temporary output into place (replacing an old one only now, when forced). */
    static void commitOutput(SparkSession spark, Path tmp, String out) throws IOException {
        Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        Path target = new Path(out);
        FileSystem fs = target.getFileSystem(hadoop);
        if (fs.exists(target) && !fs.delete(target, true)) {
            throw new IOException("cannot replace " + out);
        }
        if (!fs.rename(tmp, target)) {
            throw new IOException("cannot move " + tmp + " to " + out);
        }
    }

    /** Removes a temporary output left by a failed job. */
    static void discard(SparkSession spark, Path tmp) {
        try {
            tmp.getFileSystem(spark.sparkContext().hadoopConfiguration()).delete(tmp, true);
        } catch (IOException | RuntimeException e) {
            System.err.println("diffmm spark: could not remove " + tmp + ": " + e.getMessage());
        }
    }

    static void log(String message) {
        System.err.printf("[diffmm spark %tT] %s%n", System.currentTimeMillis(), message);
    }
}
