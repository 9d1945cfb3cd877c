package org.diffmmj.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.eval.Evaluator;
import org.diffmmj.eval.MetricReport;
import org.diffmmj.io.CheckpointPair;
import org.diffmmj.io.TrainingState;
import org.diffmmj.util.IoErrors;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.model.Recommender;
import org.diffmmj.nn.Tapes;
import org.diffmmj.optim.Adam;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.BatchSource;

/**
 * The one training loop every model shares: per epoch the model's hook, a fresh epoch of the
 * model's batches (BPR triples unless it asks for others), one step of the main Adam optimiser
 * per batch, then validation and test evaluation with full ranking, early stopping on the
 * validation metric.
 */
public final class Trainer {

    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    /** Told about the batches of an epoch as they finish (the command line shows a progress bar). */
    public interface BatchProgress {
        BatchProgress NONE = new BatchProgress() {
            @Override
            public void start(int epoch, int batches) {
            }

            @Override
            public void step() {
            }

            @Override
            public void end() {
            }
        };

        void start(int epoch, int batches);

        void step();

        void end();
    }

    /** Told about every finished epoch (checkpointing, live metrics files). */
    public interface EpochListener {
        void onEpochEnd(EpochRecord record, TrainingHistory history, Recommender model) throws Exception;
    }

    /** Writes the model selected so far (whole, atomically) to the file given. */
    @FunctionalInterface
    public interface BestModelWriter {
        void write(Path file, Recommender model, EpochRecord record) throws IOException;
    }

    private final TrainingConfig config;
    private Path modelFile;
    private BestModelWriter bestModel;
    private Path stateFile;
    private boolean resume;
    private Map<String, Object> stateConfig = Map.of();
    private BatchProgress progress = BatchProgress.NONE;

    public Trainer(TrainingConfig config) {
        this.config = config;
    }

    /**
     * Saves the full training state to {@code file} after every epoch; with {@code resume}, first
     * continues from the state already there (after its last completed epoch).
     */
    public Trainer withState(Path file, boolean resume) {
        this.stateFile = file;
        this.resume = resume;
        return this;
    }

    /**
     * Saves the model to {@code file} after every epoch that improves the validation metric. With
     * {@link #withState}, the model and the state are committed together ({@link CheckpointPair}):
     * a crash leaves the previous pair or the new one, never a state whose model is missing.
     */
    public Trainer withBestModel(Path file, BestModelWriter writer) {
        this.modelFile = file;
        this.bestModel = writer;
        return this;
    }

    /** The resolved run config, stored in the training state so a resume rebuilds the same run. */
    public Trainer withStateConfig(Map<String, Object> config) {
        this.stateConfig = new LinkedHashMap<>(config);
        return this;
    }

    /** Reports each epoch's batches as they finish (none by default). */
    public Trainer withProgress(BatchProgress progress) {
        this.progress = progress == null ? BatchProgress.NONE : progress;
        return this;
    }

    public TrainingHistory fit(Recommender model, Dataset data, Map<String, Object> runInfo, EpochListener listener) {
        Rng root = new Rng(config.seed() ^ 0x5DEECE66DL);
        Adam optimizer = new Adam(model.parameters(), config.learningRate());
        BatchSource batchSource = model.batchSource(data.train());
        Evaluator evaluator = new Evaluator(config.ks());
        TrainingHistory history = new TrainingHistory(model.name(), config.selectionMetric(), runInfo);
        String metric = config.selectionMetric();
        double bestVal = Double.NEGATIVE_INFINITY;
        int sinceBest = 0;
        int firstEpoch = 0;
        List<Parameter> stateParams = new ArrayList<>(model.parameters());
        stateParams.addAll(model.auxiliaryParameters());
        List<Adam> optimizers = new ArrayList<>(List.of(optimizer));
        optimizers.addAll(model.auxiliaryOptimizers());
        CheckpointPair pair = stateFile == null ? null
                : new CheckpointPair(stateFile, modelFile == null ? stateFile.resolveSibling("model.ckpt") : modelFile);
        if (resume) {
            try {
                if (modelFile != null) {
                    pair.recover();
                }
                TrainingState.Restored restored = TrainingState.load(stateFile, stateParams, optimizers);
                history.restoreEpochs(restored.history());
                firstEpoch = restored.lastEpoch() + 1;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (EpochRecord r : history.epochs()) {
                if (r.evaluated()) {
                    double v = r.val().get(metric);
                    if (v > bestVal) {
                        bestVal = v;
                        sinceBest = 0;
                    } else {
                        sinceBest += config.evalEvery();
                    }
                }
            }
            LOG.info("resuming after epoch {} from {}", firstEpoch - 1, stateFile);
        }
        Tapes tapes = new Tapes();
        try {
            for (int epoch = 0; epoch < firstEpoch; epoch++) {
                root.split();
            }
            for (int epoch = firstEpoch; epoch < config.epochs(); epoch++) {
                Rng epochRng = root.split();
                Rng modelRng = epochRng.split();
                Rng samplingRng = epochRng.split();
                PhaseTimer timer = new PhaseTimer();
                EpochContext context = new EpochContext(epoch, modelRng, config.batchSize(), tapes, timer);
                Map<String, Double> losses = new LinkedHashMap<>(model.beforeEpoch(context));
                List<? extends Batch> batches = timer.time("sampling",
                        () -> batchSource.epoch(config.batchSize(), samplingRng));
                Map<String, Double> batchLosses = timer.time("recommendation_training",
                        () -> trainBatches(model, optimizer, batches, context));
                losses.putAll(batchLosses);
                // Each phase has its own temporaries' shapes: holding them all between phases
                // would make the peak their sum rather than the largest one.
                tapes.releaseTemporaries();

                Map<String, Double> val = null;
                Map<String, Double> test = null;
                boolean evaluate = (epoch + 1) % config.evalEvery() == 0 || epoch == config.epochs() - 1;
                if (evaluate) {
                    MetricReport[] reports = timer.time("evaluation", () -> {
                        try (ScoreSource scorer = model.scorer()) {
                            return new MetricReport[] {
                                    evaluator.evaluate(scorer, data.train(), data.validation()),
                                    evaluator.evaluate(scorer, data.train(), data.test())};
                        }
                    });
                    val = reports[0].values();
                    test = reports[1].values();
                }
                Map<String, Double> memory = new LinkedHashMap<>();
                long rss = ProcessMemory.rssMb();
                if (rss >= 0) {
                    memory.put("rss", (double) rss);
                    memory.put("peak_rss", (double) ProcessMemory.peakRssMb());
                }
                EpochRecord record = new EpochRecord(epoch, losses, val, test, timer.seconds(), memory);
                history.add(record);
                boolean selected = bestModel != null && record.evaluated() && history.bestValidationEpoch() == record;
                final int done = epoch;
                try {
                    if (stateFile != null) {
                        CheckpointPair.ModelWriter writeModel = selected ? f -> bestModel.write(f, model, record) : null;
                        pair.commit(writeModel, (f, modelRef) -> TrainingState.save(f, done, stateParams, optimizers,
                                history.toJson(), stateConfig, modelFile == null ? null : modelRef));
                    } else if (selected) {
                        bestModel.write(modelFile, model, record);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException("saving the " + (stateFile == null ? "model" : "training state")
                            + " after epoch " + epoch + ": " + IoErrors.describe(e), e);
                }
                LOG.info(logLine(record, metric));
                if (listener != null) {
                    try {
                        listener.onEpochEnd(record, history, model);
                    } catch (Exception e) {
                        throw new IllegalStateException("after epoch " + epoch + ": " + IoErrors.describe(e), e);
                    }
                }
                if (val != null) {
                    double v = val.get(metric);
                    if (v > bestVal) {
                        bestVal = v;
                        sinceBest = 0;
                    } else {
                        sinceBest += config.evalEvery();
                    }
                    if (config.patience() > 0 && sinceBest >= config.patience()) {
                        LOG.info("early stop: validation {} has not improved for {} epochs", metric, sinceBest);
                        break;
                    }
                }
            }
        } finally {
            tapes.releaseTemporaries();
        }
        return history;
    }

    private Map<String, Double> trainBatches(Recommender model, Adam optimizer, List<? extends Batch> batches,
                                             EpochContext context) {
        Map<String, Double> sums = new LinkedHashMap<>();
        progress.start(context.epoch(), batches.size());
        try {
            for (Batch batch : batches) {
                try (Tape tape = context.tapes().recording()) {
                    LossTerms terms = model.batchLoss(tape, batch, context);
                    optimizer.zeroGrad();
                    tape.backward(terms.total());
                    optimizer.step();
                    double total = terms.total().value().get(0, 0);
                    if (!Double.isFinite(total)) {
                        throw new IllegalStateException("loss became " + total + " in epoch " + context.epoch()
                                + "; lower the learning rate or check the data");
                    }
                    sums.merge("loss", total, Double::sum);
                    terms.partValues().forEach((k, v) -> sums.merge(k, v, Double::sum));
                }
                progress.step();
            }
        } finally {
            progress.end();
        }
        Map<String, Double> means = new LinkedHashMap<>();
        sums.forEach((k, v) -> means.put(k, v / batches.size()));
        return means;
    }

    static String logLine(EpochRecord r, String metric) {
        StringJoiner line = new StringJoiner(" | ");
        line.add("epoch " + r.epoch());
        StringJoiner losses = new StringJoiner(" ");
        r.losses().forEach((k, v) -> losses.add(k + "=" + String.format("%.5g", v)));
        line.add(losses.toString());
        if (r.evaluated()) {
            // The selection metric and NDCG at the same K (or Recall, when NDCG is the selection metric).
            String k = metric.substring(metric.indexOf('@'));
            String ndcg = metric.startsWith("ndcg") ? "recall" + k : "ndcg" + k;
            line.add(String.format("val %s=%.4f %s=%.4f", metric, r.val().get(metric), ndcg, r.val().get(ndcg)));
            line.add(String.format("test %s=%.4f %s=%.4f", metric, r.test().get(metric), ndcg, r.test().get(ndcg)));
        }
        StringJoiner phases = new StringJoiner(", ", "(", ")");
        r.seconds().forEach((k, v) -> phases.add(String.format("%s %.2fs", k, v)));
        line.add(String.format("%.2fs %s", r.totalSeconds(), phases));
        if (r.memoryMb().containsKey("rss")) {
            line.add(String.format("rss %.0f MB (peak %.0f MB)", r.memoryMb().get("rss"), r.memoryMb().get("peak_rss")));
        }
        return line.toString();
    }
}
