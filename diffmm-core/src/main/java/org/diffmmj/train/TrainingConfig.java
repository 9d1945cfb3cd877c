package org.diffmmj.train;

import java.util.Arrays;

import org.diffmmj.config.ConfigSchema;
import org.diffmmj.config.Key;

/**
 * Settings of the shared training loop (not of any model), as config keys. The nominal batch
 * size lives here only: models that divide by it (DiffMM's BPR term) read it from the epoch
 * context.
 */
public record TrainingConfig(
        @Key(doc = "Training epochs", min = 1) int epochs,
        @Key(name = "lr", doc = "Learning rate of the main Adam optimiser", min = 0, minExclusive = true)
        double learningRate,
        @Key(name = "batch", doc = "Nominal batch size: rows per batch, and the divisor of batch-mean losses", min = 1)
        int batchSize,
        @Key(doc = "Random seed; same seed, same numbers") long seed,
        @Key(doc = "Evaluate every n epochs (and after the last)", min = 1) int evalEvery,
        @Key(doc = "Epochs without validation improvement before stopping; 0 never stops early", min = 0) int patience,
        @Key(name = "metric", doc = "Validation metric for model selection, e.g. recall@20") String selectionMetric,
        @Key(doc = "Cut-offs K for Recall/Precision/NDCG", min = 1) int[] ks) {

    public static final TrainingConfig DEFAULTS = new TrainingConfig(50, 1e-3, 1024, 421, 1, 0, "recall@20",
            new int[] {10, 20, 50});

    public static final ConfigSchema<TrainingConfig> SCHEMA = ConfigSchema.of(TrainingConfig.class, DEFAULTS);

    public TrainingConfig {
        ks = ks.clone();
        if (ks.length == 0) {
            throw new IllegalArgumentException("at least one K is needed");
        }
        String[] parts = selectionMetric.split("@");
        boolean known = parts.length == 2 && org.diffmmj.eval.Evaluator.METRICS.contains(parts[0])
                && parts[1].matches("\\d{1,9}");
        if (!known) {
            throw new IllegalArgumentException("key 'metric' must be NAME@K with NAME one of "
                    + org.diffmmj.eval.Evaluator.METRICS + " (e.g. recall@20), got " + selectionMetric);
        }
        int k = Integer.parseInt(parts[1]);
        if (Arrays.stream(ks).noneMatch(x -> x == k)) {
            throw new IllegalArgumentException("key 'metric' is " + selectionMetric + " but K=" + k
                    + " is not among the evaluated ks " + Arrays.toString(ks));
        }
    }

    @Override
    public int[] ks() {
        return ks.clone();
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "epochs=" + epochs + " batch=" + batchSize + " lr=" + learningRate + " seed=" + seed
                + " evalEvery=" + evalEvery + " patience=" + patience + " select=" + selectionMetric
                + " ks=" + Arrays.toString(ks);
    }

    /** For code that builds a config by hand (tests, embedding applications). */
    public static final class Builder {
        private int epochs = DEFAULTS.epochs;
        private double learningRate = DEFAULTS.learningRate;
        private int batchSize = DEFAULTS.batchSize;
        private long seed = DEFAULTS.seed;
        private int evalEvery = DEFAULTS.evalEvery;
        private int patience = DEFAULTS.patience;
        private String selectionMetric = DEFAULTS.selectionMetric;
        private int[] ks = DEFAULTS.ks;

        public Builder epochs(int v) { epochs = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder learningRate(double v) { learningRate = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder evalEvery(int v) { evalEvery = v; return this; }
        public Builder patience(int v) { patience = v; return this; }
        public Builder selectionMetric(String v) { selectionMetric = v; return this; }
        public Builder ks(int... v) { ks = v.clone(); return this; }

        /** Checks every value against its key's range, as a config file's would be. */
        public TrainingConfig build() {
            TrainingConfig c = new TrainingConfig(epochs, learningRate, batchSize, seed, evalEvery, patience,
                    selectionMetric, ks);
            var values = SCHEMA.toMap(c);
            values.forEach((k, v) -> SCHEMA.convert(SCHEMA.key(k).orElseThrow(), v, null));
            return c;
        }
    }
}
