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

    @Test
    void rowIndicesListEachEntrysRowInStorageOrder() {
        // Rows 0 and 2 hold two entries each, row 1 none.
        CsrMatrix m = CsrMatrix.fromCoo(3, 3, new int[] {2, 0, 2, 0}, new int[] {0, 1, 2, 2}, new float[] {1, 2, 3, 4},
                CsrMatrix.Duplicates.ERROR);
        assertThat(m.rowIdx()).containsExactly(0, 0, 2, 2);
        assertThat(m.colIdx()).containsExactly(1, 2, 0, 2);
    }

    @Test
    void withValuesKeepsThePatternAndItsTransposeMatchesAFreshOne() {
        CsrMatrix m = CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 1, 2, 2}, new int[] {1, 3, 0, 1, 2},
                new float[] {1, 1, 1, 1, 1}, CsrMatrix.Duplicates.ERROR);
        float[] v = {0.5f, -2f, 3f, 4f, 0.25f};
        CsrMatrix learned = m.withValues(v);
        assertThat(learned.rowPtr()).isSameAs(m.rowPtr());
        assertThat(learned.colIdx()).isSameAs(m.colIdx());
        assertThat(learned.toDense()).isDeepEqualTo(new float[][] {
                {0, 0.5f, 0, -2f}, {3f, 0, 0, 0}, {0, 4f, 0.25f, 0}});
        // The transpose through the shared layout, for both matrices on the pattern, equals the
        // transpose of the same matrix built from scratch.
        CsrMatrix fresh = CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 1, 2, 2}, new int[] {1, 3, 0, 1, 2}, v,
                CsrMatrix.Duplicates.ERROR).transpose();
        CsrMatrix t = learned.transposed();
        assertThat(t.rowPtr()).containsExactly(fresh.rowPtr());
        assertThat(t.colIdx()).containsExactly(fresh.colIdx());
        assertThat(t.values()).containsExactly(fresh.values());
        assertThat(m.transposed().values()).containsExactly(1, 1, 1, 1, 1);
        assertThat(m.transposed().colIdx()).containsExactly(fresh.colIdx());
        assertThatThrownBy(() -> m.withValues(new float[4])).hasMessageContaining("4 values for a pattern of 5");
    }

    @Test
    void topKPerRowKeepsTheLargestWithTiesToTheLowerColumn() {
        float inf = Float.NEGATIVE_INFINITY;
        float nan = Float.NaN;
        Tensor sim = Tensor.of(4, 4,
                0.1f, 0.5f, 0.9f, 0.5f, // 0.9 at 2, then 0.5 at 1 and 3 tie: column 1 wins
                inf, 0.2f, nan, 0.3f, // −∞ and NaN never kept
                1f, 1f, 1f, 1f, // all tied: columns 0 and 1
                inf, nan, inf, -0.4f); // one finite entry: the row keeps one
        CsrMatrix knn = CsrMatrix.topKPerRow(sim, 2);
        assertThat(knn.rows()).isEqualTo(4);
        assertThat(knn.cols()).isEqualTo(4);
        assertThat(knn.rowPtr()).containsExactly(0, 2, 4, 6, 7);
        assertThat(knn.colIdx()).containsExactly(1, 2, 1, 3, 0, 1, 3);
        assertThat(knn.values()).containsExactly(0.5f, 0.9f, 0.2f, 0.3f, 1f, 1f, -0.4f);
        // k beyond the width keeps every finite entry; k = 0 keeps none.
        assertThat(CsrMatrix.topKPerRow(sim, 9).nnz()).isEqualTo(4 + 2 + 4 + 1);
        assertThat(CsrMatrix.topKPerRow(sim, 0).nnz()).isZero();
    }

    @Test
    void topKPerRowIsTheSameOnEveryRunOfAWideMatrix() {
        // Many rows, so that threads split them; ties everywhere (values on a coarse grid).
        Tensor sim = Tensor.zeros(500, 300);
        new Rng(9).fillUniform(sim, 0f, 1f);
        for (int i = 0; i < 500 * 300; i++) {
            sim.set(i, Math.round(sim.get(i) * 8) / 8f);
        }
        CsrMatrix a = CsrMatrix.topKPerRow(sim, 10);
        float[][] d = a.toDense();
        for (int r = 0; r < 500; r++) {
            // Every kept entry is at least as large as every dropped one, and a dropped entry
            // equal to the smallest kept one lies at a higher column than all kept ones of that value.
            float minKept = Float.POSITIVE_INFINITY;
            int lastTiedKept = -1;
            boolean[] kept = new boolean[300];
            for (int p = a.rowPtr()[r]; p < a.rowPtr()[r + 1]; p++) {
                minKept = Math.min(minKept, a.values()[p]);
                kept[a.colIdx()[p]] = true;
            }
            for (int p = a.rowPtr()[r]; p < a.rowPtr()[r + 1]; p++) {
                if (a.values()[p] == minKept) {
                    lastTiedKept = a.colIdx()[p];
                }
            }
            for (int c = 0; c < 300; c++) {
                if (kept[c]) {
                    assertThat(d[r][c]).isEqualTo(sim.get(r, c));
                } else {
                    assertThat(sim.get(r, c)).isLessThanOrEqualTo(minKept);
                    if (sim.get(r, c) == minKept) {
                        assertThat(c).as("row %d", r).isGreaterThan(lastTiedKept);
                    }
                }
            }
        }
        assertThat(a.nnz()).isEqualTo(5000);
        CsrMatrix b = CsrMatrix.topKPerRow(sim, 10);
        assertThat(b.colIdx()).containsExactly(a.colIdx());
        assertThat(b.values()).containsExactly(a.values());
    }

    @Test
    void symmetricNormalisationByRowSums() {
        // A = [[0 1 2]; [1 0 0]; [2 0 2]], row sums 3, 1, 4: a01 = a10 = 1/√3, a02 = a20 = 2/√12,
        // a22 = 2/√16 = 1/2.
        CsrMatrix a = CsrMatrix.fromCoo(3, 3, new int[] {0, 0, 1, 2, 2}, new int[] {1, 2, 0, 0, 2},
                new float[] {1, 2, 1, 2, 2}, CsrMatrix.Duplicates.ERROR);
        double s3 = 1 / Math.sqrt(3);
        double[][] expected = {{0, s3, s3}, {s3, 0, 0}, {s3, 0, 0.5}};
        float[][] d = a.symmetricNormalized().toDense();
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                assertThat((double) d[i][j]).as("(%d,%d)", i, j).isCloseTo(expected[i][j], within(1e-7));
            }
        }
        assertThat(a.symmetricNormalized().nnz()).isEqualTo(5);
        // Row 0 sums to 0: its factor is 0, so row 0 and column 0 become zeros; a11 = 1/√2·1/√2.
        CsrMatrix signed = CsrMatrix.fromCoo(2, 2, new int[] {0, 0, 1, 1}, new int[] {0, 1, 0, 1},
                new float[] {1, -1, 1, 1}, CsrMatrix.Duplicates.ERROR);
        assertThat(signed.symmetricNormalized().toDense()).isDeepEqualTo(new float[][] {{0, 0}, {0, 0.5f}});
        assertThatThrownBy(() -> CsrMatrix.fromCoo(1, 2, new int[0], new int[0], new float[0],
                CsrMatrix.Duplicates.ERROR).symmetricNormalized()).hasMessageContaining("non-square");
    }

    @Test
    void rowNormalisationMakesRowsSumToOne() {
        // [[1 3]; [0 2]; [0 0]] → [[1/4 3/4]; [0 1]; [0 0]], the empty row left empty.
        CsrMatrix a = CsrMatrix.fromCoo(3, 2, new int[] {0, 0, 1}, new int[] {0, 1, 1}, new float[] {1, 3, 2},
                CsrMatrix.Duplicates.ERROR);
        CsrMatrix n = a.rowNormalized();
        assertThat(n.toDense()).isDeepEqualTo(new float[][] {{0.25f, 0.75f}, {0, 1}, {0, 0}});
        assertThat(n.colIdx()).isSameAs(a.colIdx());
    }

    @Test
    void knnGraphThenSymmetricNormalisationAsLatticeBuildsIt() {
        // Cosine-like similarities of 3 items, k = 2 (self included, as in LATTICE):
        // row 0 keeps (0: 1, 1: 0.8), row 1 keeps (1: 1, 0: 0.8), row 2 keeps (2: 1, 1: 0.6).
        Tensor sim = Tensor.of(3, 3, 1f, 0.8f, 0.2f, 0.8f, 1f, 0.6f, 0.2f, 0.6f, 1f);
        CsrMatrix g = CsrMatrix.topKPerRow(sim, 2).symmetricNormalized();
        // Row sums 1.8, 1.8, 1.6: (0,1) = 0.8/1.8, (2,1) = 0.6/√(1.6·1.8), (2,2) = 1/1.6.
        float[][] d = g.toDense();
        assertThat((double) d[0][1]).isCloseTo(0.8 / 1.8, within(1e-7));
        assertThat((double) d[0][0]).isCloseTo(1 / 1.8, within(1e-7));
        assertThat((double) d[2][1]).isCloseTo(0.6 / Math.sqrt(1.6 * 1.8), within(1e-7));
        assertThat((double) d[2][2]).isCloseTo(1 / 1.6, within(1e-7));
        assertThat(d[0][2]).isZero();
        assertThat(d[1][2]).isZero();
    }
}
