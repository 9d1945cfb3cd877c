package org.diffmmj.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

class CsrMatrixTest {

    /**
     * 2 users, 2 items, edges (u0,i0), (u0,i1), (u1,i1); nodes u0, u1, i0, i1. With self loops the
     * degrees are 3, 2, 2, 3, so Â[u0,u0] = 1/3, Â[u0,i0] = 1/√6, Â[u0,i1] = 1/3, Â[u1,u1] = 1/2,
     * Â[u1,i1] = 1/√6, Â[i0,i0] = 1/2, Â[i1,i1] = 1/3, symmetric.
     */
    @Test
    void normalisedBipartiteWithSelfLoopsByHand() {
        CsrMatrix a = CsrMatrix.normalizedBipartite(2, 2, new int[] {0, 0, 1}, new int[] {0, 1, 1});
        double s6 = 1 / Math.sqrt(6);
        double[][] expected = {
                {1.0 / 3, 0, s6, 1.0 / 3},
                {0, 0.5, 0, s6},
                {s6, 0, 0.5, 0},
                {1.0 / 3, s6, 0, 1.0 / 3}};
        float[][] d = a.toDense();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertThat((double) d[i][j]).as("(%d,%d)", i, j).isCloseTo(expected[i][j], within(1e-7));
            }
        }
    }

    @Test
    void withoutSelfLoopsAnIsolatedNodeHasAnEmptyRow() {
        // u0–i0 only; u1 has no edge. Degrees 1, 0, 1: Â[u0,i0] = 1, u1's row empty.
        CsrMatrix a = CsrMatrix.normalizedBipartiteNoSelfLoops(2, 1, new int[] {0}, new int[] {0});
        float[][] d = a.toDense();
        assertThat(d[0]).containsExactly(0f, 0f, 1f);
        assertThat(d[1]).containsExactly(0f, 0f, 0f);
        assertThat(d[2]).containsExactly(1f, 0f, 0f);
    }

    @Test
    void repeatedPairsCountOnceInTheGraph() {
        CsrMatrix once = CsrMatrix.normalizedBipartite(1, 1, new int[] {0}, new int[] {0});
        CsrMatrix twice = CsrMatrix.normalizedBipartite(1, 1, new int[] {0, 0}, new int[] {0, 0});
        assertThat(twice.toDense()).isDeepEqualTo(once.toDense());
    }

    @Test
    void cooDuplicatesAreSummedOrRefused() {
        CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {1, 0, 1}, new int[] {2, 1, 2}, new float[] {1, 2, 3},
                CsrMatrix.Duplicates.SUM);
        assertThat(m.nnz()).isEqualTo(2);
        assertThat(m.toDense()[1][2]).isEqualTo(4f);
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 3, new int[] {1, 1}, new int[] {2, 2}, new float[] {1, 1},
                CsrMatrix.Duplicates.ERROR)).hasMessageContaining("duplicate entry at (1, 2)");
        assertThatThrownBy(() -> CsrMatrix.fromCoo(2, 3, new int[] {2}, new int[] {0}, new float[] {1},
                CsrMatrix.Duplicates.SUM)).hasMessageContaining("outside a 2×3 matrix");
    }

    @Test
    void transposeAndProductMatchDenseArithmetic() {
        CsrMatrix m = CsrMatrix.fromCoo(2, 3, new int[] {0, 0, 1}, new int[] {0, 2, 1}, new float[] {1, 2, 3},
                CsrMatrix.Duplicates.ERROR);
        assertThat(m.transpose().toDense()).isDeepEqualTo(new float[][] {{1, 0}, {0, 3}, {2, 0}});
        try (Tensor x = Tensor.of(3, 2, 1, 2, 3, 4, 5, 6); Tensor y = m.multiply(x)) {
            // [1 0 2; 0 3 0] · [[1,2],[3,4],[5,6]] = [[11, 14], [9, 12]]
            assertThat(y.toArray()).containsExactly(11, 14, 9, 12);
        }
    }

    @Test
    void edgeDropoutKeepsAboutKeepRateAndRescales() {
        int n = 100_000;
        int[] r = new int[n];
        int[] c = new int[n];
        float[] v = new float[n];
        for (int k = 0; k < n; k++) {
            r[k] = k / 100;
            c[k] = k % 100;
            v[k] = 0.3f;
        }
        CsrMatrix m = CsrMatrix.fromCoo(1000, 100, r, c, v, CsrMatrix.Duplicates.ERROR);
        CsrMatrix kept = m.edgeDropout(0.5f, new Rng(3));
        assertThat(kept.nnz()).isBetween(49_000, 51_000);
        for (float x : kept.values()) {
            assertThat(x).isEqualTo(0.3f / 0.5f);
        }
        assertThat(m.edgeDropout(1f, new Rng(3))).isSameAs(m);
    }
}
