package org.diffmmj.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;

/**
 * The sparse first reverse step of graph generation against the dense one it replaces: the same
 * mathematics, so the same numbers up to float rounding, for binary interaction rows (with empty
 * rows among them) and for the normalised-input variant; and the whole reverse process run in the
 * denoiser's hidden space against the step-by-step one.
 */
class SparseReverseTest {

    private static final int ITEMS = 57;

    /** 9 users' binary rows, user 4 with no items, the others 1 to 6 each. */
    private static CsrMatrix rows(Rng rng) {
        List<int[]> coo = new ArrayList<>();
        for (int u = 0; u < 9; u++) {
            if (u == 4) {
                continue;
            }
            int n = 1 + rng.nextInt(6);
            java.util.Set<Integer> items = new java.util.TreeSet<>();
            while (items.size() < n) {
                items.add(rng.nextInt(ITEMS));
            }
            for (int i : items) {
                coo.add(new int[] {u, i});
            }
        }
        int[] r = coo.stream().mapToInt(e -> e[0]).toArray();
        int[] c = coo.stream().mapToInt(e -> e[1]).toArray();
        float[] v = new float[r.length];
        java.util.Arrays.fill(v, 1f);
        return CsrMatrix.fromCoo(9, ITEMS, r, c, v, CsrMatrix.Duplicates.SUM);
    }

    private static int[] all(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    @Test
    void theSparseFirstLayerGivesTheDenseForwardToRounding() {
        for (boolean normalize : new boolean[] {false, true}) {
            Rng rng = new Rng(11);
            Denoiser denoiser = new Denoiser("image", ITEMS, new int[] {16}, 10, 0.5f, normalize, rng);
            CsrMatrix x = rows(rng);
            try (Tape tape = new Tapes().noGrad()) {
                for (int t : new int[] {0, 3, 4}) {
                    int[] steps = new int[x.rows()];
                    java.util.Arrays.fill(steps, t);
                    float[] dense = denoiser.forward(tape, tape.denseRows(x, all(x.rows())), steps, false, null)
                            .value().toArray();
                    float[] sparse = denoiser.forwardSparse(tape, x, t).value().toArray();
                    assertThat(sparse).hasSameSizeAs(dense);
                    for (int k = 0; k < dense.length; k++) {
                        assertThat(sparse[k]).as("normalize %s, t %d, entry %d", normalize, t, k)
                                .isCloseTo(dense[k], within(2e-6f + 1e-6f * Math.abs(dense[k])));
                    }
                }
            }
        }
    }

    @Test
    void theReverseProcessFromSparseRowsMatchesTheDenseOneAndItsTopItems() {
        Rng rng = new Rng(5);
        Denoiser denoiser = new Denoiser("audio", ITEMS, new int[] {32}, 10, 0.5f, rng);
        GaussianDiffusion diffusion = new GaussianDiffusion(new DiffusionSchedule(5, 0.1, 1e-4, 0.02));
        CsrMatrix x = rows(rng);
        try (Tape tape = new Tapes().noGrad()) {
            Var x0 = tape.denseRows(x, all(x.rows()));
            float[] dense = diffusion.reverse(tape, denoiser, x0).value().toArray();
            float[] sparse = diffusion.reverse(tape, denoiser, x, x0).value().toArray();
            for (int k = 0; k < dense.length; k++) {
                assertThat(sparse[k]).as("entry %d", k).isCloseTo(dense[k], within(1e-5f + 1e-5f * Math.abs(dense[k])));
            }
            // The reverse output differs from its input (five denoiser steps did something).
            assertThat(dense).isNotEqualTo(x0.value().toArray());
        }
    }

    @Test
    void theReverseProcessInHiddenSpaceMatchesTheStepByStepOneAndItsTopItems() {
        for (int steps : new int[] {1, 2, 5}) {
            Rng rng = new Rng(17 + steps);
            Denoiser denoiser = new Denoiser("image", ITEMS, new int[] {24}, 10, 0.5f, rng);
            assertThat(denoiser.hasLinearInputAndReadout()).isTrue();
            GaussianDiffusion diffusion = new GaussianDiffusion(new DiffusionSchedule(steps, 0.1, 1e-4, 0.02));
            CsrMatrix x = rows(rng);
            try (Tape tape = new Tapes().noGrad()) {
                Var x0 = tape.denseRows(x, all(x.rows()));
                float[] stepwise = diffusion.reverse(tape, denoiser, x0).value().toArray();
                Var hidden = diffusion.inHiddenSpace(tape, denoiser).run(tape, x);
                float[] folded = hidden.value().toArray();
                assertThat(folded).hasSameSizeAs(stepwise);
                for (int k = 0; k < stepwise.length; k++) {
                    assertThat(folded[k]).as("%d steps, entry %d", steps, k)
                            .isCloseTo(stepwise[k], within(1e-5f + 1e-5f * Math.abs(stepwise[k])));
                }
                int[] stepwiseTop = org.diffmmj.tensor.TopK.rows(stepwise, x.rows(), ITEMS, 3);
                int[] foldedTop = org.diffmmj.tensor.TopK.rows(hidden.value(), 3);
                assertThat(foldedTop).as("%d steps: top-3 items of every user", steps).isEqualTo(stepwiseTop);
            }
        }
    }

    /** W_o·W_x and b_o·W_x recomputed here in double from the parameters' values. */
    @Test
    void theReadoutIntoInputIsTheReadoutTimesTheItemWeights() {
        Denoiser denoiser = new Denoiser("text", ITEMS, new int[] {7}, 10, 0.5f, new Rng(3));
        float[][] itemWeight = null;
        for (org.diffmmj.autograd.Parameter p : denoiser.parameters()) {
            if (p.name().endsWith("layer0.weight.items")) {
                itemWeight = toRows(p.value());
            }
        }
        float[][] out = toRows(denoiser.readout().weight().value());
        float[] outBias = denoiser.readout().bias().value().toArray();
        assertThat(itemWeight).isNotNull();
        try (Tape tape = new Tapes().noGrad()) {
            Denoiser.ReadoutIntoInput map = denoiser.readoutIntoInput(tape);
            assertThat(map.weight().rows()).isEqualTo(7);
            assertThat(map.weight().cols()).isEqualTo(7);
            for (int r = 0; r < 7; r++) {
                for (int c = 0; c < 7; c++) {
                    double expected = 0;
                    double biasExpected = 0;
                    for (int i = 0; i < ITEMS; i++) {
                        expected += (double) out[r][i] * itemWeight[i][c];
                        biasExpected += r == 0 ? (double) outBias[i] * itemWeight[i][c] : 0;
                    }
                    assertThat((double) map.weight().value().get(r, c)).isCloseTo(expected, within(1e-5));
                    if (r == 0) {
                        assertThat((double) map.bias().value().get(0, c)).isCloseTo(biasExpected, within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void denoisersWhoseInputOrReadoutIsNotOneLinearMapAreRefused() {
        Denoiser twoHidden = new Denoiser("image", ITEMS, new int[] {8, 4}, 10, 0.5f, new Rng(1));
        Denoiser normalized = new Denoiser("image", ITEMS, new int[] {8}, 10, 0.5f, true, new Rng(1));
        GaussianDiffusion diffusion = new GaussianDiffusion(new DiffusionSchedule(5, 0.1, 1e-4, 0.02));
        assertThat(twoHidden.hasLinearInputAndReadout()).isFalse();
        assertThat(normalized.hasLinearInputAndReadout()).isFalse();
        try (Tape tape = new Tapes().noGrad()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> diffusion.inHiddenSpace(tape, twoHidden))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("3 layers after its first");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> diffusion.inHiddenSpace(tape, normalized))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("normalises its input");
        }
    }

    private static float[][] toRows(org.diffmmj.tensor.Tensor t) {
        float[][] rows = new float[t.rows()][t.cols()];
        for (int r = 0; r < t.rows(); r++) {
            for (int c = 0; c < t.cols(); c++) {
                rows[r][c] = t.get(r, c);
            }
        }
        return rows;
    }

    @Test
    void aRowRangeIsThoseRowsAsAMatrixOfTheirOwn() {
        CsrMatrix m = rows(new Rng(2));
        float[][] full = m.toDense();
        CsrMatrix mid = m.rowRange(3, 7);
        assertThat(mid.rows()).isEqualTo(4);
        assertThat(mid.cols()).isEqualTo(ITEMS);
        assertThat(mid.toDense()).isDeepEqualTo(java.util.Arrays.copyOfRange(full, 3, 7));
        assertThat(m.rowRange(4, 5).nnz()).isZero();
        assertThat(m.rowRange(0, 9).toDense()).isDeepEqualTo(full);
        assertThat(m.rowRange(9, 9).rows()).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.rowRange(5, 10))
                .hasMessageContaining("rows 5..10 of a 9-row matrix");
    }
}
