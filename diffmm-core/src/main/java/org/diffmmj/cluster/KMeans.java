package org.diffmmj.cluster;

import java.nio.FloatBuffer;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Lloyd's k-means as faiss runs it ({@code faiss.Kmeans(d, k).train(x)}, i.e. {@code
 * Clustering::train} with its default {@code ClusteringParameters}: {@code niter} 25, {@code
 * nredo} 1, not spherical), followed by faiss' {@code kmeans.index.search(x, 1)} for each point's
 * cluster. Ported from facebookresearch/faiss {@code faiss/Clustering.cpp} ({@code train_encoded},
 * {@code compute_centroids}, {@code split_clusters}; faiss is not mirrored here, so no commit is
 * pinned, and it cannot run here, so the port is pinned by hand cases in {@code KMeansTest}) for
 * NCL's E-step (RecBole's {@code NCL.run_kmeans}):
 * <ul>
 * <li>training set: all points, or, where there are more than 256·k of them ({@code
 * max_points_per_centroid}), 256·k drawn at random without replacement;</li>
 * <li>initial centroids: k distinct training points drawn at random (faiss' {@code rand_perm},
 * first k);</li>
 * <li>each of the {@code iterations} rounds: every point to its nearest centroid in squared L2
 * (ties to the lower index, as faiss' exhaustive search keeps the first), each centroid to the
 * mean of its points, then every empty cluster split off a populated one as faiss does: cluster j
 * is taken with probability (|j| − 1)/(n − k), scanning j = 0, 1, … cyclically, the empty
 * centroid becomes a copy of j's, and the two are pushed apart by the factors 1 ± 1/1024 with
 * alternating signs per dimension; j's count is then halved between the two;</li>
 * <li>assignments: each point's nearest final centroid (faiss' search on the trained index);</li>
 * <li>n = k: the centroids are the points (faiss' corner case); n &lt; k is refused, as by faiss.</li>
 * </ul>
 * Departures: the random draws come from the caller's {@link Rng} (faiss seeds its permutation with
 * its fixed {@code seed} 1234 and its split draws with its own generator), so equal seeds give
 * equal clusterings and the caller decides the stream; centroid sums are accumulated in double
 * (faiss sums in float), and distances are compared as ‖c‖² − 2⟨x, c⟩ (faiss adds ‖x‖², which is
 * the same for every centroid of a point). Products go through {@link Blas#gemm} in row blocks.
 */
public final class KMeans {

    /** faiss' {@code ClusteringParameters.niter} default. */
    public static final int FAISS_ITERATIONS = 25;
    /** faiss' {@code EPS} in {@code split_clusters}. */
    static final float SPLIT_EPS = 1f / 1024f;
    /** faiss' {@code ClusteringParameters.max_points_per_centroid} default: larger sets are subsampled. */
    public static final int MAX_POINTS_PER_CENTROID = 256;
    /** Rows of points whose inner products with all centroids are formed at once. */
    private static final int BLOCK = 1024;

    /**
     * k centroids (row-major, k × d) and, for each point, the index of its nearest centroid.
     */
    public record Result(int k, int dim, float[] centroids, int[] assignments) {
        /** Centroid c's coordinates. */
        public float[] centroid(int c) {
            float[] out = new float[dim];
            System.arraycopy(centroids, c * dim, out, 0, dim);
            return out;
        }
    }

    private KMeans() {
    }

    /**
     * Clusters the rows of {@code points} into k groups with faiss' random initialisation.
     *
     * @throws IllegalArgumentException for k &lt; 1, k &gt; rows, or iterations &lt; 0
     */
    public static Result fit(Tensor points, int k, int iterations, Rng rng) {
        int n = points.rows();
        int d = points.cols();
        if (k < 1 || k > n) {
            throw new IllegalArgumentException("k-means: " + k + " clusters for " + n
                    + " points (at least as many points as clusters are needed)");
        }
        if (iterations < 0) {
            throw new IllegalArgumentException("k-means: iterations must be >= 0, got " + iterations);
        }
        float[] x = points.toArray();
        float[] centroids = new float[k * d];
        if (n == k) {
            System.arraycopy(x, 0, centroids, 0, n * d);
            return new Result(k, d, centroids, assign(x, n, d, centroids, k));
        }
        // faiss trains on at most max_points_per_centroid·k points, a random subset.
        float[] train = x;
        int m = n;
        if ((long) n > (long) MAX_POINTS_PER_CENTROID * k) {
            m = MAX_POINTS_PER_CENTROID * k;
            int[] sample = firstOfPermutation(n, m, rng);
            train = new float[m * d];
            for (int i = 0; i < m; i++) {
                System.arraycopy(x, sample[i] * d, train, i * d, d);
            }
        }
        // faiss' rand_perm, of which the first k are the initial centroids.
        int[] init = firstOfPermutation(m, k, rng);
        for (int i = 0; i < k; i++) {
            System.arraycopy(train, init[i] * d, centroids, i * d, d);
        }
        lloyd(train, m, d, centroids, k, iterations, rng);
        return new Result(k, d, centroids, assign(x, n, d, centroids, k));
    }

    /** The first {@code count} entries of a random permutation of 0..n−1 (partial Fisher–Yates). */
    private static int[] firstOfPermutation(int n, int count, Rng rng) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < count; i++) {
            int j = i + rng.nextInt(n - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return java.util.Arrays.copyOf(perm, count);
    }

    /**
     * Lloyd's rounds from given initial centroids (k × d, row-major; not modified); {@code rng}
     * draws only the empty-cluster splits.
     */
    public static Result fit(Tensor points, float[] initialCentroids, int iterations, Rng rng) {
        int n = points.rows();
        int d = points.cols();
        if (d == 0 || initialCentroids.length % d != 0 || initialCentroids.length == 0) {
            throw new IllegalArgumentException("k-means: " + initialCentroids.length + " centroid values for width " + d);
        }
        int k = initialCentroids.length / d;
        if (k > n) {
            throw new IllegalArgumentException("k-means: " + k + " clusters for " + n + " points");
        }
        if (iterations < 0) {
            throw new IllegalArgumentException("k-means: iterations must be >= 0, got " + iterations);
        }
        float[] x = points.toArray();
        float[] centroids = initialCentroids.clone();
        lloyd(x, n, d, centroids, k, iterations, rng);
        return new Result(k, d, centroids, assign(x, n, d, centroids, k));
    }

    /** Lloyd's rounds on the training points, updating {@code centroids} in place. */
    private static void lloyd(float[] x, int n, int d, float[] centroids, int k, int iterations, Rng rng) {
        if (iterations == 0) {
            return;
        }
        int[] assignment = new int[n];
        try (Tensor xt = Tensor.fromArray(n, d, x)) {
            for (int it = 0; it < iterations; it++) {
                assign(xt, centroids, k, assignment);
                int[] counts = updateCentroids(x, n, d, assignment, centroids, k);
                splitEmptyClusters(centroids, counts, n, k, d, rng);
            }
        }
    }

    private static int[] assign(float[] x, int n, int d, float[] centroids, int k) {
        try (Tensor xt = Tensor.fromArray(n, d, x)) {
            return assign(xt, centroids, k, new int[n]);
        }
    }

    /** out[i] = argmin_c ‖c‖² − 2⟨x_i, c⟩ (first minimum), via blocked gemm. */
    private static int[] assign(Tensor x, float[] centroids, int k, int[] out) {
        int n = x.rows();
        int d = x.cols();
        float[] norms = new float[k];
        for (int c = 0; c < k; c++) {
            float s = 0f;
            for (int j = 0; j < d; j++) {
                float v = centroids[c * d + j];
                s += v * v;
            }
            norms[c] = s;
        }
        int rows = Math.min(BLOCK, n);
        FloatBuffer xb = x.buffer();
        try (Tensor ct = Tensor.fromArray(k, d, centroids);
             Tensor block = Tensor.zeros(rows, d);
             Tensor products = Tensor.zeros(rows, k)) {
            FloatBuffer bb = block.buffer();
            FloatBuffer pb = products.buffer();
            for (int from = 0; from < n; from += rows) {
                int m = Math.min(rows, n - from);
                Tensor a = block;
                Tensor p = products;
                if (m < rows) {
                    // the last, shorter block: its own tensors so that gemm sees m rows
                    a = Tensor.zeros(m, d);
                    p = Tensor.zeros(m, k);
                }
                try {
                    FloatBuffer ab = a == block ? bb : a.buffer();
                    ab.put(0, xb, from * d, m * d);
                    Blas.gemm(false, true, 1f, a, ct, 0f, p);
                    FloatBuffer prod = p == products ? pb : p.buffer();
                    int base = from;
                    Parallel.forRange(m, 64, (r0, r1) -> {
                        float[] row = new float[k];
                        for (int r = r0; r < r1; r++) {
                            prod.get(r * k, row, 0, k);
                            int best = 0;
                            float bestDistance = norms[0] - 2f * row[0];
                            for (int c = 1; c < k; c++) {
                                float dist = norms[c] - 2f * row[c];
                                if (dist < bestDistance) {
                                    bestDistance = dist;
                                    best = c;
                                }
                            }
                            out[base + r] = best;
                        }
                    });
                } finally {
                    if (a != block) {
                        a.close();
                        p.close();
                    }
                }
            }
        }
        return out;
    }

    /** Each populated centroid to the mean of its points; returns the counts. Empty ones are left. */
    private static int[] updateCentroids(float[] x, int n, int d, int[] assignment, float[] centroids, int k) {
        double[] sums = new double[k * d];
        int[] counts = new int[k];
        for (int i = 0; i < n; i++) {
            int c = assignment[i];
            counts[c]++;
            int xo = i * d;
            int co = c * d;
            for (int j = 0; j < d; j++) {
                sums[co + j] += x[xo + j];
            }
        }
        for (int c = 0; c < k; c++) {
            if (counts[c] > 0) {
                for (int j = 0; j < d; j++) {
                    centroids[c * d + j] = (float) (sums[c * d + j] / counts[c]);
                }
            }
        }
        return counts;
    }

    /** faiss' {@code split_clusters}; returns how many clusters were split. */
    static int splitEmptyClusters(float[] centroids, int[] counts, int n, int k, int d, Rng rng) {
        int splits = 0;
        for (int ci = 0; ci < k; ci++) {
            if (counts[ci] != 0) {
                continue;
            }
            int cj = 0;
            while (true) {
                float p = (counts[cj] - 1f) / (float) (n - k);
                float r = rng.nextFloat();
                if (r < p) {
                    break;
                }
                cj = (cj + 1) % k;
            }
            System.arraycopy(centroids, cj * d, centroids, ci * d, d);
            for (int j = 0; j < d; j++) {
                if (j % 2 == 0) {
                    centroids[ci * d + j] *= 1f + SPLIT_EPS;
                    centroids[cj * d + j] *= 1f - SPLIT_EPS;
                } else {
                    centroids[ci * d + j] *= 1f - SPLIT_EPS;
                    centroids[cj * d + j] *= 1f + SPLIT_EPS;
                }
            }
            counts[ci] = counts[cj] / 2;
            counts[cj] -= counts[ci];
            splits++;
        }
        return splits;
    }
}
