package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.io.Checkpoint;
import org.diffmmj.io.SavedModel;
import org.diffmmj.io.TrainingState;

/**
 * A run directory belongs to one run: replaced only with --force (cleared first, the old state
 * before anything else), never half-replaced, resumed only from itself, locked while training,
 * cleaned of temporaries killed writes left; NaN never reaches a recommendation; I/O failures
 * are reported in words.
 */
class RunDirectoryTest {

    @TempDir
    static Path dir;
    private static Path data;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] COMMON = {"train", "--model", "mf-bpr", "--set", "dim=8", "--batch", "64",
            "--no-progress"};

    @BeforeAll
    static void makeData() {
        data = dir.resolve("data");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "60",
                "--items", "50", "--seed", "3")).isZero();
    }

    /** Runs the CLI; returns exit code, stdout and stderr. */
    static String[] run(String... args) {
        return CliRunner.run(args);
    }

    private static String[] train(Path out, String... more) {
        return run(withData(out, more));
    }

    private static Map<String, String> snapshot(Path runDir) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(runDir)) {
            for (Path f : s.toList()) {
                files.put(f.getFileName().toString(), Arrays.hashCode(Files.readAllBytes(f)) + "@"
                        + Files.getLastModifiedTime(f).toMillis());
            }
        }
        return files;
    }

    @Test
    void forceClearsTheOldRunFirstSoAnInterruptedReplacementCannotResumeIt() throws Exception {
        Path run = dir.resolve("replaced");
        String[] r = train(run, "--epochs", "2");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(run.resolve("curves.png")).exists();
        // Without --force: refused, untouched.
        Map<String, String> before = snapshot(run);
        r = train(run, "--epochs", "3");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("already holds a run").contains("--force");
        assertThat(snapshot(run)).isEqualTo(before);
        // --force with data that does not load: refused before anything in the directory changes.
        r = run("train", "--model", "mf-bpr", "--epochs", "1", "--data", dir.resolve("no-such-data").toString(),
                "--out", run.toString(), "--force", "--no-progress");
        assertThat(r[0]).isEqualTo("1");
        assertThat(snapshot(run)).isEqualTo(before);
        // --force, then the new run dies in its first epoch (a learning rate that diverges stands
        // in for a kill): the old run's state, model and curves are gone, so nothing can resume the
        // old run under the new options, and what is left is the new run's config.
        r = train(run, "--epochs", "3", "--lr", "1e30", "--force");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("loss became");
        assertThat(run.resolve(TrainingState.FILE_NAME)).doesNotExist();
        assertThat(run.resolve(SavedModel.FILE_NAME)).doesNotExist();
        assertThat(run.resolve("curves.png")).doesNotExist();
        assertThat(run.resolve("metrics.json")).doesNotExist();
        assertThat(Files.readString(run.resolve("config.yaml"))).contains("lr: 1.0E30");
        r = run("train", "--resume", run.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("holds no resumable run");
    }

    /** {@code diffmm ARGS} in a new JVM with this test's class path, its output discarded. */
    private static Process launch(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx512m", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                Main.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void killWhen(Process p, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (p.isAlive() && !condition.call() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
        p.waitFor();
    }

    private static String[] withData(Path out, String... more) {
        String[] args = Arrays.copyOf(COMMON, COMMON.length + more.length + 4);
        System.arraycopy(more, 0, args, COMMON.length, more.length);
        args[args.length - 4] = "--data";
        args[args.length - 3] = data.toString();
        args[args.length - 2] = "--out";
        args[args.length - 1] = out.toString();
        return args;
    }

    @Test
    void aKilledTrainLeavesTheOldRunOrTheNewOneNeverAMix() throws Exception {
        Path straight = dir.resolve("killed-straight");
        assertThat(train(straight, "--epochs", "6", "--seed", "11")[0]).isEqualTo("0");
        Path run = dir.resolve("killed");
        assertThat(train(run, "--epochs", "2", "--seed", "5")[0]).isEqualTo("0");
        // 1. --force over the old run with new options, killed as soon as it has started (its
        // command record written): the old run's state is gone; a state there is the new run's.
        Process p = launch(withData(run, "--epochs", "6", "--seed", "11", "--force"));
        killWhen(p, () -> {
            Path command = run.resolve("command.json");
            return Files.exists(command) && Files.readString(command).contains("\"11\"");
        });
        Path state = run.resolve(TrainingState.FILE_NAME);
        if (Files.exists(state)) {
            assertThat(TrainingState.config(state)).containsEntry("seed", 11);
        }
        assertThat(run.resolve("curves.png")).doesNotExist();
        System.out.println("first kill: state " + (Files.exists(state) ? "epoch " + TrainingState.lastEpoch(state) : "absent"));
        // 2. The new run again, killed mid-training this time (after its first epoch's line).
        p = launch(withData(run, "--epochs", "6", "--seed", "11", "--force"));
        killWhen(p, () -> Files.exists(run.resolve("metrics.jsonl")) && !Files.readString(run.resolve("metrics.jsonl")).isEmpty());
        System.out.println("killed after " + Files.readAllLines(run.resolve("metrics.jsonl")).size() + " epoch lines; state "
                + (Files.exists(state) ? "epoch " + TrainingState.lastEpoch(state) : "absent"));
        String[] r = run("train", "--resume", run.toString(), "--no-progress");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        // The resumed run ends exactly as the uninterrupted one, model included.
        JsonNode a = JSON.readTree(straight.resolve("metrics.json").toFile()).get("epochs");
        JsonNode b = JSON.readTree(run.resolve("metrics.json").toFile()).get("epochs");
        assertThat(b).hasSize(6);
        for (int e = 0; e < 6; e++) {
            assertThat(b.get(e).get("test")).isEqualTo(a.get(e).get("test"));
        }
        assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(6);
        assertThat(TrainingState.model(state).get("sha256")).isEqualTo(Checkpoint.storedDigest(run.resolve(SavedModel.FILE_NAME)));
        try (Checkpoint x = Checkpoint.load(straight.resolve(SavedModel.FILE_NAME));
             Checkpoint y = Checkpoint.load(run.resolve(SavedModel.FILE_NAME))) {
            assertThat(y.header().get("epoch")).isEqualTo(x.header().get("epoch"));
            for (String name : x.tensors().keySet()) {
                assertThat(y.tensor(name).toArray()).as(name).containsExactly(x.tensor(name).toArray());
            }
        }
    }

    @Test
    void resumeReadsAndWritesOnlyItsOwnDirectory() throws Exception {
        Path original = dir.resolve("original");
        assertThat(train(original, "--epochs", "2")[0]).isEqualTo("0");
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy);
        try (Stream<Path> s = Files.list(original)) {
            for (Path f : s.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Map<String, String> originalBefore = snapshot(original);
        String[] r = run("train", "--resume", copy.toString(), "--epochs", "3", "--no-progress");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(snapshot(original)).isEqualTo(originalBefore);
        assertThat(JSON.readTree(copy.resolve("metrics.json").toFile()).get("epochs")).hasSize(3);
        assertThat(Files.readAllLines(copy.resolve("metrics.jsonl"))).hasSize(3);
        assertThat(r[1]).contains(copy.resolve("metrics.json").toString()).doesNotContain(original.toString());
    }

    @Test
    void staleTemporariesAreRemovedAndAResumedJsonlHoldsExactlyTheStatesEpochs() throws Exception {
        Path run = dir.resolve("stale");
        assertThat(train(run, "--epochs", "2")[0]).isEqualTo("0");
        Files.writeString(run.resolve(".model.ckpt.5x0a9qk2r1t.tmp"), "half a model");
        Files.writeString(run.resolve(".metrics.json.0p.tmp"), "half");
        Files.writeString(run.resolve("notes.txt"), "mine");
        // An append interrupted after the state was saved, or a line for an epoch never saved.
        Files.writeString(run.resolve("metrics.jsonl"), "{\"epoch\": 2, \"half\n", java.nio.file.StandardOpenOption.APPEND);
        String[] r = run("train", "--resume", run.toString(), "--epochs", "3", "--no-progress");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[2]).contains("removed 2 temporary file(s) left by an interrupted write");
        assertThat(run.resolve(".model.ckpt.5x0a9qk2r1t.tmp")).doesNotExist();
        assertThat(run.resolve(".metrics.json.0p.tmp")).doesNotExist();
        assertThat(run.resolve("notes.txt")).exists();
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(3);
        for (int e = 0; e < 3; e++) {
            assertThat(JSON.readTree(lines.get(e)).get("epoch").asInt()).isEqualTo(e);
        }
        // The model on disk is the one the state names.
        assertThat(TrainingState.model(run.resolve(TrainingState.FILE_NAME)).get("sha256"))
                .isEqualTo(Checkpoint.storedDigest(run.resolve(SavedModel.FILE_NAME)));
    }

    @Test
    void aDirectoryInUseByAnotherTrainIsRefused() throws Exception {
        Path run = dir.resolve("locked");
        Files.createDirectories(run);
        try (var channel = java.nio.channels.FileChannel.open(run.resolve(org.diffmmj.util.RunLock.FILE_NAME),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             var lock = channel.lock()) {
            String[] r = train(run, "--epochs", "1");
            assertThat(r[0]).isEqualTo("1");
            assertThat(r[2]).contains("is in use by another 'train'");
        }
        assertThat(train(run, "--epochs", "1")[0]).isEqualTo("0");
    }

    @Test
    void aCheckpointWithNanEmbeddingsIsRefusedNotServedAsAnEmptyList() throws Exception {
        Path run = dir.resolve("nan");
        assertThat(train(run, "--epochs", "1")[0]).isEqualTo("0");
        Path model = run.resolve(SavedModel.FILE_NAME);
        byte[] bytes = Files.readAllBytes(model);
        int headerLength = ByteBuffer.wrap(bytes, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        JsonNode header = JSON.readTree(Arrays.copyOfRange(bytes, 16, 16 + headerLength));
        long offset = 16 + headerLength;
        for (JsonNode t : header.get("tensors")) {
            if (t.get("name").asText().equals("final.user_embeddings")) {
                break;
            }
            offset += 4L * t.get("rows").asLong() * t.get("cols").asLong();
        }
        ByteBuffer.wrap(bytes, (int) offset, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(bytes, bytes.length - 32));
        System.arraycopy(digest, 0, bytes, bytes.length - 32, 32);
        Files.write(model, bytes);
        String[] r = run("recommend", "--model", run.toString(), "--user", "0");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("tensor 'final.user_embeddings' holds NaN at row 0, column 0");
        assertThat(r[1]).isEmpty();
    }

    @Test
    void ioFailuresSayWhatFailedAndWhy() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/dev/full")), "Linux devices");
        String[] r = run("train", "--model", "mf-bpr", "--epochs", "1", "--out", "/dev/full", "--no-progress");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("/dev/full: exists and is not a directory").doesNotContain("Exception");
        r = run("train", "--model", "mf-bpr", "--epochs", "1", "--out", "/dev/full/run", "--no-progress");
        assertThat(r[2]).contains("/dev/full").contains("not a directory").doesNotContain("Exception");
        r = run("data", "synth", "--out", "/");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("/ exists and is not empty").doesNotContain("NullPointer").doesNotContain("Exception");
        r = run("data", "synth", "--out", "/", "--force");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("file system root").doesNotContain("NullPointer").doesNotContain("Exception");
    }
}
