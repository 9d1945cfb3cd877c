package org.diffmmj.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Option;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.DefaultData;
import org.diffmmj.experiment.JvmLauncher;
import org.diffmmj.experiment.PlannedRun;
import org.diffmmj.experiment.RunExecutor;
import org.diffmmj.experiment.RunLauncher;
import org.diffmmj.model.ModelDefinition;

/** What reproduce and tune share: the data, the output, how runs are launched, --quick. */
final class ExperimentOptions {

    @Option(names = "--data", paramLabel = "DIR",
            description = "Dataset directory (default: the embedded synthetic dataset). A model with a preset named like "
                    + "the directory (e.g. tiktok) trains with it.")
    Path data;

    @Option(names = "--format", paramLabel = "FORMAT", description = "authors, mmrec or csv (default: detected).")
    String format;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "Preset to use where a model has it (default: the data directory's name; none: no preset).")
    String preset;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Directory of the experiment; rerunning with the same --out continues it.")
    Path out;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "Runs at once, each its own JVM (default 1); lowered when the timed peak RSS times N exceeds the "
                    + "memory available. They share the cores, so N > 1 pays only where one run leaves cores idle.")
    int jobs;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run (default: each config's; --quick: 3).")
    Integer epochs;

    @Option(names = "--patience", paramLabel = "N", description = "Early stopping on validation (key patience).")
    Integer patience;

    @Option(names = "--quick", description = "A fast check of the whole path: the embedded synthetic data unless --data, "
            + "3 epochs unless --epochs, and the command's small defaults.")
    boolean quick;

    @Option(names = "--dry-run", description = "Say what would happen to each run (finished, copied, resumed, trained, "
            + "refused and why) and stop: nothing is trained or written.")
    boolean dryRun;

    @Option(names = "--in-process", description = "Train in this JVM, one run at a time (no JVM start per run; peak RSS is "
            + "then this process's, --jobs is ignored).")
    boolean inProcess;

    /** Prints {@code executor}'s preview of {@code runs}; the exit status: 1 if a run would be refused. */
    int preview(RunExecutor executor, List<PlannedRun> runs) throws java.io.IOException {
        RunExecutor.Preview preview = executor.preview(runs);
        preview.lines().forEach(l -> System.out.println("  " + l));
        System.out.printf("dry run: %d of %d runs to train%s%s; nothing was trained or written%n", preview.toTrain(),
                runs.size(), preview.refused() > 0 ? ", " + preview.refused() + " refused (use another --out, or delete"
                        + " their directories to redo them)" : "", preview.busy() > 0 ? ", " + preview.busy()
                        + " being trained by another process now (let it finish first)" : "");
        return preview.refused() + preview.busy() > 0 ? 1 : 0;
    }

    RunLauncher launcher() {
        return inProcess ? new InProcessLauncher() : new JvmLauncher(Main.class.getName(), jobs);
    }

    /** The absolute data directory, or null for the embedded default. */
    String dataKey() {
        return data == null ? null : data.toAbsolutePath().normalize().toString();
    }

    String datasetName() {
        return data == null ? "synthetic-default" : data.toAbsolutePath().normalize().getFileName().toString();
    }

    /** The preset a model trains with here, or null. */
    String presetFor(ModelDefinition<?> definition) {
        String wanted = preset == null ? datasetName() : preset;
        if ("none".equals(wanted)) {
            return null;
        }
        return definition.presetNames().contains(wanted) ? wanted : null;
    }

    Integer epochsOrQuick() {
        return epochs != null ? epochs : quick ? Integer.valueOf(3) : null;
    }

    /** The run keys every run of the experiment shares. */
    Map<String, Object> runKeys(ModelDefinition<?> definition) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("model", definition.name());
        String p = presetFor(definition);
        if (p != null) {
            keys.put("preset", p);
        }
        if (data != null) {
            keys.put("data", dataKey());
        }
        if (format != null) {
            keys.put("format", format);
        }
        return keys;
    }

    /**
     * Run keys that win over --config files: the model (a file such as a tuned config.yaml names
     * one, which must not turn every model's runs into its model) and the data when --data is given.
     */
    Map<String, Object> overridingRunKeys(ModelDefinition<?> definition) {
        Map<String, Object> keys = new LinkedHashMap<>();
        keys.put("model", definition.name());
        if (data != null) {
            keys.put("data", dataKey());
        }
        if (format != null) {
            keys.put("format", format);
        }
        return keys;
    }

    RunExecutor.DataSource dataSource() {
        return () -> {
            Path dir = data == null ? DefaultData.ensure() : data;
            return format == null ? DatasetLoader.load(dir) : DatasetLoader.load(dir, DataFormat.parse(format));
        };
    }
}
