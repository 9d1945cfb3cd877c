package org.diffmmj.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.Dataset;
import org.diffmmj.io.AtomicFiles;
import org.diffmmj.io.SavedModel;
import org.diffmmj.io.TrainingState;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.diffmmj.model.ModelSpec;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;
import org.diffmmj.train.CurvePlot;
import org.diffmmj.train.EpochRecord;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a model with the shared loop, evaluating validation and test every epoch.",
                "Without --data, trains on the embedded synthetic default dataset."})
public final class TrainCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    DataOptions data;

    @Option(names = "--epochs", defaultValue = "50", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate of the main Adam optimiser (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--batch", defaultValue = "1024", description = "BPR triples per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "421", description = "Random seed; same seed, same numbers (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--eval-every", defaultValue = "1", description = "Evaluate every n epochs (and after the last) (default: ${DEFAULT-VALUE}).")
    int evalEvery;

    @Option(names = "--patience", defaultValue = "0",
            description = "Stop after this many epochs without validation improvement; 0 never stops early (default: ${DEFAULT-VALUE}).")
    int patience;

    @Option(names = "--metric", defaultValue = "recall@20", description = "Validation metric for model selection (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--ks", defaultValue = "10,20,50", split = ",", description = "Cut-offs K for Recall/Precision/NDCG (default: ${DEFAULT-VALUE}).")
    int[] ks;

    @Option(names = "--out", description = "Directory for metrics.json, curves.png and the model.")
    Path out;

    @Option(names = "--no-progress", description = "Hide the per-batch progress bar.")
    boolean noProgress;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue an interrupted 'train --out DIR' run after its last completed epoch, with its original options.")
    Path resumeDir;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private boolean resuming;

    private static final String COMMAND_FILE = "command.json";

    TrainingConfig trainingConfig() {
        return TrainingConfig.builder().epochs(epochs).learningRate(lr).batchSize(batch).seed(seed)
                .evalEvery(evalEvery).patience(patience).selectionMetric(metric).ks(ks)
                .progress(!noProgress).build();
    }

    @Override
    public Integer call() throws Exception {
        if (resumeDir != null) {
            return resume();
        }
        ModelSpec spec = modelOptions.spec(batch);
        TrainingConfig config = trainingConfig();
        Dataset dataset = data.load();
        if (out != null) {
            Files.createDirectories(out);
            if (!resuming) {
                List<String> all = this.spec.commandLine().getParseResult().originalArgs();
                List<String> args = all.subList(all.indexOf(this.spec.name()) + 1, all.size());
                AtomicFiles.write(out.resolve(COMMAND_FILE), new ObjectMapper().writeValueAsBytes(Map.of(
                        "args", args, "working_directory", workingDirectory())));
            }
        }
        Map<String, Object> runInfo = new LinkedHashMap<>();
        runInfo.put("dataset", Map.of("name", dataset.name(), "users", dataset.users(), "items", dataset.items(),
                "fingerprint", dataset.fingerprint()));
        runInfo.put("model_config", spec.toMap());
        runInfo.put("training", Map.of("epochs", config.epochs(), "lr", config.learningRate(),
                "batch", config.batchSize(), "seed", config.seed(), "eval_every", config.evalEvery(),
                "patience", config.patience()));
        System.err.printf("training %s on %s (%d users, %d items, %d train interactions); %s%n",
                spec.name(), dataset.name(), dataset.users(), dataset.items(), dataset.train().size(), config);
        TrainingHistory history;
        try (Recommender recommender = spec.create(dataset, new Rng(seed))) {
            Trainer.EpochListener listener = out == null ? null : (record, h, m) -> {
                if (record.evaluated() && h.bestValidationEpoch() == record) {
                    SavedModel.save(out.resolve(SavedModel.FILE_NAME), m, spec, dataset, data.given(), record.epoch(),
                            record.val());
                }
                h.writeJson(out.resolve("metrics.json"));
            };
            Trainer trainer = new Trainer(config);
            if (out != null) {
                trainer.withState(out.resolve(TrainingState.FILE_NAME), resuming);
            }
            history = trainer.fit(recommender, dataset, runInfo, listener);
        }
        if (out != null) {
            history.writeJson(out.resolve("metrics.json"));
            CurvePlot.write(history, out.resolve("curves.png"));
        }
        printSummary(history);
        if (out != null) {
            System.out.println("wrote " + out.resolve("metrics.json") + ", " + out.resolve("curves.png") + " and "
                    + out.resolve(SavedModel.FILE_NAME) + " (the validation-selected model)");
        }
        return 0;
    }

    /** Re-runs the original command of {@code resumeDir} from its saved training state. */
    private Integer resume() throws Exception {
        if (this.spec.commandLine().getParseResult().matchedOptions().size() != 1) {
            throw new IllegalArgumentException("use --resume DIR alone; the run's original options are read from DIR/"
                    + COMMAND_FILE);
        }
        Path commandFile = resumeDir.resolve(COMMAND_FILE);
        if (!Files.exists(commandFile) || !Files.exists(resumeDir.resolve(TrainingState.FILE_NAME))) {
            throw new IllegalArgumentException(resumeDir + " holds no resumable run (needs " + COMMAND_FILE + " and "
                    + TrainingState.FILE_NAME + " written by 'train --out')");
        }
        List<String> args = new ArrayList<>();
        var saved = new ObjectMapper().readTree(commandFile.toFile());
        saved.get("args").forEach(a -> args.add(a.asText()));
        String savedDir = saved.path("working_directory").asText(workingDirectory());
        if (!savedDir.equals(workingDirectory())) {
            throw new IllegalArgumentException("the run was started in " + savedDir
                    + "; resume it from there (its relative paths are relative to that directory)");
        }
        TrainCommand original = new TrainCommand();
        picocli.CommandLine cl = new picocli.CommandLine(original);
        cl.parseArgs(args.toArray(new String[0]));
        original.spec = cl.getCommandSpec();
        original.resuming = true;
        System.err.println("resuming: train " + String.join(" ", args));
        return original.call();
    }

    private static String workingDirectory() {
        return Path.of("").toAbsolutePath().normalize().toString();
    }

    private void printSummary(TrainingHistory history) {
        EpochRecord bestVal = history.bestValidationEpoch();
        EpochRecord bestTest = history.bestTestEpoch();
        if (bestVal == null) {
            System.out.println("no epoch was evaluated");
            return;
        }
        System.out.printf("%s: validation-selected epoch %d -> test %s%n", modelName(), bestVal.epoch(), format(bestVal.test()));
        System.out.printf("%s: best test epoch %d (paper's protocol, selects on test) -> test %s%n", modelName(),
                bestTest.epoch(), format(bestTest.test()));
    }

    private String modelName() {
        return modelOptions.model;
    }

    private static String format(Map<String, Double> metrics) {
        StringBuilder sb = new StringBuilder();
        metrics.forEach((k, v) -> sb.append(k).append('=').append(String.format("%.4f", v)).append(' '));
        return sb.toString().trim();
    }
}
