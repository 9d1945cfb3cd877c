package org.diffmmj.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The command line refuses bad arguments before any Spark session starts, and its help tells what it does. */
class SparkMainTest {

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = SparkMain.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void badArgumentsAreRefusedWithoutStartingSpark() {
        Result k = run("recommend", "--model", "m", "--users", "all", "--k", "0", "--out", "o");
        assertThat(k.code()).isEqualTo(1);
        assertThat(k.err()).contains("diffmm spark recommend: --k must be >= 1, got 0");
        Result f = run("recommend", "--model", "m", "--users", "all", "--format", "json", "--out", "o");
        assertThat(f.err()).contains("unknown --format 'json'; choose parquet or csv");
        Result split = run("prepare", "--input", "x.csv", "--split", "sideways", "--out", "o");
        assertThat(split.code()).isEqualTo(1);
        assertThat(split.err()).contains("unknown split 'sideways'");
        Result format = run("prepare", "--input", "x.csv", "--split", "random", "--format", "parquet", "--out", "o");
        assertThat(format.code()).isEqualTo(1);
        assertThat(format.err()).containsIgnoringCase("parquet");
        Result ratios = run("prepare", "--input", "x.csv", "--split", "random", "--ratios", "0.8,x,0.1", "--out", "o");
        assertThat(ratios.err()).contains("--ratios: 'x' is not a number");
        Result missing = run("recommend", "--model", "m", "--out", "o");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--users=PATH|all'");
    }

    @Test
    void helpNamesBothJobsAndTheApplicationJar() {
        Result help = run("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("recommend").contains("prepare").contains("diffmm-spark-app.jar")
                .contains("org.diffmmj.spark.SparkMain");
        assertThat(run("recommend", "--help").out()).contains("never recommended").contains("diffrec").contains("user_id, item_id, rank");
        assertThat(run("prepare", "--help").out()).contains("byte for byte").contains("k-core");
        // The command list shows each job's first description line: a whole sentence, not a cut-off one.
        assertThat(help.out()).containsPattern("prepare +\\./diffmm data split on Spark: one interaction log to the\\s+"
                + "train/validation/test files\\.\\n");
    }
}
