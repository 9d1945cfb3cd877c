package org.diffmmj.cli;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.diffmmj.experiment.RunLauncher;

/**
 * Runs each {@code train} in this JVM through the command line, one at a time (the engine's buffer
 * and thread pools are the process's), its output sent to the run's log: no JVM start per run,
 * which is what a CI check of the whole path wants; peak RSS is then this process's.
 */
final class InProcessLauncher implements RunLauncher {

    @Override
    public synchronized int run(List<String> args, Path log) throws IOException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        try (PrintStream file = new PrintStream(new FileOutputStream(log.toFile(), true), true, StandardCharsets.UTF_8)) {
            System.setOut(file);
            System.setErr(file);
            var cl = Main.commandLine();
            cl.setOut(new PrintWriter(file, true));
            cl.setErr(new PrintWriter(file, true));
            return cl.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Override
    public boolean parallel() {
        return false;
    }

    @Override
    public boolean isolated() {
        return false;
    }
}
