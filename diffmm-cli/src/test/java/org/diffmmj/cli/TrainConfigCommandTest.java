package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.config.YamlFiles;
import org.diffmmj.io.Checkpoint;
import org.diffmmj.io.TrainingState;
import org.diffmmj.model.ModelRegistry;

/** Config files, --set, config.yaml reruns, the models listing and --resume, through the command line. */
class TrainConfigCommandTest {

    @TempDir
    static Path dir;
    private static Path data;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeData() {
        data = dir.resolve("data");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "80",
                "--items", "60", "--modalities", "image:8", "--seed", "5")).isZero();
    }

    /** Runs the CLI; returns exit code, stdout and stderr. */
    private static String[] run(String... args) {
        return CliRunner.run(args);
    }

    private static List<String> epochLines(Path runDir) throws Exception {
        JsonNode metrics = JSON.readTree(runDir.resolve("metrics.json").toFile());
        List<String> lines = new ArrayList<>();
        metrics.get("epochs").forEach(ep -> lines.add(ep.get("losses").toString() + ep.get("test").toString()));
        return lines;
    }

    @Test
    void fileSetAndOptionsLayerAndTheWrittenConfigRerunsExactly() throws Exception {
        Path file = dir.resolve("lightgcn.yaml");
        Files.writeString(file, "model: lightgcn\nlayers: 1\nreg: 0.001\nepochs: 2\nbatch: 64\n");
        Path first = dir.resolve("first");
        String[] r = run("train", "--config", file.toString(), "--set", "reg=0.01", "--dim", "8", "--data",
                data.toString(), "--no-progress", "--out", first.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        var written = YamlFiles.read(first.resolve("config.yaml"));
        assertThat(written).containsEntry("model", "lightgcn").containsEntry("layers", java.math.BigInteger.ONE)
                .containsEntry("epochs", java.math.BigInteger.TWO).containsEntry("dim", java.math.BigInteger.valueOf(8));
        assertThat(written.get("reg").toString()).isEqualTo("0.01");
        assertThat(Path.of((String) written.get("data"))).isAbsolute();

        Path second = dir.resolve("second");
        r = run("train", "--config", first.resolve("config.yaml").toString(), "--no-progress", "--out", second.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(epochLines(second)).isEqualTo(epochLines(first)).hasSize(2);
        assertThat(Files.readString(second.resolve("config.yaml"))).isEqualTo(Files.readString(first.resolve("config.yaml")));
    }

    @Test
    void aBadKeyTypeOrRangeIsRefusedNamingTheKey() {
        String[] r = run("train", "--model", "mf-bpr", "--set", "layers=2", "--data", data.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("unknown key 'layers' (--set)").contains("model mf-bpr takes dim, reg")
                .doesNotContain("\tat org.");
        r = run("train", "--set", "dim=six", "--data", data.toString());
        assertThat(r[2]).contains("key 'dim' (--set) expects an integer, got 'six'");
        r = run("train", "--set", "keepRate=0", "--data", data.toString());
        assertThat(r[2]).contains("key 'keepRate' (--set) must be in (0, 1], got 0.0");
    }

    @Test
    void modelsJsonListsEveryRegisteredModelWithItsKeys() throws Exception {
        String[] r = run("models", "--json");
        assertThat(r[0]).isEqualTo("0");
        JsonNode out = JSON.readTree(r[1]);
        List<String> names = new ArrayList<>();
        out.get("models").forEach(m -> names.add(m.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(ModelRegistry.names()).contains("mf-bpr", "lightgcn", "diffmm");
        JsonNode lightgcn = out.get("models").get(names.indexOf("lightgcn"));
        List<String> keys = new ArrayList<>();
        lightgcn.get("keys").forEach(k -> keys.add(k.get("key").asText()));
        assertThat(keys).containsExactly("dim", "layers", "reg");
        assertThat(lightgcn.get("keys").get(1).get("default").asInt()).isEqualTo(3);
        assertThat(out.get("models").get(names.indexOf("diffmm")).get("presets").has("tiktok")).isTrue();
        assertThat(out.get("training_keys").toString()).contains("\"epochs\"", "\"batch\"");
    }

    @Test
    void resumeRebuildsTheRunFromItsStoredConfigAndRefusesNewOptions() throws Exception {
        String[] common = {"train", "--model", "mf-bpr", "--set", "dim=8", "--batch", "64", "--data", data.toString(),
                "--no-progress"};
        Path straight = dir.resolve("straight");
        String[] r = run(concat(common, "--epochs", "3", "--out", straight.toString()));
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        // A 3-epoch run killed after its second epoch: the state a 2-epoch run leaves, whose stored
        // config is then the 3-epoch run's.
        Path killed = dir.resolve("killed");
        r = run(concat(common, "--epochs", "2", "--out", killed.toString()));
        assertThat(r[0]).isEqualTo("0");
        Path state = killed.resolve(TrainingState.FILE_NAME);
        try (Checkpoint ckpt = Checkpoint.load(state)) {
            @SuppressWarnings("unchecked")
            var config = new java.util.LinkedHashMap<>((java.util.Map<String, Object>) ckpt.header().get("config"));
            assertThat(config).containsEntry("epochs", 2).containsEntry("model", "mf-bpr").containsEntry("dim", 8);
            config.put("epochs", 3);
            var header = new java.util.LinkedHashMap<>(ckpt.header());
            header.remove("tensors");
            header.put("config", config);
            new Checkpoint(header, ckpt.tensors()).save(state);
        }
        r = run("train", "--resume", killed.toString(), "--lr", "0.1");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("use --resume DIR alone").contains("--lr cannot change them");
        // Resuming from another directory than the run's works too: the state carries the config.
        r = run("train", "--resume", killed.toString(), "--no-progress");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(epochLines(killed)).hasSize(3).isEqualTo(epochLines(straight));
        assertThat(YamlFiles.read(killed.resolve("config.yaml")).get("epochs").toString()).isEqualTo("3");
    }

    @Test
    void anExistingRunIsReplacedOnlyWithForceAndResumeEpochsExtendsAFinishedRun() throws Exception {
        String[] common = {"train", "--model", "mf-bpr", "--set", "dim=8", "--batch", "64", "--data", data.toString(),
                "--no-progress"};
        Path three = dir.resolve("three");
        assertThat(run(concat(common, "--epochs", "3", "--out", three.toString()))[0]).isEqualTo("0");
        Path two = dir.resolve("two");
        assertThat(run(concat(common, "--epochs", "2", "--out", two.toString()))[0]).isEqualTo("0");

        String[] r = run(concat(common, "--epochs", "1", "--out", two.toString()));
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains(two + " already holds a run").contains("--force").contains("--resume");
        assertThat(epochLines(two)).hasSize(2);

        r = run("train", "--resume", two.toString(), "--epochs", "2");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("has already trained 2 epochs");
        r = run("train", "--resume", two.toString(), "--epochs", "3", "--no-progress");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(epochLines(two)).isEqualTo(epochLines(three));
        assertThat(YamlFiles.read(two.resolve("config.yaml")).get("epochs").toString()).isEqualTo("3");
        // metrics.jsonl gained the resumed epoch; command.json says the last start was a resume.
        List<String> lines = Files.readAllLines(two.resolve("metrics.jsonl"));
        assertThat(lines).hasSize(3);
        assertThat(JSON.readTree(lines.get(2)).get("epoch").asInt()).isEqualTo(2);
        assertThat(JSON.readTree(lines.get(2)).get("test").toString())
                .isEqualTo(JSON.readTree(two.resolve("metrics.json").toFile()).get("epochs").get(2).get("test").toString());
        JsonNode command = JSON.readTree(two.resolve("command.json").toFile());
        assertThat(command.get("resumed").asBoolean()).isTrue();
        assertThat(command.get("config").get("epochs").asInt()).isEqualTo(3);
        assertThat(command.get("jvm").get("version").asText()).isEqualTo(System.getProperty("java.version"));
        assertThat(command.get("machine").get("cores").asInt()).isPositive();
        assertThat(command.get("started").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");

        Path replaced = dir.resolve("replaced");
        assertThat(run(concat(common, "--epochs", "3", "--out", replaced.toString()))[0]).isEqualTo("0");
        r = run(concat(common, "--epochs", "1", "--eval-every", "5", "--out", replaced.toString(), "--force"));
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(epochLines(replaced)).hasSize(1);
        assertThat(Files.exists(replaced.resolve("model.ckpt"))).isTrue();
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
