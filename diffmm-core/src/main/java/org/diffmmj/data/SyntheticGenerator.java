package org.diffmmj.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A synthetic multi-modal dataset with a planted structure: users and items have latent vectors
 * drawn around a few shared clusters; a user's interactions are sampled by affinity plus a
 * power-law item popularity; each modality's features are a noisy linear map of the item's
 * latent vector, so features carry real signal. Some items are cold (no training
 * interaction, only held-out ones and their features). Deterministic for a seed.
 */
public final class SyntheticGenerator {

    private final int users;
    private final int items;
    private final Map<String, Integer> modalities;
    private final long seed;
    private int clusters = 20;
    private int latentDim = 16;
    private double meanInteractions = 30;
    private double coldItemFraction = 0.08;
    private double featureNoise = 0.5;
    private double affinity = 2.0;

    public SyntheticGenerator(int users, int items, Map<String, Integer> modalities, long seed) {
        if (users < 10 || items < 10) {
            throw new IllegalArgumentException("need at least 10 users and 10 items, got " + users + " and " + items);
        }
        for (Map.Entry<String, Integer> m : modalities.entrySet()) {
            if (!m.getKey().matches("[A-Za-z0-9_-]+") || m.getValue() < 1) {
                throw new IllegalArgumentException("bad modality " + m.getKey() + ":" + m.getValue());
            }
        }
        this.users = users;
        this.items = items;
        this.modalities = new LinkedHashMap<>(modalities);
        this.seed = seed;
    }

    public SyntheticGenerator meanInteractions(double v) {
        if (!(v >= 3)) {
            throw new IllegalArgumentException("mean interactions per user must be >= 3, got " + v);
        }
        meanInteractions = v;
        return this;
    }

    public SyntheticGenerator coldItemFraction(double v) {
        coldItemFraction = v;
        return this;
    }

    /** Parses "image:128,text:64". */
    public static Map<String, Integer> parseModalities(String spec) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (spec == null || spec.isBlank()) {
            return out;
        }
        for (String part : spec.split(",")) {
            String[] kv = part.trim().split(":");
            if (kv.length != 2) {
                throw new IllegalArgumentException("modality '" + part + "' should look like name:dims, e.g. image:128");
            }
            int dims;
            try {
                dims = Integer.parseInt(kv[1].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("modality '" + part + "': dims must be an integer");
            }
            out.put(kv[0].trim(), dims);
        }
        return out;
    }

    public Dataset generate(String name) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] centers = gaussian(rnd, clusters, latentDim, 1.0);
        double[][] itemLatent = new double[items][];
        for (int i = 0; i < items; i++) {
            itemLatent[i] = around(rnd, centers[rnd.nextInt(clusters)], 0.8);
        }
        double[][] userLatent = new double[users][];
        for (int u = 0; u < users; u++) {
            double[] a = centers[rnd.nextInt(clusters)];
            double[] b = centers[rnd.nextInt(clusters)];
            double mix = 0.6 + 0.4 * rnd.nextDouble();
            double[] mixed = new double[latentDim];
            for (int k = 0; k < latentDim; k++) {
                mixed[k] = mix * a[k] + (1 - mix) * b[k];
            }
            userLatent[u] = around(rnd, mixed, 0.5);
        }
        // Power-law popularity over a random item order.
        int[] rank = permutation(rnd, items);
        double[] popularity = new double[items];
        for (int i = 0; i < items; i++) {
            popularity[i] = -0.5 * Math.log(rank[i] + 1.0);
        }
        boolean[] cold = new boolean[items];
        int coldCount = (int) Math.round(coldItemFraction * items);
        int[] order = permutation(rnd, items);
        for (int k = 0; k < coldCount; k++) {
            cold[order[k]] = true;
        }
        List<int[]> train = new ArrayList<>();
        List<int[]> val = new ArrayList<>();
        List<int[]> test = new ArrayList<>();
        double scale = affinity / Math.sqrt(latentDim);
        double[] key = new double[items];
        Integer[] idx = new Integer[items];
        for (int u = 0; u < users; u++) {
            int n = (int) Math.round(Math.exp(Math.log(meanInteractions) - 0.18 + 0.6 * rnd.nextGaussian()));
            n = Math.max(5, Math.min(n, items / 3));
            for (int i = 0; i < items; i++) {
                double dot = 0;
                for (int k = 0; k < latentDim; k++) {
                    dot += userLatent[u][k] * itemLatent[i][k];
                }
                double gumbel = -Math.log(-Math.log(rnd.nextDouble() * (1 - 1e-12) + 1e-12));
                key[i] = scale * dot + popularity[i] + gumbel;
                idx[i] = i;
            }
            Arrays.sort(idx, (p, q) -> Double.compare(key[q], key[p]));
            int[] chosen = new int[n];
            for (int k = 0; k < n; k++) {
                chosen[k] = idx[k];
            }
            int[] shuffled = permutation(rnd, n);
            int nTest = Math.max(1, (int) Math.round(0.12 * n));
            int nVal = Math.max(1, (int) Math.round(0.08 * n));
            for (int k = 0; k < n; k++) {
                int item = chosen[shuffled[k]];
                int[] pair = {u, item};
                if (k < nTest) {
                    test.add(pair);
                } else if (k < nTest + nVal) {
                    val.add(pair);
                } else if (cold[item]) {
                    (rnd.nextBoolean() ? test : val).add(pair);
                } else {
                    train.add(pair);
                }
            }
        }
        Map<String, FeatureMatrix> features = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> m : modalities.entrySet()) {
            int dims = m.getValue();
            double[][] map = gaussian(rnd, dims, latentDim, 1.0 / Math.sqrt(latentDim));
            float[] data = new float[items * dims];
            for (int i = 0; i < items; i++) {
                for (int c = 0; c < dims; c++) {
                    double v = 0;
                    for (int k = 0; k < latentDim; k++) {
                        v += map[c][k] * itemLatent[i][k];
                    }
                    data[i * dims + c] = (float) (v + featureNoise * rnd.nextGaussian());
                }
            }
            features.put(m.getKey(), new FeatureMatrix(m.getKey(), items, dims, data));
        }
        return new Dataset(name, pairs(train), pairs(val), pairs(test), features,
                IdMapping.identity(users), IdMapping.identity(items));
    }

    private Interactions pairs(List<int[]> list) {
        int[] u = new int[list.size()];
        int[] i = new int[list.size()];
        for (int k = 0; k < list.size(); k++) {
            u[k] = list.get(k)[0];
            i[k] = list.get(k)[1];
        }
        return Interactions.fromPairs(users, items, u, i);
    }

    private static double[][] gaussian(SplittableRandom rnd, int rows, int cols, double std) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = std * rnd.nextGaussian();
            }
        }
        return m;
    }

    private double[] around(SplittableRandom rnd, double[] center, double std) {
        double[] v = new double[center.length];
        for (int k = 0; k < v.length; k++) {
            v[k] = center[k] + std * rnd.nextGaussian();
        }
        return v;
    }

    private static int[] permutation(SplittableRandom rnd, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
