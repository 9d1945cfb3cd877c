package org.diffmmj.model.diffmm;

import java.util.Map;

import org.diffmmj.config.Key;

/**
 * Every DiffMM hyperparameter (the paper's and the authors' code's), named as the authors'
 * {@code Params.py} names them, with the common defaults in {@link #DEFAULTS}; {@link #PRESETS}
 * holds the authors' per-dataset overrides (their README's flags for TikTok, Baby and Sports).
 * The BPR divisor is the training loop's nominal batch size, not a key of its own.
 */
public record DiffMMConfig(
        @Key(doc = "Embedding size d", min = 1) int dim,
        @Key(name = "gnn_layer", doc = "Propagation layers on the interaction graph", min = 0) int gnnLayers,
        @Key(name = "temp", doc = "InfoNCE temperature", min = 0, minExclusive = true) float temperature,
        @Key(name = "dims", doc = "Denoiser hidden sizes in the authors' order: [a, b] runs items, b, a, b, items", min = 1) int[] denoiserDims,
        @Key(name = "d_emb_size", doc = "Time-embedding size", min = 1) int timeEmbeddingDim,
        @Key(doc = "Diffusion steps T", min = 1) int steps,
        @Key(doc = "Noise scale s of the schedule", min = 0, minExclusive = true) double noiseScale,
        @Key(doc = "Smallest noise level", min = 0, minExclusive = true) double noiseMin,
        @Key(doc = "Largest noise level", min = 0, minExclusive = true) double noiseMax,
        @Key(doc = "Items per user in a generated modality graph", min = 1) int rebuildK,
        @Key(doc = "Weight of N(E_mod) added to the final embeddings") float risLambda,
        @Key(doc = "Weight of the modality-graph term") float risAdjLambda,
        @Key(name = "keepRate", doc = "Edge-dropout keep probability of the modality graphs", min = 0,
                minExclusive = true, max = 1) float keepRate,
        @Key(doc = "Weight of the modality signal injection (MSI) loss") float eLoss,
        @Key(doc = "Feature transform: LeakyReLU(F·W), a Linear layer, or Linear for text only (authors' 0, 1, 2)",
                choices = {"0", "1", "2"}, names = {"leaky", "linear", "text-linear"}) int trans,
        @Key(doc = "What the contrastive loss pairs: modality views with each other, or each with the main view (authors' 0, 1)",
                choices = {"0", "1"}, names = {"modalities", "main"}) int clMethod,
        @Key(doc = "L2 weight on the embeddings", min = 0) float reg,
        @Key(doc = "Weight of the contrastive loss", min = 0) float sslReg,
        @Key(name = "denoiser_lr", doc = "Adam learning rate of the denoisers", min = 0, minExclusive = true)
        double denoiserLearningRate,
        @Key(doc = "Dropout on the denoiser's input while training", min = 0, max = 1, maxExclusive = true)
        float denoiserDropout,
        @Key(doc = "Users per denoiser batch (diffusion training and graph generation)", min = 1) int diffusionBatch) {

    public static final DiffMMConfig DEFAULTS = new DiffMMConfig(64, 1, 0.5f, new int[] {1000}, 10, 5, 0.1, 1e-4,
            0.02, 1, 0.5f, 0.2f, 0.5f, 0.1f, 0, 0, 1e-5f, 1e-1f, 1e-3, 0.5f, 1024);

    public static final Map<String, Map<String, Object>> PRESETS = Map.of(
            "tiktok", Map.of("reg", 1e-4, "ssl_reg", 1e-2, "trans", "linear", "e_loss", 0.1, "cl_method", "main"),
            "baby", Map.of("reg", 1e-5, "ssl_reg", 1e-1, "keepRate", 1, "e_loss", 0.01),
            "sports", Map.of("reg", 1e-6, "ssl_reg", 1e-2, "temp", 0.1, "ris_lambda", 0.1, "e_loss", 0.5,
                    "keepRate", 1, "trans", "linear"));

    public DiffMMConfig {
        denoiserDims = denoiserDims.clone();
        if (noiseMax < noiseMin) {
            throw new IllegalArgumentException("noise_max (" + noiseMax + ") must be >= noise_min (" + noiseMin + ")");
        }
    }

    @Override
    public int[] denoiserDims() {
        return denoiserDims.clone();
    }
}
