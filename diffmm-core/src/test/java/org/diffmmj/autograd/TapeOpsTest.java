package org.diffmmj.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * The ops added with the split of Tape by family: each has a finite-difference gradient check
 * and a forward case whose numbers are worked out by hand in the comments.
 */
class TapeOpsTest {

    private static final float H = 1e-2f;
    private static final double TOL = 2e-2;

    private final Rng rng = new Rng(23);

    private Parameter param(String name, int rows, int cols, float lo, float hi) {
        Tensor t = Tensor.zeros(rows, cols);
        rng.fillUniform(t, lo, hi);
        return new Parameter(name, t);
    }

    private Parameter param(String name, int rows, int cols) {
        return param(name, rows, cols, -1f, 1f);
    }

    /** Σ w ⊙ op(x) with a fixed random w, so the upstream gradient is not uniform. */
    private void check(Function<Tape, Var> op, int rows, int cols, Parameter... ps) {
        Tensor w = Tensor.zeros(rows, cols);
        rng.fillUniform(w, -1f, 1f);
        GradCheck.check(List.of(ps), tape -> tape.sum(tape.mul(op.apply(tape), tape.constant(w))), H, TOL);
    }

    /** The forward value of f on a no-grad tape, row-major. */
    private static float[] forward(Function<Tape, Var> f) {
        try (BufferPool pool = new BufferPool(); Tape tape = Tape.noGrad(pool)) {
            return f.apply(tape).value().toArray();
        }
    }

    private static Parameter fixed(String name, int rows, int cols, float... values) {
        return new Parameter(name, Tensor.of(rows, cols, values));
    }

    /** Runs backward on Σ w ⊙ f(tape) after zeroing the parameters' gradients. */
    private static void backward(Function<Tape, Var> f, Tensor w, Parameter... ps) {
        for (Parameter p : ps) {
            p.zeroGrad();
        }
        try (BufferPool pool = new BufferPool(); Tape tape = new Tape(pool)) {
            tape.backward(tape.sum(tape.mul(f.apply(tape), tape.constant(w))));
        }
    }

    // ---------------------------------------------------------------- broadcasting

    @Test
    void twoSidedBroadcastingByHand() {
        Tensor col = Tensor.of(2, 1, 1, 2);
        Tensor row = Tensor.of(1, 3, 10, 20, 30);
        // [1; 2] + [10 20 30] = [[11 21 31]; [12 22 32]].
        assertThat(forward(t -> t.add(t.constant(col), t.constant(row)))).containsExactly(11, 21, 31, 12, 22, 32);
        assertThat(forward(t -> t.add(t.constant(row), t.constant(col)))).containsExactly(11, 21, 31, 12, 22, 32);
        // [1; 2] − [10 20 30] = [[−9 −19 −29]; [−8 −18 −28]].
        assertThat(forward(t -> t.sub(t.constant(col), t.constant(row))))
                .containsExactly(-9, -19, -29, -8, -18, -28);
        // [2; 3] ⊙ [4 5] = [[8 10]; [12 15]].
        assertThat(forward(t -> t.mul(t.constant(Tensor.of(2, 1, 2, 3)), t.constant(Tensor.of(1, 2, 4, 5)))))
                .containsExactly(8, 10, 12, 15);
        // 10 − [[1 2]; [3 4]] = [[9 8]; [7 6]]: the scalar on the left.
        assertThat(forward(t -> t.sub(t.constant(Tensor.of(1, 1, 10)), t.constant(Tensor.of(2, 2, 1, 2, 3, 4)))))
                .containsExactly(9, 8, 7, 6);
        // [[1 2]; [3 4]] / [2 4] = [[0.5 0.5]; [1.5 1]].
        assertThat(forward(t -> t.div(t.constant(Tensor.of(2, 2, 1, 2, 3, 4)), t.constant(Tensor.of(1, 2, 2, 4)))))
                .containsExactly(0.5f, 0.5f, 1.5f, 1f);
    }

    @Test
    void twoSidedBroadcastGradientsAreSummedBackToEachShapeByHand() {
        // L = Σ_rc a_r·b_c with a = [1; 2], b = [10 20 30]: ∂L/∂a_r = Σ_c b_c = 60, ∂L/∂b_c = Σ_r a_r = 3.
        Parameter a = fixed("a", 2, 1, 1, 2);
        Parameter b = fixed("b", 1, 3, 10, 20, 30);
        backward(t -> t.mul(t.param(a), t.param(b)), Tensor.of(2, 3, 1, 1, 1, 1, 1, 1), a, b);
        assertThat(a.grad().toArray()).containsExactly(60, 60);
        assertThat(b.grad().toArray()).containsExactly(3, 3, 3);
        // L = Σ_c (a_r − b_c) weighted by w = [[1 2 3]; [4 5 6]]: ∂L/∂a = row sums (6, 15),
        // ∂L/∂b = −column sums (−5, −7, −9).
        backward(t -> t.sub(t.param(a), t.param(b)), Tensor.of(2, 3, 1, 2, 3, 4, 5, 6), a, b);
        assertThat(a.grad().toArray()).containsExactly(6, 15);
        assertThat(b.grad().toArray()).containsExactly(-5, -7, -9);
    }

    @Test
    void divisionGradientsByHand() {
        // y = 6 / [2 3]; L = Σ y: ∂L/∂a = 1/2 + 1/3 = 5/6, ∂L/∂b = −6/b² = (−1.5, −2/3).
        Parameter a = fixed("a", 1, 1, 6);
        Parameter b = fixed("b", 1, 2, 2, 3);
        backward(t -> t.div(t.param(a), t.param(b)), Tensor.of(1, 2, 1, 1), a, b);
        assertThat((double) a.grad().get(0)).isCloseTo(5.0 / 6, within(1e-6));
        assertThat((double) b.grad().get(0)).isCloseTo(-1.5, within(1e-6));
        assertThat((double) b.grad().get(1)).isCloseTo(-2.0 / 3, within(1e-6));
    }

    @Test
    void everyBroadcastPairForAddSubMulDiv() {
        int[][][] pairs = {
                {{3, 1}, {1, 4}}, {{1, 4}, {3, 1}}, {{3, 1}, {3, 4}}, {{1, 4}, {3, 4}}, {{1, 1}, {3, 4}},
                {{3, 4}, {1, 1}}, {{3, 4}, {3, 1}}, {{3, 4}, {1, 4}}, {{3, 4}, {3, 4}}, {{1, 1}, {3, 1}}};
        for (int[][] pair : pairs) {
            Parameter a = param("a" + pair[0][0] + "x" + pair[0][1], pair[0][0], pair[0][1]);
            Parameter b = param("b" + pair[1][0] + "x" + pair[1][1], pair[1][0], pair[1][1]);
            Parameter positive = param("q" + pair[1][0] + "x" + pair[1][1], pair[1][0], pair[1][1], 0.5f, 2f);
            int rows = Math.max(pair[0][0], pair[1][0]);
            int cols = Math.max(pair[0][1], pair[1][1]);
            check(t -> t.add(t.param(a), t.param(b)), rows, cols, a, b);
            check(t -> t.sub(t.param(a), t.param(b)), rows, cols, a, b);
            check(t -> t.mul(t.param(a), t.param(b)), rows, cols, a, b);
            check(t -> t.div(t.param(a), t.param(positive)), rows, cols, a, positive);
        }
    }

    @Test
    void twoSidedBroadcastEqualsTheExplicitExpansionBitForBit() {
        // Large enough for the parallel paths: r×1 + 1×c must equal (0_{r×c} + r×1) + 1×c,
        // which only uses the one-sided broadcasts, in value and in both gradients.
        int rows = 70;
        int cols = 1300;
        Parameter a1 = param("a1", rows, 1);
        Parameter b1 = param("b1", 1, cols);
        Parameter a2 = new Parameter("a2", a1.value().copy());
        Parameter b2 = new Parameter("b2", b1.value().copy());
        Tensor w = Tensor.zeros(rows, cols);
        rng.fillUniform(w, -1f, 1f);
        Tensor zeros = Tensor.zeros(rows, cols);
        float[] twoSided = forward(t -> t.mul(t.add(t.constant(a1.value()), t.constant(b1.value())), t.constant(w)));
        float[] expanded = forward(t -> t.mul(t.add(t.add(t.constant(zeros), t.constant(a2.value())),
                t.constant(b2.value())), t.constant(w)));
        assertThat(twoSided).containsExactly(expanded);
        backward(t -> t.mul(t.param(a1), t.param(b1)), w, a1, b1);
        backward(t -> t.mul(t.add(t.constant(zeros), t.param(a2)), t.param(b2)), w, a2, b2);
        assertThat(a1.grad().toArray()).containsExactly(a2.grad().toArray());
        assertThat(b1.grad().toArray()).containsExactly(b2.grad().toArray());
    }

    @Test
    void incompatibleShapesAreRefused() {
        assertThatThrownBy(() -> forward(t -> t.add(t.constant(Tensor.zeros(2, 3)), t.constant(Tensor.zeros(3, 2)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("add: cannot broadcast");
        assertThatThrownBy(() -> forward(t -> t.div(t.constant(Tensor.zeros(2, 3)), t.constant(Tensor.zeros(1, 2)))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("div: cannot broadcast");
    }

    // ---------------------------------------------------------------- element-wise functions

    @Test
    void elementWiseFunctionsByHand() {
        assertThat(forward(t -> t.relu(t.constant(Tensor.of(1, 4, -2, 0, 3, -0.5f))))).containsExactly(0, 0, 3, 0);
        assertThat(forward(t -> t.sqrt(t.constant(Tensor.of(1, 3, 4, 9, 0.25f))))).containsExactly(2, 3, 0.5f);
        assertThat(forward(t -> t.rsqrt(t.constant(Tensor.of(1, 3, 4, 0.25f, 1))))).containsExactly(0.5f, 2, 1);
        assertThat(forward(t -> t.pow(t.constant(Tensor.of(1, 3, 2, 3, -2)), 3f))).containsExactly(8, 27, -8);
        assertThat(forward(t -> t.pow(t.constant(Tensor.of(1, 2, 4, 2)), -1f))).containsExactly(0.25f, 0.5f);
        assertThat(forward(t -> t.pow(t.constant(Tensor.of(1, 1, 16)), 0.5f))).containsExactly(4);
    }

    @Test
    void elementWiseDerivativesByHand() {
        // relu' = [0, 1]; sqrt'(4) = 1/4; rsqrt'(4) = −4^(−3/2)/2 = −1/16; (x³)' at 2 = 12.
        Parameter x = fixed("x", 1, 2, -1, 2);
        backward(t -> t.relu(t.param(x)), Tensor.of(1, 2, 1, 1), x);
        assertThat(x.grad().toArray()).containsExactly(0, 1);
        Parameter four = fixed("four", 1, 1, 4);
        backward(t -> t.sqrt(t.param(four)), Tensor.of(1, 1, 1), four);
        assertThat(four.grad().get(0)).isEqualTo(0.25f);
        backward(t -> t.rsqrt(t.param(four)), Tensor.of(1, 1, 1), four);
        assertThat(four.grad().get(0)).isEqualTo(-0.0625f);
        Parameter two = fixed("two", 1, 1, 2);
        backward(t -> t.pow(t.param(two), 3f), Tensor.of(1, 1, 1), two);
        assertThat((double) two.grad().get(0)).isCloseTo(12, within(1e-5));
        backward(t -> t.pow(t.param(two), 0f), Tensor.of(1, 1, 1), two);
        assertThat(two.grad().get(0)).isEqualTo(0f);
    }

    /**
     * LeakyReLU by hand, slope 0.1: [−2, 0, 3, −0.5] ↦ [−0.2, 0, 3, −0.05]; with upstream
     * w = [1, 2, 3, 4] the gradient is w·(x &gt; 0 ? 1 : 0.1) = [0.1, 0.2, 3, 0.4] (0 takes the slope).
     */
    @Test
    void leakyReluByHand() {
        assertThat(forward(t -> t.leakyRelu(t.constant(Tensor.of(1, 4, -2, 0, 3, -0.5f)), 0.1f)))
                .containsExactly(-0.2f, 0f, 3f, -0.05f);
        Parameter x = fixed("x", 1, 4, -2, 0, 3, -0.5f);
        backward(t -> t.leakyRelu(t.param(x), 0.1f), Tensor.of(1, 4, 1, 2, 3, 4), x);
        assertThat(x.grad().toArray()).containsExactly(0.1f, 0.2f, 3f, 0.4f);
    }

    /**
     * The kernels rewritten for speed (LeakyReLU, square and ReLU in SIMD chunk loops; the row
     * loops of gatherRows' and concatCols' backward and of rowDot) against their per-element
     * definitions, bit for bit, on shapes that cross the chunk and vector-lane boundaries.
     */
    @Test
    void rewrittenKernelsEqualTheirPerElementDefinitionsBitForBit() {
        int rows = 70;
        int cols = 65;
        int n = rows * cols;
        Parameter a = param("a", rows, cols, -2f, 2f);
        Parameter b = param("b", rows, cols, -2f, 2f);
        Tensor w = Tensor.zeros(rows, cols);
        rng.fillUniform(w, -1f, 1f);
        float[] av = a.value().toArray();
        float[] bv = b.value().toArray();
        float[] wv = w.toArray();
        av[0] = 0f;
        av[1] = -0f;
        a.value().copyFrom(av);

        float slope = 0.01f;
        float[] y = forward(t -> t.leakyRelu(t.param(a), slope));
        backward(t -> t.leakyRelu(t.param(a), slope), w, a);
        float[] g = a.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertThat(y[i]).isEqualTo(av[i] > 0 ? av[i] : slope * av[i]);
            assertThat(g[i]).isEqualTo(0f + wv[i] * (av[i] > 0 ? 1f : slope));
        }
        y = forward(t -> t.square(t.param(a)));
        backward(t -> t.square(t.param(a)), w, a);
        g = a.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertThat(y[i]).isEqualTo(av[i] * av[i]);
            assertThat(g[i]).isEqualTo(0f + wv[i] * (2f * av[i]));
        }
        y = forward(t -> t.relu(t.param(a)));
        backward(t -> t.relu(t.param(a)), w, a);
        g = a.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertThat(y[i]).isEqualTo(Math.max(av[i], 0f));
            assertThat(g[i]).isEqualTo(0f + wv[i] * (av[i] > 0 ? 1f : 0f));
        }

        // rowDot: double sums in column order; gradients g·b and g·a.
        Tensor wr = Tensor.zeros(rows, 1);
        rng.fillUniform(wr, -1f, 1f);
        y = forward(t -> t.rowDot(t.param(a), t.param(b)));
        backward(t -> t.rowDot(t.param(a), t.param(b)), wr, a, b);
        float[] ga = a.grad().toArray();
        float[] gb = b.grad().toArray();
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += av[r * cols + c] * bv[r * cols + c];
            }
            assertThat(y[r]).isEqualTo((float) s);
            float gr = wr.get(r, 0);
            for (int c = 0; c < cols; c++) {
                assertThat(ga[r * cols + c]).isEqualTo(0f + gr * bv[r * cols + c]);
                assertThat(gb[r * cols + c]).isEqualTo(0f + gr * av[r * cols + c]);
            }
        }

        // gatherRows' backward: repeated rows accumulate in index order.
        int[] idx = new int[150];
        for (int k = 0; k < idx.length; k++) {
            idx[k] = (k * 37) % 11;
        }
        Tensor wg = Tensor.zeros(idx.length, cols);
        rng.fillUniform(wg, -1f, 1f);
        backward(t -> t.gatherRows(t.param(a), idx), wg, a);
        float[] expected = new float[n];
        for (int k = 0; k < idx.length; k++) {
            for (int c = 0; c < cols; c++) {
                expected[idx[k] * cols + c] += wg.get(k, c);
            }
        }
        assertThat(a.grad().toArray()).containsExactly(expected);

        // concatCols' backward: each part's gradient is its segment of the upstream gradient.
        Parameter c1 = param("c1", rows, 3);
        Tensor wc = Tensor.zeros(rows, cols + 3 + cols);
        rng.fillUniform(wc, -1f, 1f);
        backward(t -> t.concatCols(t.param(a), t.param(c1), t.param(a)), wc, a, c1);
        float[] gc = c1.grad().toArray();
        ga = a.grad().toArray();
        int width = 2 * cols + 3;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < 3; c++) {
                assertThat(gc[r * 3 + c]).isEqualTo(wc.get(r, cols + c));
            }
            for (int c = 0; c < cols; c++) {
                // a appears twice: its first segment's gradient, then its second's, added.
                assertThat(ga[r * cols + c]).isEqualTo(0f + wc.get(r, c) + wc.get(r, cols + 3 + c));
            }
        }
        assertThat(width).isEqualTo(wc.cols());
    }

    /**
     * pairDots by hand: a = [[1, 2], [3, 4]], b = [[1, 0], [0, 1], [2, 2]], pairs (0, 2), (1, 0),
     * (1, 1): ⟨[1, 2], [2, 2]⟩ = 6, ⟨[3, 4], [1, 0]⟩ = 3, ⟨[3, 4], [0, 1]⟩ = 4. Upstream
     * [1, 2, 3]: grad a = [1·b₂ ; 2·b₀ + 3·b₁] = [[2, 2], [2, 3]]; grad b = [2·a₁ ; 3·a₁ ; 1·a₀]
     * = [[6, 8], [9, 12], [1, 2]].
     */
    @Test
    void pairDotsByHandByFiniteDifferencesAndAsTheGatherComposite() {
        Parameter a = fixed("a", 2, 2, 1, 2, 3, 4);
        Parameter b = fixed("b", 3, 2, 1, 0, 0, 1, 2, 2);
        int[] ia = {0, 1, 1};
        int[] ib = {2, 0, 1};
        assertThat(forward(t -> t.pairDots(t.param(a), ia, t.param(b), ib))).containsExactly(6, 3, 4);
        backward(t -> t.pairDots(t.param(a), ia, t.param(b), ib), Tensor.of(3, 1, 1, 2, 3), a, b);
        assertThat(a.grad().toArray()).containsExactly(2, 2, 2, 3);
        assertThat(b.grad().toArray()).containsExactly(6, 8, 9, 12, 1, 2);
        assertThatThrownBy(() -> forward(t -> t.pairDots(t.param(a), new int[] {0, 2}, t.param(b), new int[] {0, 1})))
                .isInstanceOf(IndexOutOfBoundsException.class);

        Parameter x = param("x", 6, 5);
        Parameter z = param("z", 4, 5);
        int[] left = {5, 0, 3, 3, 1, 5, 2};
        int[] right = {0, 1, 3, 2, 3, 0, 0};
        check(t -> t.pairDots(t.param(x), left, t.param(z), right), 7, 1, x, z);
        check(t -> t.pairDots(t.param(x), left, t.param(x), right), 7, 1, x);

        // One table on both sides with repeated rows (GRCN's edge logits): the composite's values
        // and gradients, bit for bit.
        Parameter big = param("big", 300, 64);
        // Targets sorted with runs of repeats, as a CSR pattern's rows are; 2003 pairs, so the
        // dots run four at a time and then three alone.
        int[] targets = new int[2003];
        int[] sources = new int[2003];
        for (int k = 0; k < targets.length; k++) {
            targets[k] = k * 300 / targets.length;
            sources[k] = (k * 17 + 5) % 300;
        }
        Tensor w = Tensor.zeros(targets.length, 1);
        rng.fillUniform(w, -1f, 1f);
        float[] fused = forward(t -> t.pairDots(t.param(big), targets, t.param(big), sources));
        float[] composite = forward(t -> t.rowDot(t.gatherRows(t.param(big), targets), t.gatherRows(t.param(big), sources)));
        assertThat(fused).containsExactly(composite);
        backward(t -> t.pairDots(t.param(big), targets, t.param(big), sources), w, big);
        float[] fusedGrad = big.grad().toArray();
        backward(t -> t.rowDot(t.gatherRows(t.param(big), targets), t.gatherRows(t.param(big), sources)), w, big);
        assertThat(fusedGrad).containsExactly(big.grad().toArray());
    }

    /**
     * A backward step that is first to reach an intermediate writes its gradient (gemm with beta
     * 0, a store) instead of zeroing and adding; reaching the same op through a parameter, whose
     * gradient always exists, takes the adding path. Both give the same bits. scale(·, 1) makes
     * the intermediate: its backward adds 1·g onto the parameter's zeroed gradient, exactly g.
     */
    @Test
    void aFreshIntermediateGradientIsWrittenAsTheAccumulatedOneWouldBe() {
        Parameter x = param("x", 70, 65, -2f, 2f);
        Parameter w = param("w", 65, 33);
        Parameter bias = param("bias", 1, 33);
        Parameter other = param("other", 70, 4);
        CsrMatrix graph = CsrMatrix.fromCoo(70, 70, new int[] {0, 0, 3, 5, 69, 69, 12}, new int[] {1, 69, 3, 0, 2, 5, 12},
                new float[] {0.5f, -1f, 2f, 0.25f, 1f, 3f, -0.5f}, CsrMatrix.Duplicates.ERROR);
        List<Function<Var[], Function<Tape, Var>>> ops = List.of(
                v -> t -> t.leakyRelu(v[0], 0.01f),
                v -> t -> t.linear(v[0], v[1], t.param(bias)),
                v -> t -> t.matmul(v[0], v[1]),
                v -> t -> t.matmul(v[1], v[0], true, true),
                v -> t -> t.spmm(graph, v[0]),
                v -> t -> t.concatCols(v[0], t.param(other), v[0]),
                v -> t -> t.rowL2Normalize(v[0], 1e-12f));
        for (int k = 0; k < ops.size(); k++) {
            Function<Var[], Function<Tape, Var>> op = ops.get(k);
            int[] shape = new int[2];
            try (BufferPool pool = new BufferPool(); Tape tape = Tape.noGrad(pool)) {
                Var y = op.apply(new Var[] {tape.param(x), tape.param(w)}).apply(tape);
                shape[0] = y.rows();
                shape[1] = y.cols();
            }
            Tensor up = Tensor.zeros(shape[0], shape[1]);
            rng.fillUniform(up, -1f, 1f);
            backward(t -> op.apply(new Var[] {t.param(x), t.param(w)}).apply(t), up, x, w);
            float[] viaParameterX = x.grad().toArray();
            float[] viaParameterW = w.grad().toArray();
            backward(t -> op.apply(new Var[] {t.scale(t.param(x), 1f), t.scale(t.param(w), 1f)}).apply(t), up, x, w);
            assertThat(x.grad().toArray()).as("op %d, x", k).containsExactly(viaParameterX);
            assertThat(w.grad().toArray()).as("op %d, w", k).containsExactly(viaParameterW);
        }
    }

    /**
     * mul's and div's gradients on long columns (GRCN's edge weights), now in flat chunks: the
     * per-element products sign·g·factor, bit for bit.
     */
    @Test
    void productAndQuotientGradientsOnLongColumnsBitForBit() {
        int n = 5003;
        Parameter a = param("a", n, 1, 0.5f, 2f);
        Parameter b = param("b", n, 1, 0.5f, 2f);
        Tensor w = Tensor.zeros(n, 1);
        rng.fillUniform(w, -1f, 1f);
        float[] av = a.value().toArray();
        float[] bv = b.value().toArray();
        backward(t -> t.mul(t.param(a), t.param(b)), w, a, b);
        float[] ga = a.grad().toArray();
        float[] gb = b.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertThat(ga[i]).isEqualTo(0f + 1f * w.get(i) * bv[i]);
            assertThat(gb[i]).isEqualTo(0f + 1f * w.get(i) * av[i]);
        }
        backward(t -> t.div(t.param(a), t.param(b)), w, a, b);
        gb = b.grad().toArray();
        for (int i = 0; i < n; i++) {
            assertThat(gb[i]).isEqualTo(0f + -1f * w.get(i) * ((av[i] / bv[i]) / bv[i]));
        }
    }

    @Test
    void elementWiseFunctionGradients() {
        // Entries away from relu's kink at 0, on both sides of it.
        Parameter mixed = fixed("mixed", 2, 3, -1f, 0.4f, -0.3f, 0.9f, 0.2f, -0.6f);
        check(t -> t.relu(t.param(mixed)), 2, 3, mixed);
        Parameter positive = param("positive", 3, 4, 0.5f, 2f);
        check(t -> t.sqrt(t.param(positive)), 3, 4, positive);
        check(t -> t.rsqrt(t.param(positive)), 3, 4, positive);
        check(t -> t.pow(t.param(positive), 0.5f), 3, 4, positive);
        check(t -> t.pow(t.param(positive), -1.5f), 3, 4, positive);
        Parameter any = param("any", 3, 4, -1.5f, 1.5f);
        check(t -> t.pow(t.param(any), 3f), 3, 4, any);
        check(t -> t.pow(t.param(any), 2f), 3, 4, any);
    }

    // ---------------------------------------------------------------- matrices and indexing

    @Test
    void transposeByHandAndAcrossBlocks() {
        // [[1 2 3]; [4 5 6]]ᵀ = [[1 4]; [2 5]; [3 6]].
        assertThat(forward(t -> t.transpose(t.constant(Tensor.of(2, 3, 1, 2, 3, 4, 5, 6)))))
                .containsExactly(1, 4, 2, 5, 3, 6);
        // 150 rows: more than two of the kernel's 64-row blocks, the last one partial.
        Tensor big = Tensor.zeros(150, 37);
        rng.fillUniform(big, -1f, 1f);
        float[] tr = forward(t -> t.transpose(t.constant(big)));
        for (int r = 0; r < 150; r++) {
            for (int c = 0; c < 37; c++) {
                assertThat(tr[c * 150 + r]).isEqualTo(big.get(r, c));
            }
        }
        Parameter a = param("a", 3, 4);
        check(t -> t.transpose(t.param(a)), 4, 3, a);
        Parameter tall = param("tall", 70, 3);
        check(t -> t.transpose(t.param(tall)), 3, 70, tall);
    }

    @Test
    void scatterAddRowsByHand() {
        // index [2, 0, 2]: out[0] = src[1] = (3, 4), out[1] = 0, out[2] = src[0] + src[2] = (6, 8).
        Parameter src = fixed("src", 3, 2, 1, 2, 3, 4, 5, 6);
        int[] index = {2, 0, 2};
        assertThat(forward(t -> t.scatterAddRows(t.constant(src.value()), index, 3))).containsExactly(3, 4, 0, 0, 6, 8);
        // ∂/∂src[k] of Σ w ⊙ out is w[index[k]]: rows w[2], w[0], w[2].
        backward(t -> t.scatterAddRows(t.param(src), index, 3), Tensor.of(3, 2, 1, 10, 100, 1000, 2, 20), src);
        assertThat(src.grad().toArray()).containsExactly(2, 20, 1, 10, 2, 20);
    }

    @Test
    void scatterAddRowsGradientWithDuplicatesAndItsAdjointOfGather() {
        Parameter src = param("src", 5, 3);
        check(t -> t.scatterAddRows(t.param(src), new int[] {2, 0, 2, 3, 2}, 4), 4, 3, src);
        // ⟨gather(x, idx), y⟩ = ⟨x, scatterAdd(y, idx)⟩ for any x and y.
        Tensor x = Tensor.zeros(4, 3);
        Tensor y = Tensor.zeros(5, 3);
        rng.fillUniform(x, -1f, 1f);
        rng.fillUniform(y, -1f, 1f);
        int[] idx = {2, 0, 2, 3, 2};
        float[] gathered = forward(t -> t.gatherRows(t.constant(x), idx));
        float[] scattered = forward(t -> t.scatterAddRows(t.constant(y), idx, 4));
        double left = 0;
        double right = 0;
        for (int i = 0; i < gathered.length; i++) {
            left += gathered[i] * y.get(i);
        }
        for (int i = 0; i < scattered.length; i++) {
            right += x.get(i) * scattered[i];
        }
        assertThat(left).isCloseTo(right, within(1e-5));
        assertThatThrownBy(() -> forward(t -> t.scatterAddRows(t.constant(y), new int[] {0, 1, 4, 0, 0}, 4)))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void cosineSimilarityByHand() {
        // a = [(3,4); (1,0)], b = [(4,3); (0,2); (0,0)]: cos(a0,b0) = 24/25, cos(a0,b1) = 8/10,
        // cos(a1,b0) = 4/5, cos(a1,b1) = 0; the zero row of b gives 0, not NaN.
        float[] cos = forward(t -> t.cosineSimilarity(t.constant(Tensor.of(2, 2, 3, 4, 1, 0)),
                t.constant(Tensor.of(3, 2, 4, 3, 0, 2, 0, 0))));
        float[] expected = {0.96f, 0.8f, 0f, 0.8f, 0f, 0f};
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) cos[i]).as("entry %d", i).isCloseTo(expected[i], within(1e-6));
        }
    }

    @Test
    void cosineSimilarityGradients() {
        Parameter a = param("a", 3, 4);
        Parameter b = param("b", 5, 4);
        check(t -> t.cosineSimilarity(t.param(a), t.param(b)), 3, 5, a, b);
        check(t -> {
            Var v = t.param(a);
            return t.cosineSimilarity(v, v);
        }, 3, 3, a);
    }

    // ---------------------------------------------------------------- sparse with learned values

    /** (0,0), (0,2), (1,1) of a 2×3 matrix, with values the learned ones must override. */
    private static CsrMatrix pattern() {
        return CsrMatrix.fromCoo(2, 3, new int[] {0, 0, 1}, new int[] {0, 2, 1}, new float[] {7, 7, 7},
                CsrMatrix.Duplicates.ERROR);
    }

    @Test
    void sparseTimesDenseWithEdgeValuesByHand() {
        // A = [[2 0 −1]; [0 3 0]], x = [[1 2]; [3 4]; [5 6]]: A·x = [[−3 −2]; [9 12]].
        CsrMatrix s = pattern();
        Parameter v = fixed("v", 3, 1, 2, -1, 3);
        Parameter x = fixed("x", 3, 2, 1, 2, 3, 4, 5, 6);
        assertThat(forward(t -> t.spmm(s, t.constant(v.value()), t.constant(x.value()))))
                .containsExactly(-3, -2, 9, 12);
        // With w = [[1 0]; [0 1]]: ∂L/∂v_e = ⟨w[row_e], x[col_e]⟩ = (1, 5, 4), ∂L/∂x = Aᵀ·w =
        // [[2 0]; [0 3]; [−1 0]].
        backward(t -> t.spmm(s, t.param(v), t.param(x)), Tensor.of(2, 2, 1, 0, 0, 1), v, x);
        assertThat(v.grad().toArray()).containsExactly(1, 5, 4);
        assertThat(x.grad().toArray()).containsExactly(2, 0, 0, 3, -1, 0);
        assertThat(s.values()).containsExactly(7, 7, 7);
    }

    @Test
    void sparseTimesDenseWithEdgeValuesGradients() {
        CsrMatrix s = CsrMatrix.fromCoo(4, 5, new int[] {0, 0, 1, 2, 2, 3, 3}, new int[] {0, 3, 1, 0, 4, 2, 3},
                new float[7], CsrMatrix.Duplicates.ERROR);
        Parameter v = param("v", 7, 1);
        Parameter x = param("x", 5, 3);
        check(t -> t.spmm(s, t.param(v), t.param(x)), 4, 3, v, x);
        assertThatThrownBy(() -> forward(t -> t.spmm(s, t.constant(Tensor.zeros(6, 1)), t.constant(x.value()))))
                .hasMessageContaining("7×1");
    }

    /**
     * Rows of 0, 1, 4, 5 and 9 entries (the edge-value gradient takes a row's entries four at a
     * time): finite differences, and ∂L/∂v_e = ⟨g[row_e], x[col_e]⟩ summed in double in column
     * order, bit for bit.
     */
    @Test
    void edgeValueGradientsOnRowsOfEveryLength() {
        int[] degrees = {0, 1, 4, 5, 9};
        int cols = 11;
        int d = 37;
        java.util.List<Integer> r = new java.util.ArrayList<>();
        java.util.List<Integer> c = new java.util.ArrayList<>();
        for (int i = 0; i < degrees.length; i++) {
            for (int k = 0; k < degrees[i]; k++) {
                r.add(i);
                c.add((i * 3 + k * 5) % cols);
            }
        }
        int nnz = r.size();
        CsrMatrix s = CsrMatrix.fromCoo(degrees.length, cols, r.stream().mapToInt(Integer::intValue).toArray(),
                c.stream().mapToInt(Integer::intValue).toArray(), new float[nnz], CsrMatrix.Duplicates.ERROR);
        Parameter v = param("v", nnz, 1);
        Parameter x = param("x", cols, 3);
        check(t -> t.spmm(s, t.param(v), t.param(x)), degrees.length, 3, v, x);

        Parameter wide = param("wide", cols, d);
        Tensor w = Tensor.zeros(degrees.length, d);
        rng.fillUniform(w, -1f, 1f);
        backward(t -> t.spmm(s, t.param(v), t.param(wide)), w, v, wide);
        int[] rows = s.rowIdx();
        for (int e = 0; e < nnz; e++) {
            double dot = 0;
            for (int k = 0; k < d; k++) {
                dot += w.get(rows[e], k) * wide.value().get(s.colIdx()[e], k);
            }
            assertThat(v.grad().get(e)).as("entry %d", e).isEqualTo(0f + (float) dot);
        }
    }

    @Test
    void edgeValuesComputedFromEmbeddingsAsAGrcnLayerWould() {
        // v_e = σ(⟨u[row_e], x[col_e]⟩), then A(v)·x: x reaches the loss through both.
        CsrMatrix s = CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 1, 2, 2}, new int[] {1, 3, 0, 2, 3}, new float[5],
                CsrMatrix.Duplicates.ERROR);
        assertThat(s.rowIdx()).containsExactly(0, 0, 1, 2, 2);
        Parameter u = param("u", 3, 2);
        Parameter x = param("x", 4, 2);
        check(t -> {
            Var xs = t.param(x);
            Var edges = t.sigmoid(t.rowDot(t.gatherRows(t.param(u), s.rowIdx()), t.gatherRows(xs, s.colIdx())));
            return t.spmm(s, edges, xs);
        }, 3, 2, u, x);
    }

    // ---------------------------------------------------------------- constants

    @Test
    void normalDrawsWhatFillNormalDrawsAndLeavesTheRngInTheSameState() {
        // 3×20000 spans several of Rng's fill blocks.
        Rng mine = new Rng(42);
        Rng theirs = new Rng(42);
        Tensor expected = Tensor.zeros(3, 20000);
        theirs.fillNormal(expected, 0f, 1f);
        float[] drawn = forward(t -> t.normal(3, 20000, mine));
        assertThat(drawn).containsExactly(expected.toArray());
        assertThat(mine.nextLong()).isEqualTo(theirs.nextLong());
    }

    @Test
    void denseRowsAndArrayConstantsByHand() {
        // m = [[0 1 0 2]; [0 0 0 0]; [3 0 0 0]]; rows (2, 0, 1, 2).
        CsrMatrix m = CsrMatrix.fromCoo(3, 4, new int[] {0, 0, 2}, new int[] {1, 3, 0}, new float[] {1, 2, 3},
                CsrMatrix.Duplicates.ERROR);
        try (BufferPool pool = new BufferPool(); Tape tape = Tape.noGrad(pool)) {
            // The pool hands back dirty memory: the zeros must be written.
            Tensor dirty = pool.acquire(4, 4);
            dirty.fill(9f);
            dirty.close();
            Var d = tape.denseRows(m, new int[] {2, 0, 1, 2});
            assertThat(d.rows()).isEqualTo(4);
            assertThat(d.value().toArray()).containsExactly(3, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0);
            assertThat(d.requiresGrad()).isFalse();
            Var c = tape.constant(2, 2, new float[] {1, 2, 3, 4});
            assertThat(c.value().get(1, 0)).isEqualTo(3f);
            assertThatThrownBy(() -> tape.constant(2, 2, new float[3])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> tape.denseRows(m, new int[] {3})).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    /**
     * rowAffine: rows [1, 2] and [3, 4] of a, [10, 20] and [30, 40] of b, alpha (0.5, 2), beta
     * (1, -1): row 0 = 0.5·[1, 2] + 1·[10, 20] = [10.5, 21]; row 1 = 2·[3, 4] − [30, 40] = [−24, −32].
     */
    @Test
    void rowAffineByHandByFiniteDifferencesAndAsTheBroadcastComposite() {
        Parameter a = fixed("a", 2, 2, 1, 2, 3, 4);
        Parameter b = fixed("b", 2, 2, 10, 20, 30, 40);
        float[] alpha = {0.5f, 2f};
        float[] beta = {1f, -1f};
        assertThat(forward(t -> t.rowAffine(t.param(a), alpha, t.param(b), beta)))
                .containsExactly(10.5f, 21f, -24f, -32f);
        Parameter x = param("x", 5, 7);
        Parameter z = param("z", 5, 7);
        float[] p = {0.3f, -1.2f, 2f, 0.7f, 0.01f};
        float[] q = {1.1f, 0.4f, -0.6f, 3f, -2f};
        check(t -> t.rowAffine(t.param(x), p, t.param(z), q), 5, 7, x, z);
        // Large enough to run in parallel: value for value the two broadcast products and a sum.
        Parameter big1 = param("big1", 300, 513);
        Parameter big2 = param("big2", 300, 513);
        float[] s1 = new float[300];
        float[] s2 = new float[300];
        for (int r = 0; r < 300; r++) {
            s1[r] = (float) Math.sqrt(1 - r / 400.0);
            s2[r] = (float) Math.sqrt(r / 400.0);
        }
        float[] fused = forward(t -> t.rowAffine(t.param(big1), s1, t.param(big2), s2));
        float[] composite = forward(t -> t.add(t.mul(t.param(big1), t.constant(300, 1, s1)),
                t.mul(t.param(big2), t.constant(300, 1, s2))));
        assertThat(fused).containsExactly(composite);
    }
}
