package org.diffmmj.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the {@code diffmm} command in-process for tests, capturing what it prints. */
final class CliRunner {

    private CliRunner() {
    }

    /** Runs the CLI; returns the exit code (as a string), stdout and stderr. */
    static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = System.out;
        PrintStream e = System.err;
        int rc;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            var cl = Main.commandLine();
            cl.setErr(new java.io.PrintWriter(System.err, true));
            rc = cl.execute(args);
        } finally {
            System.setOut(o);
            System.setErr(e);
        }
        return new String[] {Integer.toString(rc), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }
}
