package org.diffmmj.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.Dataset;
import org.diffmmj.io.CheckpointPair;
import org.diffmmj.io.SavedModel;
import org.diffmmj.io.TrainingState;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.train.EpochRecord;
import org.diffmmj.train.RunConfig;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;
import org.diffmmj.util.AtomicFiles;
import org.diffmmj.util.RunLock;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model with the shared loop, evaluating validation and test every epoch.",
                "Settings come from the model's defaults, then --preset, then --config files, then --set, then the options below.",
                "The resolved settings are written to OUT/config.yaml, which --config reruns exactly.",
                "Without --data, trains on the embedded synthetic default dataset."})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    RunOptions run;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (key epochs; default 50).")
    Integer epochs;

    @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate every n epochs and after the last (key eval_every; default 1).")
    Integer evalEvery;

    @Option(names = "--patience", paramLabel = "N",
            description = "Stop after this many epochs without validation improvement; 0 never stops early (key patience; default 0).")
    Integer patience;

    @Option(names = "--metric", paramLabel = "M", description = "Validation metric for model selection (key metric; default recall@20).")
    String metric;

    @Option(names = "--ks", paramLabel = "K,K", description = "Cut-offs K for Recall/Precision/NDCG (key ks; default 10,20,50).")
    String ks;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for config.yaml, metrics.json, curves.png and the model.")
    Path out;

    @Option(names = "--no-progress", description = "Hide the per-batch progress (a bar on a terminal, a line per tenth in a log).")
    boolean noProgress;

    @Option(names = "--quiet", description = "Only warnings and the final summary: no progress, no per-epoch log lines.")
    boolean quiet;

    @Option(names = "--force", description = "Replace the run already in --out (its model, state, config and metrics).")
    boolean force;

    /**
     * What a run leaves in its directory; --force removes them all, so nothing stale is left beside
     * the new run. The training state comes first: once it is gone, nothing can resume the old run,
     * whenever the clearing or the new run is interrupted.
     */
    private static final List<String> RUN_FILES = List.of(TrainingState.FILE_NAME,
            CheckpointPair.pendingFile(Path.of(SavedModel.FILE_NAME)).toString(), SavedModel.FILE_NAME,
            RunConfig.FILE_NAME, "metrics.json", "metrics.jsonl", "curves.png", "command.json");

    @Option(names = "--resume", paramLabel = "DIR",
            description = {"Continue an interrupted 'train --out DIR' run after its last completed epoch, with the settings stored in its training state.",
                    "With --epochs N, extend it (finished or not) to N epochs."})
    Path resumeDir;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (resumeDir != null) {
            return resume();
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("epochs", epochs);
        extra.put("eval_every", evalEvery);
        extra.put("patience", patience);
        extra.put("metric", metric);
        extra.put("ks", ks);
        RunConfig config = run.resolve(extra);
        if (out != null) {
            existingRun(out); // refused early; cleared (with --force) only once the new run's data has loaded
        }
        if (config.data() != null) {
            String absolute = Path.of(config.data()).toAbsolutePath().normalize().toString();
            config = new RunConfig(config.model(), config.preset(), absolute, config.format(), config.training(),
                    config.modelConfig());
        }
        return train(config, out, false);
    }

    /**
     * The run files already in {@code dir}; without --force, any is an error (a run directory
     * belongs to one run).
     */
    private List<String> existingRun(Path dir) {
        List<String> existing = RUN_FILES.stream().filter(f -> Files.exists(dir.resolve(f))).toList();
        if (!existing.isEmpty() && !force) {
            throw new IllegalArgumentException(dir + " already holds a run (" + String.join(", ", existing)
                    + "); use --force to replace it, or --resume " + dir + " to continue it");
        }
        return existing;
    }

    /** Locks the run directory for this process; refuses when another 'train' holds it. */
    private static java.nio.channels.FileLock lock(Path dir) throws IOException {
        java.nio.channels.FileLock lock = RunLock.tryAcquire(dir);
        if (lock == null) {
            throw new IllegalArgumentException(dir + " is in use by another 'train' running now; wait for it, "
                    + "or choose another --out");
        }
        return lock;
    }

    private Integer train(RunConfig config, Path outDir, boolean resuming) throws Exception {
        // The data first: a mistyped --data fails here, before anything in the run directory changes.
        Dataset dataset = RunOptions.load(config);
        java.nio.channels.FileLock lock = outDir == null ? null : lock(outDir);
        try {
            if (outDir != null) {
                prepare(config, outDir, resuming);
            }
            return trainIn(config, dataset, outDir, resuming);
        } finally {
            if (lock != null) {
                lock.channel().close(); // releases the lock
            }
        }
    }

    /**
     * Under the directory's lock: a new run clears the old one's files (--force; checked again,
     * another process may have written since), temporary files of writes killed midway are
     * removed, then the run's config and command record are written.
     */
    private void prepare(RunConfig config, Path outDir, boolean resuming) throws IOException {
        if (!resuming) {
            for (String f : existingRun(outDir)) {
                Files.deleteIfExists(outDir.resolve(f));
            }
        }
        List<String> stale = AtomicFiles.deleteStaleTemporaries(outDir);
        if (!stale.isEmpty() && !quiet) {
            System.err.println("removed " + stale.size() + " temporary file(s) left by an interrupted write: "
                    + String.join(", ", stale));
        }
        AtomicFiles.write(outDir.resolve(RunConfig.FILE_NAME), config.toYaml().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(outDir.resolve("command.json"), Json.pretty(RunRecord.describe(config, spec, resuming))
                .getBytes(StandardCharsets.UTF_8));
    }

    private Integer trainIn(RunConfig config, Dataset dataset, Path outDir, boolean resuming) throws Exception {
        TrainingConfig training = config.training();
        Map<String, Object> runInfo = new LinkedHashMap<>();
        Map<String, Object> datasetInfo = new LinkedHashMap<>();
        datasetInfo.put("name", dataset.name());
        datasetInfo.put("users", dataset.users());
        datasetInfo.put("items", dataset.items());
        datasetInfo.put("fingerprint", dataset.fingerprint());
        runInfo.put("dataset", datasetInfo);
        runInfo.put("config", config.toMap());
        if (!quiet) {
            System.err.printf("training %s on %s (%d users, %d items, %d train interactions); %s%n",
                    config.model(), dataset.name(), dataset.users(), dataset.items(), dataset.train().size(), training);
        }
        TrainingHistory history;
        Path dataDir = config.dataPath();
        try (Recommender recommender = config.definition().create(config.modelConfig(), dataset, new Rng(training.seed()))) {
            boolean[] jsonlWhole = {false};
            Trainer.EpochListener listener = outDir == null ? null : (record, h, m) -> {
                h.writeJson(outDir.resolve("metrics.json"));
                // One line per epoch, appended, for tailing. The first write of a process writes
                // every epoch of the history: a resumed run's file then holds exactly the epochs
                // of its state, whatever an interrupted append left.
                Path jsonl = outDir.resolve("metrics.jsonl");
                if (jsonlWhole[0]) {
                    Files.writeString(jsonl, Json.compact(TrainingHistory.epochJson(record)) + "\n", StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                } else {
                    StringBuilder all = new StringBuilder();
                    for (EpochRecord r : h.epochs()) {
                        all.append(Json.compact(TrainingHistory.epochJson(r))).append('\n');
                    }
                    AtomicFiles.write(jsonl, all.toString().getBytes(StandardCharsets.UTF_8));
                    jsonlWhole[0] = true;
                }
            };
            Trainer trainer = new Trainer(training).withProgress(noProgress || quiet ? null : new ConsoleBatchProgress());
            if (outDir != null) {
                // The model and the training state are committed together (CheckpointPair).
                trainer.withState(outDir.resolve(TrainingState.FILE_NAME), resuming).withStateConfig(config.toMap())
                        .withBestModel(outDir.resolve(SavedModel.FILE_NAME), (file, m, record) -> SavedModel.save(file, m,
                                config.modelConfig(), dataset, dataDir, record.epoch(), record.val()));
            }
            history = trainer.fit(recommender, dataset, runInfo, listener);
        }
        if (outDir != null) {
            history.writeJson(outDir.resolve("metrics.json"));
            CurvePlot.write(history, outDir.resolve("curves.png"));
        }
        printSummary(config.model(), history);
        if (outDir != null) {
            System.out.println("wrote " + outDir.resolve(RunConfig.FILE_NAME) + ", " + outDir.resolve("metrics.json")
                    + ", " + outDir.resolve("curves.png") + " and " + outDir.resolve(SavedModel.FILE_NAME)
                    + " (the validation-selected model)");
        }
        return 0;
    }

    /** Continues the run in {@code resumeDir} with the config its training state was saved with. */
    private Integer resume() throws Exception {
        List<String> given = spec.commandLine().getParseResult().matchedOptions().stream()
                .map(o -> o.longestName())
                .filter(n -> !List.of("--resume", "--no-progress", "--quiet", "--epochs").contains(n)).toList();
        if (!given.isEmpty()) {
            throw new IllegalArgumentException("use --resume DIR alone (--no-progress and --epochs aside); the run's "
                    + "settings are read from its training state, so " + String.join(", ", given) + " cannot change them");
        }
        Path state = resumeDir.resolve(TrainingState.FILE_NAME);
        if (!Files.exists(state)) {
            throw new IllegalArgumentException(resumeDir + " holds no resumable run (needs " + TrainingState.FILE_NAME
                    + " written by 'train --out')");
        }
        Map<String, Object> saved = TrainingState.config(state);
        if (saved.isEmpty()) {
            throw new IllegalArgumentException(state + " was written by an older version without its config; "
                    + "rerun with --config " + resumeDir.resolve(RunConfig.FILE_NAME));
        }
        RunConfig config = RunConfig.fromMap(saved, state.toString());
        if (epochs != null) {
            int done = TrainingState.lastEpoch(state) + 1;
            if (epochs <= done) {
                throw new IllegalArgumentException(resumeDir + " has already trained " + done + " epochs; --epochs must be more");
            }
            TrainingConfig t = config.training();
            TrainingConfig longer = new TrainingConfig(epochs, t.learningRate(), t.batchSize(), t.seed(), t.evalEvery(),
                    t.patience(), t.selectionMetric(), t.ks());
            config = new RunConfig(config.model(), config.preset(), config.data(), config.format(), longer,
                    config.modelConfig());
        }
        System.err.println("resuming " + config.model() + " in " + resumeDir + " up to epoch " + config.training().epochs());
        return train(config, resumeDir, true);
    }

    private static void printSummary(String model, TrainingHistory history) {
        EpochRecord bestVal = history.bestValidationEpoch();
        EpochRecord bestTest = history.bestTestEpoch();
        if (bestVal == null) {
            System.out.println("no epoch was evaluated");
            return;
        }
        System.out.printf("%s: validation-selected epoch %d -> test %s%n", model, bestVal.epoch(), format(bestVal.test()));
        System.out.printf("%s: best test epoch %d (paper's protocol, selects on test) -> test %s%n", model,
                bestTest.epoch(), format(bestTest.test()));
    }

    private static String format(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> sb.append(k).append('=').append(String.format("%.4f", v)).append(' '));
        return sb.toString().trim();
    }
}
