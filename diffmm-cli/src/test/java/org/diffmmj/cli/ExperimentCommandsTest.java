package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.config.YamlFiles;
import org.diffmmj.experiment.JvmLauncher;

/**
 * reproduce and tune through the command line, in-process on a small synthetic dataset: tables,
 * significance, the per-user evaluation agreeing with training's, reruns that redo nothing, a
 * half-finished run resumed to the same numbers, and tune choosing a learning rate that learns over
 * one that cannot.
 */
class ExperimentCommandsTest {

    @TempDir
    static Path dir;
    private static Path data;
    private static Path small;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void makeData() throws Exception {
        data = dir.resolve("data");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "120",
                "--items", "90", "--modalities", "image:8", "--seed", "5")).isZero();
        small = dir.resolve("small.yaml");
        Files.writeString(small, "dim: 8\nbatch: 64\n");
    }

    private static String[] run(String... args) {
        return CliRunner.run(args);
    }

    private static String beforeRuns(Path md) throws Exception {
        String s = Files.readString(md);
        return s.substring(0, s.indexOf("## Runs"));
    }

    private static FileTime mtime(Path p) throws Exception {
        return Files.getLastModifiedTime(p);
    }

    @Test
    void reproduceBuildsTheTableAndARerunRedoesNothingAndResumesAHalfFinishedRun() throws Exception {
        Path out = dir.resolve("reproduce");
        String[] args = {"reproduce", "--quick", "--in-process", "--data", data.toString(), "--models", "mf-bpr,lightgcn",
                "--config", small.toString(), "--out", out.toString()};
        String[] r = run(args);
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("2 models × 2 seeds = 4 runs").contains("[4/4]").contains("Wilcoxon signed-rank");
        // Progress inside each run: its three epochs, once each.
        assertThat(r[1].split("\\(lightgcn, seed 7\\) epoch ", -1)).hasSize(4);
        assertThat(r[1]).contains("(lightgcn, seed 7) epoch 0 (1/3): val recall@20 ")
                .contains("(mf-bpr, seed 421) epoch 2 (3/3): val recall@20 ");
        for (String f : List.of("table.md", "table.csv", "table.json", "table.tex", "table.png", "reproduce.json")) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }
        JsonNode table = JSON.readTree(out.resolve("table.json").toFile());
        assertThat(table.get("models").get("mf-bpr").get("seeds").toString()).isEqualTo("[421,7]");
        assertThat(table.get("best").asText()).isIn("mf-bpr", "lightgcn");
        // Fields in one order from every JVM, so rewriting a finished output gives the same files
        // (Map.of's iteration order changes from one JVM start to the next).
        assertThat(table.get("models").get("mf-bpr").get("validation-selected").get("recall@20").fieldNames())
                .toIterable().containsExactly("mean", "sd", "values");
        JsonNode sig = table.get("significance");
        assertThat(sig.get("p_value").asDouble()).isBetween(0.0, 1.0);
        assertThat(sig.get("users").asInt()).isPositive();
        String md = Files.readString(out.resolve("table.md"));
        assertThat(md).contains("Made by `./diffmm reproduce --quick --in-process --data ", "## Validation-selected", "## Best test epoch", "paper's protocol", "(best)",
                "Wilcoxon signed-rank", "p = ");
        assertThat(Files.readAllLines(out.resolve("table.csv"))).hasSize(1 + 2 * 2 * 3)
                .anyMatch(l -> l.startsWith("validation-selected,lightgcn,recall@20,"))
                .anyMatch(l -> l.startsWith("best-test,mf-bpr,ndcg@20,"));
        // Each run: train's own files, and the per-user recall of its saved model averaging to
        // what training reported for the validation-selected epoch.
        for (String run : List.of("mf-bpr/seed-421", "mf-bpr/seed-7", "lightgcn/seed-421", "lightgcn/seed-7")) {
            Path runDir = out.resolve("runs").resolve(run);
            assertThat(runDir.resolve("config.yaml")).exists();
            JsonNode metrics = JSON.readTree(runDir.resolve("metrics.json").toFile());
            JsonNode perUser = JSON.readTree(runDir.resolve("per_user_test.json").toFile());
            double sum = 0;
            for (JsonNode v : perUser.get("values")) {
                sum += v.asDouble();
            }
            assertThat(sum / perUser.get("values").size()).as(run)
                    .isCloseTo(metrics.get("test_at_best_val").get("recall@20").asDouble(), within(1e-9));
            assertThat(perUser.get("checkpoint_epoch").asInt()).isEqualTo(metrics.get("best_val_epoch").asInt());
            assertThat(metrics.get("dataset").fieldNames()).toIterable()
                    .containsExactly("name", "users", "items", "fingerprint");
            assertThat(metrics.get("protocols").fieldNames()).toIterable().containsExactly("test_at_best_val", "best_test");
            JsonNode marker = JSON.readTree(runDir.resolve("run.json").toFile());
            assertThat(marker.get("wall_seconds").asDouble()).isPositive();
            assertThat(YamlFiles.read(runDir.resolve("config.yaml")).get("dim").toString()).isEqualTo("8");
        }
        String csv = Files.readString(out.resolve("table.csv"));
        String metricsPart = beforeRuns(out.resolve("table.md"));
        Path lightgcn7 = out.resolve("runs/lightgcn/seed-7");
        FileTime trained = mtime(lightgcn7.resolve("metrics.json"));

        // Rerun: nothing is trained again, the table is the same.
        r = run(args);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].split("already finished, not redone", -1)).hasSize(5);
        assertThat(Files.readString(out.resolve("table.md"))).isEqualTo(md);
        assertThat(mtime(lightgcn7.resolve("metrics.json"))).isEqualTo(trained);

        // A dry run of a new output says every run would train and leaves no trace.
        Path fresh = dir.resolve("reproduce-dry");
        List<String> dry = new java.util.ArrayList<>(List.of(args));
        dry.set(dry.indexOf(out.toString()), fresh.toString());
        dry.add("--dry-run");
        r = run(dry.toArray(String[]::new));
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("lightgcn/seed-7 (lightgcn, seed 7) to train from the start (3 epochs)")
                .contains("dry run: 4 of 4 runs to train; nothing was trained or written");
        assertThat(fresh).doesNotExist();

        // Killed after training but before recording: only recorded.
        Files.delete(lightgcn7.resolve("run.json"));
        r = run(args);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("lightgcn/seed-7 (lightgcn, seed 7) recorded:");
        assertThat(mtime(lightgcn7.resolve("metrics.json"))).isEqualTo(trained);
        assertThat(Files.readString(out.resolve("table.csv"))).isEqualTo(csv);
        assertThat(beforeRuns(out.resolve("table.md"))).isEqualTo(metricsPart);

        // Killed after its first epoch: the state a 1-epoch train leaves; it resumes to the same numbers.
        Path mf7 = out.resolve("runs/mf-bpr/seed-7");
        r = run("train", "--config", mf7.resolve("requested.yaml").toString(), "--epochs", "1", "--out", mf7.toString(),
                "--force", "--no-progress");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        Files.delete(mf7.resolve("run.json"));
        String[] dryHere = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--dry-run"))
                .toArray(String[]::new);
        r = run(dryHere);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("mf-bpr/seed-7 (mf-bpr, seed 7) to resume after epoch 0 (of 3)")
                .contains("lightgcn/seed-7 (lightgcn, seed 7) finished, not redone: 3 epochs")
                .contains("dry run: 1 of 4 runs to train; nothing was trained or written")
                .doesNotContain("epoch 1 (2/3)");
        assertThat(mf7.resolve("run.json")).doesNotExist();
        // While another process trains it (its lock held), a dry run says so rather than promising to resume it.
        var held = org.diffmmj.util.RunLock.tryAcquire(mf7);
        try {
            r = run(dryHere);
            assertThat(r[0]).isEqualTo("1");
            assertThat(r[1]).contains("mf-bpr/seed-7 (mf-bpr, seed 7) being trained now by another process")
                    .contains("dry run: 0 of 4 runs to train, 1 being trained by another process now");
        } finally {
            held.channel().close();
        }
        r = run(args);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("mf-bpr/seed-7 (mf-bpr, seed 7) resuming after epoch 0")
                .contains("mf-bpr/seed-7 (mf-bpr, seed 7) epoch 1 (2/3): val recall@20 ")
                .contains("mf-bpr/seed-7 (mf-bpr, seed 7) epoch 2 (3/3): val recall@20 ")
                .doesNotContain("(mf-bpr, seed 7) epoch 0 ")
                .contains("mf-bpr/seed-7 (mf-bpr, seed 7) finished:");
        assertThat(JSON.readTree(mf7.resolve("metrics.json").toFile()).get("epochs")).hasSize(3);
        assertThat(Files.readString(out.resolve("table.csv"))).isEqualTo(csv);
        assertThat(beforeRuns(out.resolve("table.md"))).isEqualTo(metricsPart);

        // --into: a file without the markers is refused before anything runs; with them, a rerun that
        // trains nothing writes the table between them and leaves the rest of the file alone.
        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# P\n\n## Results\n\nBy hand.\n");
        List<String> withInto = new java.util.ArrayList<>(List.of(args));
        withInto.addAll(List.of("--into", readme.toString()));
        r = run(withInto.toArray(String[]::new));
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("README.md: expected a line <!-- reproduce:results:begin -->");
        assertThat(r[1]).doesNotContain("already finished");
        Files.writeString(readme, "# P\n\n## Results\n\n<!-- reproduce:results:begin -->\nold\n"
                + "<!-- reproduce:results:end -->\n\n## Next\n");
        r = run(withInto.toArray(String[]::new));
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("wrote the table into " + readme);
        String written = Files.readString(readme);
        assertThat(written).startsWith("# P\n\n## Results\n\n<!-- reproduce:results:begin -->\n\n### Results on ")
                .endsWith("<!-- reproduce:results:end -->\n\n## Next\n").doesNotContain("\nold\n")
                .contains("#### Validation-selected", "#### Significance", "--into " + readme)
                .contains(beforeRuns(out.resolve("table.md")).lines().filter(l -> l.startsWith("| ")).toList()
                        .toArray(String[]::new));

        // --reuse: runs planned exactly as finished ones of another output are copied, not trained;
        // a run planned otherwise trains; a directory that is no output is refused up front.
        Path again = dir.resolve("reproduce-reuse");
        r = run("reproduce", "--quick", "--in-process", "--data", data.toString(), "--models", "lightgcn,mf-bpr",
                "--config", small.toString(), "--out", again.toString(), "--reuse", out.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].split("reused from ", -1)).hasSize(5);
        assertThat(r[1]).doesNotContain(" started");
        for (String run : List.of("mf-bpr/seed-421", "lightgcn/seed-7")) {
            assertThat(Files.readString(again.resolve("runs").resolve(run).resolve("metrics.json")))
                    .isEqualTo(Files.readString(out.resolve("runs").resolve(run).resolve("metrics.json")));
            assertThat(JSON.readTree(again.resolve("runs").resolve(run).resolve("run.json").toFile()).get("reused_from")
                    .asText()).isEqualTo(out.resolve("runs").resolve(run).toAbsolutePath().normalize().toString());
        }
        assertThat(Files.readAllLines(again.resolve("table.csv"))).containsAll(Files.readAllLines(out.resolve("table.csv"))
                .stream().filter(l -> l.contains(",lightgcn,") || l.contains(",mf-bpr,")).toList());
        r = run("reproduce", "--quick", "--in-process", "--data", data.toString(), "--models", "mf-bpr", "--seeds", "1",
                "--epochs", "2", "--config", small.toString(), "--out", dir.resolve("reproduce-other").toString(),
                "--reuse", out.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("mf-bpr/seed-421 (mf-bpr, seed 421) started").doesNotContain("reused");
        r = run("reproduce", "--quick", "--in-process", "--data", data.toString(), "--models", "mf-bpr",
                "--out", dir.resolve("reproduce-bad").toString(), "--reuse", data.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("not an experiment output (no runs/ directory in it)");
        assertThat(dir.resolve("reproduce-bad")).doesNotExist();

        // Another plan in the same directory is refused rather than mixed in.
        r = run("reproduce", "--quick", "--in-process", "--data", data.toString(), "--models", "mf-bpr", "--epochs", "4",
                "--config", small.toString(), "--out", out.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("planned with other settings (epochs: 3 there, 4 here)");
        // A dry run names every such run, not only the first.
        r = run("reproduce", "--quick", "--in-process", "--data", data.toString(), "--models", "mf-bpr", "--epochs", "4",
                "--config", small.toString(), "--out", out.toString(), "--dry-run");
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).contains("mf-bpr/seed-421 (mf-bpr, seed 421) REFUSED: its directory holds a run planned with other"
                        + " settings (epochs: 3 there, 4 here)")
                .contains("mf-bpr/seed-7 (mf-bpr, seed 7) REFUSED: ")
                .contains("dry run: 0 of 2 runs to train, 2 refused");
    }

    @Test
    void aFinishedRunIsReusedFromAnotherDataPathOnlyWhenTheDataThereIsTheSame() throws Exception {
        Path out = dir.resolve("moved");
        Path moved = dir.resolve("data-moved");
        Files.createDirectories(moved);
        try (var files = Files.list(data)) {
            for (Path f : files.toList()) {
                Files.copy(f, moved.resolve(f.getFileName()));
            }
        }
        Path other = dir.resolve("data-other");
        assertThat(Main.commandLine().execute("data", "synth", "--out", other.toString(), "--users", "120",
                "--items", "90", "--modalities", "image:8", "--seed", "6")).isZero();
        java.util.function.Function<Path, String[]> reproduce = d -> run("reproduce", "--quick", "--in-process", "--data",
                d.toString(), "--models", "mf-bpr", "--seeds", "1", "--config", small.toString(), "--out", out.toString());
        String[] r = reproduce.apply(data);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        String csv = Files.readString(out.resolve("table.csv"));
        Path run = out.resolve("runs/mf-bpr/seed-421");
        String requested = Files.readString(run.resolve("requested.yaml"));
        FileTime trained = mtime(run.resolve("metrics.json"));

        // The same files at another path (a clone elsewhere): the record stands, nothing is trained.
        r = reproduce.apply(moved);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("mf-bpr/seed-421 (mf-bpr, seed 421) already finished, not redone (recorded with the"
                + " same data at " + data.toAbsolutePath().normalize()).doesNotContain(" started");
        assertThat(Files.readString(out.resolve("table.csv"))).isEqualTo(csv);
        assertThat(Files.readString(run.resolve("requested.yaml"))).isEqualTo(requested);
        assertThat(mtime(run.resolve("metrics.json"))).isEqualTo(trained);

        // --reuse matches the same way.
        Path again = dir.resolve("moved-again");
        r = run("reproduce", "--quick", "--in-process", "--data", moved.toString(), "--models", "mf-bpr", "--seeds", "1",
                "--config", small.toString(), "--out", again.toString(), "--reuse", out.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1]).contains("mf-bpr/seed-421 (mf-bpr, seed 421) reused from ").doesNotContain(" started");

        // Other data: refused, saying how it differs.
        r = reproduce.apply(other);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("planned with other settings (data: " + data.toAbsolutePath().normalize() + " there, "
                + other.toAbsolutePath().normalize() + " here; not the same data: fingerprint ");
        assertThat(Files.readString(out.resolve("table.csv"))).isEqualTo(csv);

        // A run not yet recorded would go on reading its data where it lay: held to that path.
        Files.delete(run.resolve("run.json"));
        r = reproduce.apply(moved);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("(the run is not finished, so it goes on with the data it started with)");
        assertThat(run.resolve("run.json")).doesNotExist();
    }

    @Test
    void reproduceTimesAnEpochPerModelUpFront() throws Exception {
        Path out = dir.resolve("estimate");
        String[] r = run("reproduce", "--in-process", "--data", data.toString(), "--models", "mf-bpr", "--seeds", "1",
                "--epochs", "2", "--config", small.toString(), "--out", out.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("timing: mf-bpr, one epoch").contains("estimate: ").contains("Only one model (mf-bpr)");
        assertThat(out.resolve("timing/mf-bpr/timing.json")).exists();
        assertThat(out.resolve("timing/mf-bpr/model.ckpt")).doesNotExist();
        // Runs that --reuse will copy are neither timed nor counted.
        r = run("reproduce", "--in-process", "--data", data.toString(), "--models", "mf-bpr", "--seeds", "1",
                "--epochs", "2", "--config", small.toString(), "--out", dir.resolve("estimate-reuse").toString(),
                "--reuse", out.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).doesNotContain("timing: ").contains("estimate: 0.0s for the runs left").contains("reused from ");
    }

    @Test
    void tunePicksTheLearningRateThatLearnsOnValidationAndWritesARunnableConfig() throws Exception {
        Path out = dir.resolve("tune");
        Path space = dir.resolve("space.yaml");
        Files.writeString(space, "lr: [1.0e-9, 0.05]\nreg: 0\n");
        String[] args = {"tune", "--quick", "--in-process", "--model", "lightgcn", "--data", data.toString(), "--space",
                space.toString(), "--config", small.toString(), "--epochs", "4", "--out", out.toString()};
        String[] r = run(args);
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("grid search, 2 trials").contains("best: trial-002 {lr=0.05, reg=0}");
        List<String> csv = Files.readAllLines(out.resolve("trials.csv"));
        assertThat(csv).hasSize(3);
        assertThat(csv.get(0)).startsWith("trial,lr,reg,status,val_recall@20");
        assertThat(csv.get(2)).startsWith("trial-002,0.05").endsWith(",true");
        assertThat(out.resolve("trials.md")).content().contains("**trial-002** (best)");
        assertThat(out.resolve("trials.png")).isNotEmptyFile();
        var best = YamlFiles.read(out.resolve("config.yaml"));
        assertThat(best.get("lr").toString()).isEqualTo("0.05");
        assertThat(best.get("patience").toString()).isEqualTo("2");

        // The written config reruns the best trial exactly.
        Path rerun = dir.resolve("tune-rerun");
        r = run("train", "--config", out.resolve("config.yaml").toString(), "--no-progress", "--out", rerun.toString());
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(JSON.readTree(rerun.resolve("metrics.json").toFile()).get("val_at_best_val").toString())
                .isEqualTo(JSON.readTree(out.resolve("trials/trial-002/metrics.json").toFile()).get("val_at_best_val")
                        .toString());

        // Resumable: a rerun redoes no trial.
        r = run(args);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].split("already finished, not redone", -1)).hasSize(3);

        // A spent budget starts no trial.
        r = run("tune", "--quick", "--in-process", "--model", "lightgcn", "--data", data.toString(), "--space",
                space.toString(), "--budget", "0s", "--out", dir.resolve("tune-budget").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1]).contains("trial-001 (lightgcn, seed 421) not started: the time budget is spent");
        assertThat(r[2]).contains("no trial finished");
    }

    @Test
    void tuneWithoutASpaceSearchesTheModelsBuiltInOneOrSaysWhichModelsHaveOne() throws Exception {
        Path out = dir.resolve("tune-builtin");
        String[] r = run("tune", "--in-process", "--model", "lightgcn", "--data", data.toString(), "--config",
                small.toString(), "--epochs", "1", "--out", out.toString(), "--dry-run");
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("grid search, 8 trials").contains("trial-008 (lightgcn, seed 421) to train from the start")
                .contains("dry run: 8 of 8 runs to train");
        assertThat(out).doesNotExist();
        r = run("tune", "--in-process", "--model", "lightgcn", "--data", data.toString(), "--config",
                small.toString(), "--epochs", "1", "--trials", "1", "--out", out.toString());
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("space: the built-in one for lightgcn (docs/spaces/lightgcn.yaml)");
        assertThat(Files.readString(out.resolve("space.yaml"))).isEqualTo(Files.readString(Path.of("../docs/spaces/lightgcn.yaml")));
        // The grid's first point (first key slowest): lr 1e-3, reg 1e-4, layers 2.
        var trial = YamlFiles.read(out.resolve("trials/trial-001/config.yaml"));
        assertThat(((Number) trial.get("lr")).doubleValue()).isEqualTo(1e-3);
        assertThat(((Number) trial.get("reg")).doubleValue()).isEqualTo(1e-4);
        assertThat(((Number) trial.get("layers")).intValue()).isEqualTo(2);
        r = run("tune", "--in-process", "--model", "ngcf", "--data", data.toString(), "--out", dir.resolve("tune-none").toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[2]).contains("--space is required for ngcf: no built-in search space for it (built in: ")
                .contains("lightgcn").contains("mf-bpr");
        assertThat(dir.resolve("tune-none")).doesNotExist();
    }

    @Test
    void aRunInItsOwnJvmStartsLikeThisOne() throws Exception {
        Path log = dir.resolve("jvm.log");
        int rc = new JvmLauncher(Main.class.getName(), 1).run(List.of("models"), log);
        assertThat(rc).as(Files.readString(log)).isZero();
        assertThat(Files.readString(log)).contains("lightgcn").contains("diffmm");
    }
}
