package org.diffmmj.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.Dataset;
import org.diffmmj.model.ModelSpec;
import org.diffmmj.model.Recommender;
import org.diffmmj.model.diffmm.DiffMMConfig;
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

    @Option(names = "--model", defaultValue = "diffmm",
            description = "Model: mf-bpr, lightgcn or diffmm (default: ${DEFAULT-VALUE}).")
    String model;

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

    @ArgGroup(validate = false, heading = "%nEmbedding models (mf-bpr, lightgcn):%n")
    EmbeddingOptions embedding = new EmbeddingOptions();

    @ArgGroup(validate = false, heading = "%nDiffMM (defaults: the algorithm document's section 7; a preset applies a dataset's overrides, explicit options win):%n")
    DiffMMOptions diffmm = new DiffMMOptions();

    static final class EmbeddingOptions {
        @Option(names = "--dim", defaultValue = "64", description = "Embedding size (default: ${DEFAULT-VALUE}).")
        int dim = 64;
        @Option(names = "--layers", defaultValue = "3", description = "LightGCN propagation layers (default: ${DEFAULT-VALUE}).")
        int layers = 3;
        @Option(names = "--reg", description = "L2 weight (default: 1e-4 for mf-bpr/lightgcn; DiffMM: preset's reg).")
        Float reg;
    }

    static final class DiffMMOptions {
        @Option(names = "--preset", description = "tiktok, baby or sports: the authors' per-dataset values.")
        String preset;
        @Option(names = "--gnn-layer") Integer gnnLayer;
        @Option(names = "--temp", description = "InfoNCE temperature.") Float temp;
        @Option(names = "--dims", split = ",", description = "Denoiser hidden sizes (default 1000).") int[] dims;
        @Option(names = "--d-emb-size", description = "Time-embedding size (default 10).") Integer dEmbSize;
        @Option(names = "--steps", description = "Diffusion steps T (default 5).") Integer steps;
        @Option(names = "--noise-scale") Double noiseScale;
        @Option(names = "--noise-min") Double noiseMin;
        @Option(names = "--noise-max") Double noiseMax;
        @Option(names = "--rebuild-k", description = "Items per user in a generated graph (default 1).") Integer rebuildK;
        @Option(names = "--ris-lambda") Float risLambda;
        @Option(names = "--ris-adj-lambda") Float risAdjLambda;
        @Option(names = "--keep-rate", description = "Edge-dropout keep probability of the modality graphs.") Float keepRate;
        @Option(names = "--e-loss", description = "Weight of the MSI loss.") Float eLoss;
        @Option(names = "--trans", description = "Feature transform: 0 leaky projection, 1 Linear, 2 Linear for text.") Integer trans;
        @Option(names = "--cl-method", description = "0 modality vs modality, 1 modality vs main view.") Integer clMethod;
        @Option(names = "--ssl-reg", description = "Weight of the contrastive loss.") Float sslReg;
        @Option(names = "--denoiser-lr", description = "Adam learning rate of the denoisers (default 1e-3).") Double denoiserLr;
    }

    ModelSpec modelSpec() {
        DiffMMConfig.Builder b = DiffMMConfig.builder();
        DiffMMOptions o = diffmm;
        if (o.preset != null) b.preset(o.preset);
        if (o.gnnLayer != null) b.gnnLayers(o.gnnLayer);
        if (o.temp != null) b.temperature(o.temp);
        if (o.dims != null) b.denoiserDims(o.dims);
        if (o.dEmbSize != null) b.timeEmbeddingDim(o.dEmbSize);
        if (o.steps != null) b.steps(o.steps);
        if (o.noiseScale != null) b.noiseScale(o.noiseScale);
        if (o.noiseMin != null) b.noiseMin(o.noiseMin);
        if (o.noiseMax != null) b.noiseMax(o.noiseMax);
        if (o.rebuildK != null) b.rebuildK(o.rebuildK);
        if (o.risLambda != null) b.risLambda(o.risLambda);
        if (o.risAdjLambda != null) b.risAdjLambda(o.risAdjLambda);
        if (o.keepRate != null) b.keepRate(o.keepRate);
        if (o.eLoss != null) b.eLoss(o.eLoss);
        if (o.trans != null) b.trans(o.trans);
        if (o.clMethod != null) b.clMethod(o.clMethod);
        if (o.sslReg != null) b.sslReg(o.sslReg);
        if (o.denoiserLr != null) b.denoiserLearningRate(o.denoiserLr);
        if (embedding.reg != null) b.reg(embedding.reg);
        b.dim(embedding.dim).batch(batch);
        float reg = embedding.reg != null ? embedding.reg : 1e-4f;
        return new ModelSpec(model, embedding.dim, embedding.layers, reg, b.build());
    }

    TrainingConfig trainingConfig() {
        return TrainingConfig.builder().epochs(epochs).learningRate(lr).batchSize(batch).seed(seed)
                .evalEvery(evalEvery).patience(patience).selectionMetric(metric).ks(ks)
                .progress(!noProgress).build();
    }

    @Override
    public Integer call() throws Exception {
        ModelSpec spec = modelSpec();
        TrainingConfig config = trainingConfig();
        Dataset dataset = data.load();
        if (out != null) {
            Files.createDirectories(out);
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
            Trainer.EpochListener listener = out == null ? null
                    : (record, h, m) -> h.writeJson(out.resolve("metrics.json"));
            history = new Trainer(config).fit(recommender, dataset, runInfo, listener);
        }
        if (out != null) {
            history.writeJson(out.resolve("metrics.json"));
            CurvePlot.write(history, out.resolve("curves.png"));
        }
        printSummary(history);
        if (out != null) {
            System.out.println("wrote " + out.resolve("metrics.json") + " and " + out.resolve("curves.png"));
        }
        return 0;
    }

    private void printSummary(TrainingHistory history) {
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
