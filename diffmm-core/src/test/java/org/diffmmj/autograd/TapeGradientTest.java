package org.diffmmj.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * A finite-difference check of every op's backward. Each loss is Σ w ⊙ op(x) with a fixed
 * random w, so the upstream gradient is not uniform.
 */
class TapeGradientTest {

    private static final float H = 1e-2f;
    private static final double TOL = 2e-2;

    private final Rng rng = new Rng(11);

    private Parameter param(String name, int rows, int cols, float lo, float hi) {
        Tensor t = Tensor.zeros(rows, cols);
        rng.fillUniform(t, lo, hi);
        return new Parameter(name, t);
    }

    private Parameter param(String name, int rows, int cols) {
        return param(name, rows, cols, -1f, 1f);
    }

    /** Σ w ⊙ y with a weight tensor fixed per shape. */
    private GradCheck.Loss weighted(java.util.function.Function<Tape, Var> op, int rows, int cols) {
        Tensor w = Tensor.zeros(rows, cols);
        rng.fillUniform(w, -1f, 1f);
        return tape -> tape.sum(tape.mul(op.apply(tape), tape.constant(w)));
    }

    private void check(java.util.function.Function<Tape, Var> op, int rows, int cols, Parameter... ps) {
        GradCheck.check(List.of(ps), weighted(op, rows, cols), H, TOL);
    }

    @Test
    void matmulAllTranspositions() {
        Parameter a = param("a", 3, 4);
        Parameter b = param("b", 4, 5);
        Parameter at = param("at", 4, 3);
        Parameter bt = param("bt", 5, 4);
        check(t -> t.matmul(t.param(a), t.param(b)), 3, 5, a, b);
        check(t -> t.matmul(t.param(at), t.param(b), true, false), 3, 5, at, b);
        check(t -> t.matmul(t.param(a), t.param(bt), false, true), 3, 5, a, bt);
        check(t -> t.matmul(t.param(at), t.param(bt), true, true), 3, 5, at, bt);
    }

    @Test
    void linearWithAndWithoutBiasAndAffine() {
        Parameter x = param("x", 3, 4);
        Parameter w = param("w", 4, 2);
        Parameter bias = param("bias", 1, 2);
        Parameter y = param("y", 3, 4);
        check(t -> t.linear(t.param(x), t.param(w), t.param(bias)), 3, 2, x, w, bias);
        check(t -> t.linear(t.param(x), t.param(w), null), 3, 2, x, w);
        check(t -> t.affine(t.param(x), 0.3f, t.param(y), -1.7f), 3, 4, x, y);
    }

    @Test
    void sparseTimesDense() {
        CsrMatrix s = CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 1, 2, 2}, new int[] {0, 3, 1, 0, 2},
                new float[] {0.5f, -1f, 2f, 1.5f, 0.25f}, CsrMatrix.Duplicates.ERROR);
        Parameter x = param("x", 4, 2);
        check(t -> t.spmm(s, t.param(x)), 3, 2, x);
    }

    @Test
    void gatherWithRepeatsScatterAdds() {
        Parameter x = param("x", 5, 3);
        check(t -> t.gatherRows(t.param(x), new int[] {4, 0, 4, 2}), 4, 3, x);
    }

    @Test
    void concatenationAndSlicing() {
        Parameter a = param("a", 2, 3);
        Parameter b = param("b", 3, 3);
        Parameter c = param("c", 2, 2);
        check(t -> t.concatRows(t.param(a), t.param(b)), 5, 3, a, b);
        check(t -> t.concatCols(t.param(a), t.param(c)), 2, 5, a, c);
        check(t -> t.sliceRows(t.param(b), 1, 3), 2, 3, b);
        check(t -> t.sliceCols(t.param(b), 1, 3), 3, 2, b);
    }

    @Test
    void arithmeticWithEveryBroadcast() {
        Parameter a = param("a", 3, 4);
        Parameter same = param("same", 3, 4);
        Parameter row = param("row", 1, 4);
        Parameter col = param("col", 3, 1);
        Parameter scalar = param("scalar", 1, 1);
        for (Parameter b : new Parameter[] {same, row, col, scalar}) {
            check(t -> t.add(t.param(a), t.param(b)), 3, 4, a, b);
            check(t -> t.sub(t.param(a), t.param(b)), 3, 4, a, b);
            check(t -> t.mul(t.param(a), t.param(b)), 3, 4, a, b);
        }
        check(t -> t.scale(t.param(a), -2.5f), 3, 4, a);
        check(t -> t.addScalar(t.param(a), 0.7f), 3, 4, a);
    }

    @Test
    void elementWiseFunctions() {
        Parameter a = param("a", 3, 4, -2f, 2f);
        Parameter positive = param("p", 3, 4, 0.5f, 2f);
        check(t -> t.tanh(t.param(a)), 3, 4, a);
        check(t -> t.sigmoid(t.param(a)), 3, 4, a);
        check(t -> t.logSigmoid(t.param(a)), 3, 4, a);
        check(t -> t.exp(t.param(a)), 3, 4, a);
        check(t -> t.log(t.param(positive)), 3, 4, positive);
        check(t -> t.square(t.param(a)), 3, 4, a);
        // Keep entries away from the kink at 0 where the derivative jumps.
        Parameter away = param("away", 3, 4, 0.2f, 1f);
        Parameter negative = param("neg", 3, 4, -1f, -0.2f);
        check(t -> t.leakyRelu(t.param(away), 0.2f), 3, 4, away);
        check(t -> t.leakyRelu(t.param(negative), 0.2f), 3, 4, negative);
    }

    @Test
    void rowWiseAndReductions() {
        Parameter a = param("a", 3, 4);
        Parameter b = param("b", 3, 4);
        Parameter v = param("v", 1, 5);
        check(t -> t.rowL2Normalize(t.param(a), 1e-12f), 3, 4, a);
        check(t -> t.softmax(t.param(v)), 1, 5, v);
        check(t -> t.rowSum(t.param(a)), 3, 1, a);
        check(t -> t.rowMean(t.param(a)), 3, 1, a);
        check(t -> t.rowDot(t.param(a), t.param(b)), 3, 1, a, b);
        check(t -> t.pairDots(t.param(a), new int[] {2, 0, 2, 1}, t.param(b), new int[] {0, 0, 1, 2}), 4, 1, a, b);
        check(t -> t.sum(t.param(a)), 1, 1, a);
        check(t -> t.mean(t.param(a)), 1, 1, a);
    }

    @Test
    void fusedRowMeanSquaredError() {
        Parameter a = param("a", 3, 4);
        Parameter b = param("b", 3, 4);
        check(t -> t.rowMeanSquaredError(t.param(a), t.param(b)), 3, 1, a, b);
    }

    @Test
    void fusedRowMeanSquaredErrorByHand() {
        // Rows (1, 2) − (0, 0) and (3, 5) − (1, 1): means of squares (1 + 4) / 2 and (4 + 16) / 2.
        Tensor a = Tensor.zeros(2, 2);
        Tensor b = Tensor.zeros(2, 2);
        a.set(0, 0, 1f);
        a.set(0, 1, 2f);
        a.set(1, 0, 3f);
        a.set(1, 1, 5f);
        b.set(1, 0, 1f);
        b.set(1, 1, 1f);
        try (BufferPool pool = new BufferPool(); Tape tape = Tape.noGrad(pool)) {
            float[] mse = tape.rowMeanSquaredError(tape.constant(a), tape.constant(b)).value().toArray();
            assertThat(mse).containsExactly(2.5f, 10f);
        }
    }

    @Test
    void fusedRowMeanSquaredErrorEqualsTheThreeOpsBitForBit() {
        // Wide rows, as in the diffusion loss: the fused op promises the same float arithmetic.
        Parameter a1 = param("a1", 70, 1300);
        Parameter b1 = param("b1", 70, 1300);
        Parameter a2 = new Parameter("a2", a1.value().copy());
        Parameter b2 = new Parameter("b2", b1.value().copy());
        Tensor w = Tensor.zeros(70, 1);
        rng.fillUniform(w, -1f, 1f);
        float[] fused;
        float[] composed;
        try (BufferPool pool = new BufferPool()) {
            try (Tape tape = new Tape(pool)) {
                Var y = tape.rowMeanSquaredError(tape.param(a1), tape.param(b1));
                fused = y.value().toArray();
                tape.backward(tape.sum(tape.mul(y, tape.constant(w))));
            }
            try (Tape tape = new Tape(pool)) {
                Var y = tape.rowMean(tape.square(tape.sub(tape.param(a2), tape.param(b2))));
                composed = y.value().toArray();
                tape.backward(tape.sum(tape.mul(y, tape.constant(w))));
            }
        }
        assertThat(fused).containsExactly(composed);
        assertThat(a1.grad().toArray()).containsExactly(a2.grad().toArray());
        assertThat(b1.grad().toArray()).containsExactly(b2.grad().toArray());
    }

    @Test
    void linearBiasGradientIsTheColumnSumsOfTheUpstreamGradient() {
        // 1300 outputs: wide enough that threads split the columns of the bias gradient.
        int rows = 37;
        int cols = 1300;
        Parameter x = param("x", rows, 3);
        Parameter weight = param("w", 3, cols);
        Parameter bias = param("bias", 1, cols);
        Tensor w = Tensor.zeros(rows, cols);
        rng.fillUniform(w, -1f, 1f);
        bias.zeroGrad();
        try (BufferPool pool = new BufferPool(); Tape tape = new Tape(pool)) {
            Var y = tape.linear(tape.param(x), tape.param(weight), tape.param(bias));
            tape.backward(tape.sum(tape.mul(y, tape.constant(w))));
        }
        // d/d bias_c of Σ w ⊙ (x·W + bias) is Σ_r w[r][c].
        float[] grad = bias.grad().toArray();
        for (int c = 0; c < cols; c++) {
            double expected = 0;
            for (int r = 0; r < rows; r++) {
                expected += w.get(r, c);
            }
            assertThat((double) grad[c]).as("column %d", c).isCloseTo(expected, within(1e-5));
        }
    }

    @Test
    void dropoutWithAFixedMask() {
        Parameter a = param("a", 4, 6);
        // The same seed gives the same mask in every evaluation of the loss.
        check(t -> t.dropout(t.param(a), 0.5f, new Rng(5)), 4, 6, a);
    }

    @Test
    void fusedInfoNce() {
        Parameter anchors = param("anchors", 3, 4);
        Parameter all = param("all", 5, 4);
        GradCheck.check(List.of(anchors, all),
                t -> t.infoNce(t.param(anchors), t.param(all), new int[] {2, 0, 2}, 0.5f), H, TOL);
    }

    @Test
    void fusedInfoNceWithWeights() {
        Parameter anchors = param("anchors", 3, 4);
        Parameter all = param("all", 5, 4);
        GradCheck.check(List.of(anchors, all), t -> t.infoNce(t.param(anchors), t.param(all), new int[] {2, 0, 4},
                new float[] {3f, 1f, 0.5f}, 0.5f), H, TOL);
    }

    @Test
    void compositeTwoLayerMlpWithTanh() {
        Parameter x = param("x", 4, 5);
        Parameter w1 = param("w1", 5, 6);
        Parameter b1 = param("b1", 1, 6);
        Parameter w2 = param("w2", 6, 3);
        GradCheck.check(List.of(x, w1, b1, w2), weighted(t -> t.matmul(
                t.tanh(t.add(t.matmul(t.param(x), t.param(w1)), t.param(b1))), t.param(w2)), 4, 3), H, TOL);
    }

    @Test
    void compositeInfoNceOverNormalisedRows() {
        Parameter a = param("a", 6, 3);
        Parameter b = param("b", 6, 3);
        int[] nodes = {1, 4, 4};
        GradCheck.check(List.of(a, b), t -> t.infoNce(
                t.rowL2Normalize(t.gatherRows(t.param(a), nodes), 1e-12f),
                t.rowL2Normalize(t.param(b), 1e-12f), nodes, 0.5f), H, TOL);
    }

    @Test
    void compositeTwoHopSparsePropagation() {
        CsrMatrix g = CsrMatrix.normalizedBipartite(3, 2, new int[] {0, 1, 2, 2}, new int[] {0, 1, 0, 1});
        Parameter e = param("e", 5, 3);
        check(t -> {
            Var one = t.spmm(g, t.param(e));
            return t.add(one, t.spmm(g, one));
        }, 5, 3, e);
    }

    @Test
    void shapesLargeEnoughForTheLevelOneBlasPaths() {
        // 48×48 = 2304 elements: above the size where gradients are accumulated by cblas_saxpy.
        Parameter a = param("a", 48, 48);
        Parameter b = param("b", 48, 48);
        check(t -> t.add(t.param(a), t.param(b)), 48, 48, a, b);
        check(t -> t.sub(t.param(a), t.param(b)), 48, 48, a, b);
        check(t -> t.affine(t.param(a), 0.3f, t.param(b), -1.7f), 48, 48, a, b);
        check(t -> t.scale(t.param(a), -2.5f), 48, 48, a);
        check(t -> t.sliceRows(t.concatRows(t.param(a), t.param(b)), 2, 96), 94, 48, a, b);
        check(t -> t.rowL2Normalize(t.add(t.param(a), t.param(a)), 1e-12f), 48, 48, a);
    }
}
