package org.diffmmj.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code diffmm} command: one subcommand per job. */
@Command(name = "diffmm",
        mixinStandardHelpOptions = true,
        version = "diffmm-j 0.1.0",
        description = "Train, evaluate and compare multi-modal recommenders (DiffMM and baselines).",
        footer = {"", "  spark      Runs the diffmm-spark module: batch top-k for every user and",
                "             log preparation on Apache Spark ('diffmm spark --help')."},
        subcommands = {TrainCommand.class, ModelsCommand.class, EvaluateCommand.class, RecommendCommand.class, ServeCommand.class,
                DataCommand.class, ReproduceCommand.class, TuneCommand.class, BenchCommand.class, BenchOpsCommand.class, BenchServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + message(ex));
            if (System.getenv("DIFFMM_DEBUG") != null) {
                ex.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cl;
    }

    /**
     * What the user reads for a failure: an I/O failure says which file and the operating
     * system's reason (never a bare path or an exception class); anything else its message.
     */
    static String message(Throwable ex) {
        if (org.diffmmj.util.IoErrors.deepestIoCause(ex) != null) {
            return org.diffmmj.util.IoErrors.describe(ex);
        }
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }

    public static void main(String[] args) {
        if (java.util.Arrays.asList(args).contains("--quiet")) {
            // Before any logger exists: slf4j-simple reads its level once.
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(commandLine().execute(args));
    }
}
