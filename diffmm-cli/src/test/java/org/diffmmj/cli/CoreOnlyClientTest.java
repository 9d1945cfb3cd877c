package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client with only diffmm-core and its run-time dependencies on its classpath (a separate JVM)
 * loads a model trained by the command line and gives the same top ten as {@code recommend}.
 */
class CoreOnlyClientTest {

    @TempDir
    Path dir;

    @Test
    void aCoreOnlyClientRecommendsWhatTheCommandRecommends() throws Exception {
        Path data = dir.resolve("data");
        Path run = dir.resolve("run");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "90", "--items",
                "70", "--modalities", "image:8", "--seed", "2")).isZero();
        assertThat(Main.commandLine().execute("train", "--model", "lightgcn", "--data", data.toString(), "--epochs",
                "2", "--batch", "128", "--no-progress", "--out", run.toString())).isZero();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertThat(Main.commandLine().execute("recommend", "--model", run.toString(), "--user", "5", "-k", "10"))
                    .isZero();
        } finally {
            System.setOut(original);
        }
        List<String> fromCommand = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 3 && !f[0].equals("rank")) {
                fromCommand.add(f[1] + "\t" + f[2]);
            }
        }
        assertThat(fromCommand).hasSize(10);

        Path core = Path.of("../diffmm-core/target");
        String deps = Files.readString(core.resolve("runtime-classpath.txt")).strip();
        assertThat(deps).doesNotContainIgnoringCase("jetty").doesNotContainIgnoringCase("kotlin")
                .doesNotContainIgnoringCase("picocli").doesNotContainIgnoringCase("xchart")
                .doesNotContainIgnoringCase("junit").doesNotContain("diffmm-serve").doesNotContain("diffmm-cli");
        // The example class lives in core's test classes; nothing else there is loaded.
        String classpath = core.resolve("classes") + ":" + core.resolve("test-classes") + ":" + deps;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", classpath,
                "org.diffmmj.examples.LibraryExamples", run.resolve("model.ckpt").toString(), "5")
                .redirectErrorStream(false).start();
        String printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(printed.strip().split("\n")).containsExactlyElementsOf(fromCommand);
    }
}
