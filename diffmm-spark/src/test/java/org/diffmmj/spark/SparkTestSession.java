package org.diffmmj.spark;

import org.apache.spark.sql.SparkSession;

/** One small local session per test class: two cores, no UI, few shuffle partitions. */
final class SparkTestSession {

    private SparkTestSession() {
    }

    static SparkSession start(String name) {
        return SparkSession.builder().appName(name).master("local[2]")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.default.parallelism", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate();
    }
}
