package org.diffmmj.spark;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code diffmm spark ...}: DiffMM-J's batch jobs on Apache Spark, from the launcher
 * ({@code ./diffmm spark recommend|prepare}, master local[*] unless --master) or as the main
 * class of the application jar under {@code spark-submit} (the master then comes from it).
 */
@Command(name = "diffmm spark", mixinStandardHelpOptions = true,
        description = {"DiffMM-J's batch jobs on Apache Spark (the diffmm-spark module).",
                "Locally: ./diffmm spark COMMAND ... (--master local[*] by default).",
                "On a cluster: spark-submit --class org.diffmmj.spark.SparkMain",
                "  diffmm-spark/target/diffmm-spark-app.jar COMMAND ..."},
        subcommands = {RecommendCommand.class, PrepareCommand.class})
public final class SparkMain implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    /** Runs the command line; the exit code (0 ok, 1 failed, 2 usage, 3 some users unknown). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new SparkMain());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            Throwable t = e;
            // Spark wraps what a task threw; the reader wants the cause, not the stage.
            while (t.getCause() != null && (t.getMessage() == null || t.getClass().getName().startsWith("org.apache.spark"))) {
                t = t.getCause();
            }
            cmd.getErr().println("diffmm spark " + cmd.getCommandName() + ": " + message(t));
            if (System.getenv("DIFFMM_DEBUG") != null) {
                e.printStackTrace(cmd.getErr());
            }
            return 1;
        });
        return cli.execute(args);
    }

    static String message(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    public static void main(String[] args) {
        int code = run(args);
        System.exit(code);
    }
}
