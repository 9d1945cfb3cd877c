package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs one {@code diffmm} command line (a {@code train} of the shared loop) to its end. The
 * command line lives above this package, so it hands the experiment runner a launcher: a separate
 * JVM per run ({@link JvmLauncher}), or the command line called in this process.
 */
public interface RunLauncher {

    /** Runs {@code diffmm args...}, its output appended to {@code log}; returns the exit status. */
    int run(List<String> args, Path log) throws IOException, InterruptedException;

    /** Whether several runs may go at once (each in its own process). */
    boolean parallel();

    /** Whether a run's recorded peak RSS is its own (a process per run) rather than this process's so far. */
    boolean isolated();
}
