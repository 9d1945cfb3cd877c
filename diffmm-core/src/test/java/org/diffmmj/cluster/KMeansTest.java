package org.diffmmj.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

/** Hand-computed Lloyd rounds, faiss' empty-cluster split, its corner cases, and determinism. */
class KMeansTest {

    private static Tensor points(int d, float... values) {
        return Tensor.fromArray(values.length / d, d, values);
    }

    /**
     * 1-D points {0, 1, 10, 11} from centroids {0, 1}: round 1 assigns [0, 1, 1, 1] → {0, 22/3},
     * against which the final search gives [0, 0, 1, 1]; round 2 assigns that → {0.5, 10.5}.
     */
    @Test
    void twoLloydRoundsByHand() {
        try (Tensor x = points(1, 0f, 1f, 10f, 11f)) {
            KMeans.Result one = KMeans.fit(x, new float[] {0f, 1f}, 1, new Rng(1));
            assertThat(one.centroids()).containsExactly(0f, 22f / 3f);
            assertThat(one.assignments()).containsExactly(0, 0, 1, 1);
            KMeans.Result two = KMeans.fit(x, new float[] {0f, 1f}, 2, new Rng(1));
            assertThat(two.centroids()).containsExactly(0.5f, 10.5f);
            assertThat(two.assignments()).containsExactly(0, 0, 1, 1);
        }
    }

    /** Zero rounds: the initial centroids as given, each point to its nearest. */
    @Test
    void zeroRoundsOnlyAssigns() {
        try (Tensor x = points(2, 0f, 0f, 5f, 5f, 4f, 4f, 1f, 0f)) {
            KMeans.Result r = KMeans.fit(x, new float[] {5f, 5f, 0f, 0f}, 0, new Rng(1));
            assertThat(r.centroids()).containsExactly(5f, 5f, 0f, 0f);
            assertThat(r.assignments()).containsExactly(1, 0, 0, 1);
        }
    }

    /**
     * faiss' split_clusters by hand. Points a=(1,2), b=(3,2), c=(2,4), d=(10,10); centroids
     * (2,2), (2,2) duplicated, (10,10). Round 1: a, b, c tie between the first two and go to the
     * first (the lower index), d to the third; the second is empty. Means: (2, 8/3) and (10,10).
     * The split scans j = 0 first, whose probability (3 − 1)/(4 − 3) = 2 exceeds any draw, so the
     * empty centroid becomes (2·(1+ε), 8/3·(1−ε)) and the donor (2·(1−ε), 8/3·(1+ε)), ε = 1/1024.
     * The final search then sends a and c to the donor and b to the split-off centroid:
     * ‖a − c0‖² − ‖a − c1‖² = −(8/9)ε, ‖b − c0‖² − ‖b − c1‖² = (136/9)ε, ‖c − c0‖² − ‖c − c1‖² = −(128/9)ε.
     */
    @Test
    void anEmptyClusterIsSplitOffTheClusterFaissPicks() {
        try (Tensor x = points(2, 1f, 2f, 3f, 2f, 2f, 4f, 10f, 10f)) {
            KMeans.Result r = KMeans.fit(x, new float[] {2f, 2f, 2f, 2f, 10f, 10f}, 1, new Rng(5));
            float eps = 1f / 1024f;
            float third = 8f / 3f;
            assertThat(r.centroid(0)).containsExactly(2f * (1f - eps), third * (1f + eps));
            assertThat(r.centroid(1)).containsExactly(2f * (1f + eps), third * (1f - eps));
            assertThat(r.centroid(2)).containsExactly(10f, 10f);
            assertThat(r.assignments()).containsExactly(0, 1, 0, 2);
        }
    }

    /**
     * The split's scan with probabilities below one: cluster j is taken at the first draw below
     * (|j| − 1)/(n − k), so a cluster of one point (probability 0) is never the donor, and with
     * one populated cluster of two points among k = 3 over n = 4 points the donor is always it.
     */
    @Test
    void theSplitNeverTakesASingletonCluster() {
        for (long seed = 0; seed < 20; seed++) {
            float[] c = {1f, 2f, 0f, 0f, 5f, 7f};
            int[] counts = {1, 0, 3};
            int splits = KMeans.splitEmptyClusters(c, counts, 4, 3, 2, new Rng(seed));
            assertThat(splits).isEqualTo(1);
            float eps = 1f / 1024f;
            assertThat(c).containsExactly(1f, 2f, 5f * (1f + eps), 7f * (1f - eps), 5f * (1f - eps), 7f * (1f + eps));
            assertThat(counts).containsExactly(1, 1, 2);
        }
    }

    /** As many points as clusters: faiss copies the points; fewer are refused, as by faiss. */
    @Test
    void asManyPointsAsClustersGivesThePoints() {
        try (Tensor x = points(2, 3f, 1f, -1f, 2f, 0f, 0f)) {
            KMeans.Result r = KMeans.fit(x, 3, 25, new Rng(1));
            assertThat(r.centroids()).containsExactly(3f, 1f, -1f, 2f, 0f, 0f);
            assertThat(r.assignments()).containsExactly(0, 1, 2);
            assertThatThrownBy(() -> KMeans.fit(x, 4, 25, new Rng(1))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("4 clusters for 3 points");
        }
    }

    /** With no rounds the random initialisation shows: k distinct points of the data. */
    @Test
    void initialCentroidsAreDistinctDataPoints() {
        int n = 50;
        float[] v = new float[n * 3];
        for (int i = 0; i < n; i++) {
            v[3 * i] = i;
            v[3 * i + 1] = -i;
            v[3 * i + 2] = 2 * i;
        }
        try (Tensor x = points(3, v)) {
            KMeans.Result r = KMeans.fit(x, 20, 0, new Rng(11));
            Set<Integer> chosen = new HashSet<>();
            for (int c = 0; c < 20; c++) {
                float[] centroid = r.centroid(c);
                int i = (int) centroid[0];
                assertThat(centroid).containsExactly(i, -i, 2 * i);
                chosen.add(i);
                // each chosen point is its own centroid's
                assertThat(r.assignments()[i]).isEqualTo(c);
            }
            assertThat(chosen).hasSize(20);
        }
    }

    /** Same stream, same clustering, bit for bit; another stream starts elsewhere. */
    @Test
    void sameRngGivesTheSameClustering() {
        Rng data = new Rng(3);
        try (Tensor x = Tensor.zeros(600, 8)) {
            data.fillNormal(x, 0f, 1f);
            KMeans.Result a = KMeans.fit(x, 40, 10, new Rng(9));
            KMeans.Result b = KMeans.fit(x, 40, 10, new Rng(9));
            KMeans.Result c = KMeans.fit(x, 40, 10, new Rng(10));
            assertThat(b.centroids()).containsExactly(a.centroids());
            assertThat(b.assignments()).containsExactly(a.assignments());
            assertThat(c.centroids()).isNotEqualTo(a.centroids());
        }
    }

    /**
     * Over several row blocks (n above the gemm block of 1024, with a short last block) each
     * point's assignment is its nearest final centroid, and each centroid of a Lloyd round is the
     * mean of the points assigned to it before that round's update: checked by brute force.
     */
    @Test
    void assignmentsAreNearestCentroidsAcrossBlocks() {
        Rng data = new Rng(4);
        int n = 2500;
        int d = 5;
        try (Tensor x = Tensor.zeros(n, d)) {
            data.fillNormal(x, 0f, 1f);
            KMeans.Result r = KMeans.fit(x, 30, 6, new Rng(2));
            float[] v = x.toArray();
            for (int i = 0; i < n; i++) {
                int best = -1;
                double bestDistance = Double.POSITIVE_INFINITY;
                for (int c = 0; c < r.k(); c++) {
                    double s = 0;
                    for (int j = 0; j < d; j++) {
                        double diff = v[i * d + j] - r.centroids()[c * d + j];
                        s += diff * diff;
                    }
                    if (s < bestDistance) {
                        bestDistance = s;
                        best = c;
                    }
                }
                int mine = r.assignments()[i];
                double s = 0;
                for (int j = 0; j < d; j++) {
                    double diff = v[i * d + j] - r.centroids()[mine * d + j];
                    s += diff * diff;
                }
                // equal up to float rounding of the ‖c‖² − 2⟨x, c⟩ form
                assertThat(s).as("point %d", i).isCloseTo(bestDistance, within(1e-4 * Math.max(1, bestDistance)));
            }
            // one more round from the result's centroids moves each centroid to its points' mean
            KMeans.Result next = KMeans.fit(x, r.centroids(), 1, new Rng(2));
            for (int c = 0; c < r.k(); c++) {
                double[] mean = new double[d];
                int count = 0;
                for (int i = 0; i < n; i++) {
                    if (r.assignments()[i] == c) {
                        count++;
                        for (int j = 0; j < d; j++) {
                            mean[j] += v[i * d + j];
                        }
                    }
                }
                assertThat(count).isPositive();
                for (int j = 0; j < d; j++) {
                    assertThat((double) next.centroids()[c * d + j]).isCloseTo(mean[j] / count, within(1e-6));
                }
            }
        }
    }

    /** More than 256·k points: faiss trains on a 256·k subsample, then assigns every point. */
    @Test
    void largeSetsAreSubsampledButEveryPointIsAssigned() {
        int n = 600;
        try (Tensor x = Tensor.zeros(n, 2)) {
            new Rng(8).fillNormal(x, 0f, 1f);
            KMeans.Result r = KMeans.fit(x, 2, 5, new Rng(3));
            assertThat(r.assignments()).hasSize(n);
            Set<Integer> used = new HashSet<>();
            for (int a : r.assignments()) {
                used.add(a);
            }
            assertThat(used).containsExactlyInAnyOrder(0, 1);
        }
    }
}
