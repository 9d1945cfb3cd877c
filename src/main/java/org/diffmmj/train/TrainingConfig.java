package org.diffmmj.train;

import java.util.Arrays;

/** Settings of the shared training loop (not of any model). Built with {@link #builder()}. */
public final class TrainingConfig {

    private final int epochs;
    private final int batchSize;
    private final double learningRate;
    private final long seed;
    private final int evalEvery;
    private final int patience;
    private final String selectionMetric;
    private final int[] ks;
    private final boolean progress;

    private TrainingConfig(Builder b) {
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.seed = b.seed;
        this.evalEvery = b.evalEvery;
        this.patience = b.patience;
        this.selectionMetric = b.selectionMetric;
        this.ks = b.ks.clone();
        this.progress = b.progress;
    }

    public static Builder builder() {
        return new Builder();
    }

    public int epochs() { return epochs; }
    public int batchSize() { return batchSize; }
    public double learningRate() { return learningRate; }
    public long seed() { return seed; }
    public int evalEvery() { return evalEvery; }
    /** Epochs without validation improvement before stopping; 0 disables early stopping. */
    public int patience() { return patience; }
    public String selectionMetric() { return selectionMetric; }
    public int[] ks() { return ks.clone(); }
    public boolean progress() { return progress; }

    @Override
    public String toString() {
        return "epochs=" + epochs + " batch=" + batchSize + " lr=" + learningRate + " seed=" + seed
                + " evalEvery=" + evalEvery + " patience=" + patience + " select=" + selectionMetric
                + " ks=" + Arrays.toString(ks);
    }

    public static final class Builder {
        private int epochs = 50;
        private int batchSize = 1024;
        private double learningRate = 1e-3;
        private long seed = 421;
        private int evalEvery = 1;
        private int patience = 0;
        private String selectionMetric = "recall@20";
        private int[] ks = {10, 20, 50};
        private boolean progress = true;

        public Builder epochs(int v) { positive("epochs", v); epochs = v; return this; }
        public Builder batchSize(int v) { positive("batch size", v); batchSize = v; return this; }
        public Builder learningRate(double v) {
            if (!(v > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + v);
            learningRate = v; return this;
        }
        public Builder seed(long v) { seed = v; return this; }
        public Builder evalEvery(int v) { positive("eval-every", v); evalEvery = v; return this; }
        public Builder patience(int v) {
            if (v < 0) throw new IllegalArgumentException("patience must be >= 0, got " + v);
            patience = v; return this;
        }
        public Builder selectionMetric(String v) { selectionMetric = v; return this; }
        public Builder ks(int... v) {
            if (v.length == 0) throw new IllegalArgumentException("at least one K is needed");
            for (int k : v) positive("K", k);
            ks = v.clone(); return this;
        }
        public Builder progress(boolean v) { progress = v; return this; }

        public TrainingConfig build() {
            String[] parts = selectionMetric.split("@");
            boolean known = parts.length == 2 && (parts[0].equals("recall") || parts[0].equals("ndcg")
                    || parts[0].equals("precision"));
            if (!known) {
                throw new IllegalArgumentException("selection metric must look like recall@20, ndcg@20 or precision@20, got "
                        + selectionMetric);
            }
            int k = Integer.parseInt(parts[1]);
            if (Arrays.stream(ks).noneMatch(x -> x == k)) {
                throw new IllegalArgumentException("selection metric " + selectionMetric + " needs K=" + k
                        + " among the evaluated Ks " + Arrays.toString(ks));
            }
            return new TrainingConfig(this);
        }

        private static void positive(String what, int v) {
            if (v <= 0) throw new IllegalArgumentException(what + " must be > 0, got " + v);
        }
    }
}
