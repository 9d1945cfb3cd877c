package org.diffmmj.model.diffmm;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Every hyperparameter of the algorithm document's section 7, with its common defaults;
 * {@link Builder#preset(String)} applies a dataset's overrides (tiktok, baby, sports).
 */
public final class DiffMMConfig {

    public final int dim;
    public final int gnnLayers;
    public final float temperature;
    public final int[] denoiserDims;
    public final int timeEmbeddingDim;
    public final int steps;
    public final double noiseScale;
    public final double noiseMin;
    public final double noiseMax;
    public final int rebuildK;
    public final float risLambda;
    public final float risAdjLambda;
    public final float keepRate;
    public final float eLoss;
    public final int trans;
    public final int clMethod;
    public final float reg;
    public final float sslReg;
    public final double denoiserLearningRate;
    public final float denoiserDropout;
    public final int batch;
    public final int diffusionBatch;
    public final String preset;

    private DiffMMConfig(Builder b) {
        dim = b.dim;
        gnnLayers = b.gnnLayers;
        temperature = b.temperature;
        denoiserDims = b.denoiserDims.clone();
        timeEmbeddingDim = b.timeEmbeddingDim;
        steps = b.steps;
        noiseScale = b.noiseScale;
        noiseMin = b.noiseMin;
        noiseMax = b.noiseMax;
        rebuildK = b.rebuildK;
        risLambda = b.risLambda;
        risAdjLambda = b.risAdjLambda;
        keepRate = b.keepRate;
        eLoss = b.eLoss;
        trans = b.trans;
        clMethod = b.clMethod;
        reg = b.reg;
        sslReg = b.sslReg;
        denoiserLearningRate = b.denoiserLearningRate;
        denoiserDropout = b.denoiserDropout;
        batch = b.batch;
        diffusionBatch = b.diffusionBatch;
        preset = b.preset;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preset", preset);
        m.put("dim", dim);
        m.put("gnn_layer", gnnLayers);
        m.put("temp", temperature);
        m.put("dims", Arrays.toString(denoiserDims));
        m.put("d_emb_size", timeEmbeddingDim);
        m.put("steps", steps);
        m.put("noise_scale", noiseScale);
        m.put("noise_min", noiseMin);
        m.put("noise_max", noiseMax);
        m.put("rebuild_k", rebuildK);
        m.put("ris_lambda", risLambda);
        m.put("ris_adj_lambda", risAdjLambda);
        m.put("keepRate", keepRate);
        m.put("e_loss", eLoss);
        m.put("trans", trans);
        m.put("cl_method", clMethod);
        m.put("reg", reg);
        m.put("ssl_reg", sslReg);
        m.put("denoiser_lr", denoiserLearningRate);
        m.put("denoiser_dropout", denoiserDropout);
        m.put("batch", batch);
        m.put("diffusion_batch", diffusionBatch);
        return m;
    }

    public static final class Builder {
        private int dim = 64;
        private int gnnLayers = 1;
        private float temperature = 0.5f;
        private int[] denoiserDims = {1000};
        private int timeEmbeddingDim = 10;
        private int steps = 5;
        private double noiseScale = 0.1;
        private double noiseMin = 1e-4;
        private double noiseMax = 0.02;
        private int rebuildK = 1;
        private float risLambda = 0.5f;
        private float risAdjLambda = 0.2f;
        private float keepRate = 0.5f;
        private float eLoss = 0.1f;
        private int trans = 0;
        private int clMethod = 0;
        private float reg = 1e-5f;
        private float sslReg = 1e-1f;
        private double denoiserLearningRate = 1e-3;
        private float denoiserDropout = 0.5f;
        private int batch = 1024;
        private int diffusionBatch = 1024;
        private String preset = "none";

        /** Applies the authors' per-dataset overrides on top of the common values. */
        public Builder preset(String name) {
            switch (name.toLowerCase(Locale.ROOT)) {
                case "tiktok" -> { reg = 1e-4f; sslReg = 1e-2f; trans = 1; eLoss = 0.1f; clMethod = 1; }
                case "baby" -> { reg = 1e-5f; sslReg = 1e-1f; keepRate = 1f; eLoss = 0.01f; }
                case "sports" -> {
                    reg = 1e-6f; sslReg = 1e-2f; temperature = 0.1f; risLambda = 0.1f; eLoss = 0.5f;
                    keepRate = 1f; trans = 1;
                }
                case "none" -> { }
                default -> throw new IllegalArgumentException("unknown preset '" + name
                        + "'; choose tiktok, baby or sports");
            }
            preset = name.toLowerCase(Locale.ROOT);
            return this;
        }

        public Builder dim(int v) { dim = positive("dim", v); return this; }
        public Builder gnnLayers(int v) {
            if (v < 0) throw new IllegalArgumentException("gnn_layer must be >= 0, got " + v);
            gnnLayers = v; return this;
        }
        public Builder temperature(float v) { temperature = positive("temp", v); return this; }
        public Builder denoiserDims(int... v) {
            if (v.length == 0) throw new IllegalArgumentException("dims needs at least one hidden size");
            for (int x : v) positive("dims", x);
            denoiserDims = v.clone(); return this;
        }
        public Builder timeEmbeddingDim(int v) { timeEmbeddingDim = positive("d_emb_size", v); return this; }
        public Builder steps(int v) { steps = positive("steps", v); return this; }
        public Builder noiseScale(double v) { noiseScale = positive("noise_scale", v); return this; }
        public Builder noiseMin(double v) { noiseMin = positive("noise_min", v); return this; }
        public Builder noiseMax(double v) { noiseMax = positive("noise_max", v); return this; }
        public Builder rebuildK(int v) { rebuildK = positive("rebuild_k", v); return this; }
        public Builder risLambda(float v) { risLambda = v; return this; }
        public Builder risAdjLambda(float v) { risAdjLambda = v; return this; }
        public Builder keepRate(float v) {
            if (!(v > 0 && v <= 1)) throw new IllegalArgumentException("keepRate must be in (0, 1], got " + v);
            keepRate = v; return this;
        }
        public Builder eLoss(float v) { eLoss = v; return this; }
        public Builder trans(int v) {
            if (v < 0 || v > 2) throw new IllegalArgumentException("trans must be 0, 1 or 2, got " + v);
            trans = v; return this;
        }
        public Builder clMethod(int v) {
            if (v != 0 && v != 1) throw new IllegalArgumentException("cl_method must be 0 or 1, got " + v);
            clMethod = v; return this;
        }
        public Builder reg(float v) { reg = v; return this; }
        public Builder sslReg(float v) { sslReg = v; return this; }
        public Builder denoiserLearningRate(double v) { denoiserLearningRate = positive("denoiser lr", v); return this; }
        public Builder denoiserDropout(float v) {
            if (!(v >= 0 && v < 1)) throw new IllegalArgumentException("denoiser dropout must be in [0, 1), got " + v);
            denoiserDropout = v; return this;
        }
        public Builder batch(int v) { batch = positive("batch", v); return this; }
        public Builder diffusionBatch(int v) { diffusionBatch = positive("diffusion batch", v); return this; }

        public DiffMMConfig build() {
            if (noiseMax < noiseMin) {
                throw new IllegalArgumentException("noise_max (" + noiseMax + ") < noise_min (" + noiseMin + ")");
            }
            return new DiffMMConfig(this);
        }

        private static int positive(String what, int v) {
            if (v <= 0) throw new IllegalArgumentException(what + " must be > 0, got " + v);
            return v;
        }

        private static float positive(String what, float v) {
            if (!(v > 0)) throw new IllegalArgumentException(what + " must be > 0, got " + v);
            return v;
        }

        private static double positive(String what, double v) {
            if (!(v > 0)) throw new IllegalArgumentException(what + " must be > 0, got " + v);
            return v;
        }
    }
}
