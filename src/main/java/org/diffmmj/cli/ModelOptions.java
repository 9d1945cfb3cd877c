package org.diffmmj.cli;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

import org.diffmmj.model.ModelSpec;
import org.diffmmj.model.diffmm.DiffMMConfig;

/** Which model to build and its hyperparameters; shared by train and bench. */
public final class ModelOptions {

    @Option(names = "--model", defaultValue = "diffmm",
            description = "Model: mf-bpr, lightgcn or diffmm (default: ${DEFAULT-VALUE}).")
    String model;

    @ArgGroup(validate = false, heading = "%nEvery model:%n")
    EmbeddingOptions embedding = new EmbeddingOptions();

    @ArgGroup(validate = false, heading = "%nDiffMM (defaults: the algorithm document's section 7; a preset applies a dataset's overrides, explicit options win):%n")
    DiffMMOptions diffmm = new DiffMMOptions();

    static final class EmbeddingOptions {
        @Option(names = "--dim", defaultValue = "64", description = "Embedding size d (default: ${DEFAULT-VALUE}).")
        int dim = 64;
        @Option(names = "--layers", defaultValue = "3", description = "LightGCN only: propagation layers (default: ${DEFAULT-VALUE}).")
        int layers = 3;
        @Option(names = "--reg", description = "L2 weight (default: 1e-4 for mf-bpr and lightgcn; for diffmm the preset's, else 1e-5).")
        Float reg;
    }

    static final class DiffMMOptions {
        @Option(names = "--preset", description = "tiktok, baby or sports: the authors' per-dataset values.")
        String preset;
        @Option(names = "--gnn-layer", description = "Propagation layers on the interaction graph (default 1).") Integer gnnLayer;
        @Option(names = "--temp", description = "InfoNCE temperature (default 0.5).") Float temp;
        @Option(names = "--dims", split = ",", description = "Denoiser hidden sizes (default 1000).") int[] dims;
        @Option(names = "--d-emb-size", description = "Time-embedding size (default 10).") Integer dEmbSize;
        @Option(names = "--steps", description = "Diffusion steps T (default 5).") Integer steps;
        @Option(names = "--noise-scale", description = "Noise scale s of the schedule (default 0.1).") Double noiseScale;
        @Option(names = "--noise-min", description = "Smallest noise level (default 1e-4).") Double noiseMin;
        @Option(names = "--noise-max", description = "Largest noise level (default 0.02).") Double noiseMax;
        @Option(names = "--rebuild-k", description = "Items per user in a generated graph (default 1).") Integer rebuildK;
        @Option(names = "--ris-lambda", description = "Weight of N(E_mod) added to the final embeddings (default 0.5).") Float risLambda;
        @Option(names = "--ris-adj-lambda", description = "Weight of the modality-graph term (default 0.2).") Float risAdjLambda;
        @Option(names = "--keep-rate", description = "Edge-dropout keep probability of the modality graphs (default 0.5).") Float keepRate;
        @Option(names = "--e-loss", description = "Weight of the MSI loss (default 0.1).") Float eLoss;
        @Option(names = "--trans", description = "Feature transform: 0 leaky projection, 1 Linear, 2 Linear for text (default 0).") Integer trans;
        @Option(names = "--cl-method", description = "0 modality vs modality, 1 modality vs main view (default 0).") Integer clMethod;
        @Option(names = "--ssl-reg", description = "Weight of the contrastive loss (default 0.1).") Float sslReg;
        @Option(names = "--denoiser-lr", description = "Adam learning rate of the denoisers (default 1e-3).") Double denoiserLr;
    }

    /** The model these options describe; {@code batch} is the training batch (DiffMM's BPR divisor). */
    public ModelSpec spec(int batch) {
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
}
