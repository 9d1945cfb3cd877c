package org.diffmmj.autograd;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * Records a forward computation and runs it backwards. Every op computes its output now and,
 * when gradients are needed, registers a backward step that keeps only what that step reads
 * (PyTorch's autograd, in the small). Outputs come from the pool and go back to it on close,
 * so a tape per training step keeps memory flat. {@link #noGrad} records nothing.
 *
 * <p>This class is the facade and the recording core ({@code output}, {@code onBackward},
 * {@code gradOf}); the ops live in package-private classes by family.
 */
public final class Tape implements AutoCloseable {

    private static final OpProfile PROFILE = OpProfile.fromEnvironment();

    private final BufferPool pool;
    private final boolean recording;
    private final List<Tensor> owned = new ArrayList<>();
    private final List<Runnable> backwardSteps = new ArrayList<>();
    private boolean closed;

    public Tape(BufferPool pool) {
        this(pool, true);
    }

    private Tape(BufferPool pool, boolean recording) {
        this.pool = pool;
        this.recording = recording;
        if (PROFILE != null) {
            PROFILE.mark();
        }
    }

    /** A tape for evaluation: no gradients, nothing saved for backward. */
    public static Tape noGrad(BufferPool pool) {
        return new Tape(pool, false);
    }

    public BufferPool pool() {
        return pool;
    }

    public boolean recording() {
        return recording;
    }

    // ---------------------------------------------------------------- leaves

    public Var param(Parameter p) {
        return new Var(p.value(), recording, p);
    }

    /** A constant the caller keeps owning. */
    public Var constant(Tensor t) {
        return new Var(t, false, null);
    }

    /** A constant this tape takes ownership of (released on close), e.g. a batch's input rows. */
    public Var adopt(Tensor t) {
        owned.add(t);
        return new Var(t, false, null);
    }

    /** A rows×cols constant holding a copy of data (row-major, rows·cols values), owned by this tape. */
    public Var constant(int rows, int cols, float[] data) {
        if (data.length != rows * cols) {
            throw new IllegalArgumentException(data.length + " values for a " + rows + "×" + cols + " constant");
        }
        Tensor t = alloc(rows, cols);
        t.copyFrom(data);
        return new Var(t, false, null);
    }

    /**
     * A rows×cols constant of N(0, 1) draws, owned by this tape. It consumes rng exactly as
     * {@code rng.fillNormal(tensor, 0f, 1f)} on a rows×cols tensor does, and holds the same
     * values, so code that filled a pooled tensor itself can switch to this without changing
     * any result.
     */
    public Var normal(int rows, int cols, Rng rng) {
        Tensor t = alloc(rows, cols);
        rng.fillNormal(t, 0f, 1f);
        return new Var(t, false, null);
    }

    /**
     * A rows.length×m.cols() constant whose row r is row rows[r] of m, dense: stored values at
     * their columns, zeros elsewhere (e.g. a batch's interaction rows). Owned by this tape.
     */
    public Var denseRows(CsrMatrix m, int[] rows) {
        int width = m.cols();
        int[] ptr = m.rowPtr();
        int[] cols = m.colIdx();
        float[] vals = m.values();
        for (int r : rows) {
            if (r < 0 || r >= m.rows()) {
                throw new IndexOutOfBoundsException("denseRows: row " + r + " of a " + m.rows() + "-row matrix");
            }
        }
        Tensor t = allocZeroed(rows.length, width);
        FloatBuffer buf = t.buffer();
        for (int r = 0; r < rows.length; r++) {
            for (int p = ptr[rows[r]]; p < ptr[rows[r] + 1]; p++) {
                buf.put(r * width + cols[p], vals[p]);
            }
        }
        return new Var(t, false, null);
    }

    // ---------------------------------------------------------------- plumbing

    Tensor alloc(int rows, int cols) {
        if (closed) {
            throw new IllegalStateException("tape is closed");
        }
        Tensor t = pool.acquire(rows, cols);
        owned.add(t);
        return t;
    }

    Tensor allocZeroed(int rows, int cols) {
        Tensor t = alloc(rows, cols);
        t.fill(0f);
        return t;
    }

    /** A new value; it needs gradients when recording and any input does. */
    Var output(Tensor value, Var... inputs) {
        boolean grad = false;
        if (recording) {
            for (Var v : inputs) {
                grad |= v.requiresGrad;
            }
        }
        return new Var(value, grad, null);
    }

    /** The gradient accumulator of v, allocated zeroed on first use (a parameter's own). */
    Tensor gradOf(Var v) {
        if (v.parameter != null) {
            return v.parameter.grad();
        }
        if (v.grad == null) {
            v.grad = allocZeroed(v.rows(), v.cols());
        }
        return v.grad;
    }

    /**
     * For a backward step that sets every entry of v's gradient: true when no gradient exists
     * yet, in which case it is allocated here without being zeroed and the step must write it
     * (a product with beta 0, a store instead of an add), saving the zero fill and a read;
     * false when v already has one (a parameter's, or one an earlier step started), to which
     * the step must add. Either way {@link #gradOf} then returns it. Writing x where the
     * accumulator would hold 0 + x gives the same value (only a −0 would become +0 by the add).
     */
    boolean claimFreshGrad(Var v) {
        if (v.parameter != null || v.grad != null) {
            return false;
        }
        v.grad = alloc(v.rows(), v.cols());
        return true;
    }

    /**
     * Registers step to run during backward, if out needs gradients and once backward has
     * reached it. Every op calls this last: the profile closes its forward clock here.
     */
    void onBackward(Var out, Runnable step) {
        if (PROFILE != null) {
            PROFILE.endForward();
        }
        if (out.requiresGrad) {
            String op = PROFILE == null ? null : PROFILE.currentOp();
            backwardSteps.add(() -> {
                if (out.grad != null) {
                    long t0 = PROFILE == null ? 0 : System.nanoTime();
                    step.run();
                    if (PROFILE != null) {
                        PROFILE.add(op + ".backward", System.nanoTime() - t0);
                    }
                }
            });
        }
    }

    /** Fills gradients of everything the scalar depends on (parameters accumulate). */
    public void backward(Var scalar) {
        if (scalar.rows() != 1 || scalar.cols() != 1) {
            throw new IllegalArgumentException("backward needs a 1×1 value, got " + scalar.value.shape());
        }
        if (!recording) {
            throw new IllegalStateException("backward on a no-grad tape");
        }
        if (!scalar.requiresGrad) {
            throw new IllegalArgumentException("the value does not depend on any parameter");
        }
        gradOf(scalar).set(0, 0, gradOf(scalar).get(0, 0) + 1f);
        for (int i = backwardSteps.size() - 1; i >= 0; i--) {
            backwardSteps.get(i).run();
        }
        backwardSteps.clear();
        if (PROFILE != null) {
            PROFILE.mark();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        owned.forEach(Tensor::close);
        owned.clear();
        backwardSteps.clear();
    }

    // ---------------------------------------------------------------- dense products

    public Var matmul(Var a, Var b) {
        return MatrixOps.matmul(this, a, b, false, false);
    }

    /** op(a)·op(b) through OpenBLAS. */
    public Var matmul(Var a, Var b, boolean transA, boolean transB) {
        return MatrixOps.matmul(this, a, b, transA, transB);
    }

    /**
     * x·w + bias (bias a 1×n row, or null), the bias written into the output before the gemm
     * accumulates onto it, so a Linear layer costs one product and one pass.
     */
    public Var linear(Var x, Var w, Var bias) {
        return MatrixOps.linear(this, x, w, bias);
    }

    /** a·x for a constant sparse a; the backward pass multiplies by aᵀ. */
    public Var spmm(CsrMatrix a, Var x) {
        return SparseOps.spmm(this, a, x);
    }

    /**
     * A·x where A has structure's sparsity pattern and the learned values edgeValues (nnz×1, in
     * structure's storage order; structure's own values are ignored), x a structure.cols()×d
     * matrix; the result is structure.rows()×d. Gradients: ∂L/∂x = Aᵀ·g, and for the entry e at
     * (row_e, col_e), ∂L/∂v_e = ⟨g[row_e], x[col_e]⟩ (GRCN-style learned edge weights; see
     * {@link CsrMatrix#rowIdx()} for each entry's row).
     */
    public Var spmm(CsrMatrix structure, Var edgeValues, Var x) {
        return SparseOps.spmm(this, structure, edgeValues, x);
    }

    /** aᵀ, a cols×rows copy; the gradient is the upstream gradient transposed back. */
    public Var transpose(Var a) {
        return MatrixOps.transpose(this, a);
    }

    /** {@link #cosineSimilarity(Var, Var, float)} with eps = 1e-8 (torch's default). */
    public Var cosineSimilarity(Var a, Var b) {
        return cosineSimilarity(a, b, 1e-8f);
    }

    /**
     * The a.rows()×b.rows() matrix of cosines between rows, ⟨a_i, b_j⟩ / (max(‖a_i‖, eps)·
     * max(‖b_j‖, eps)); a and b of equal width. It is rowL2Normalize(a)·rowL2Normalize(b)ᵀ and
     * differentiates as those two ops (passing the same Var twice normalises it once).
     */
    public Var cosineSimilarity(Var a, Var b, float eps) {
        return MatrixOps.cosineSimilarity(this, a, b, eps);
    }

    // ---------------------------------------------------------------- indexing and shape

    /** Rows x[idx[0]], x[idx[1]], ... (an embedding lookup); backward scatter-adds. */
    public Var gatherRows(Var x, int[] idx) {
        return IndexOps.gatherRows(this, x, idx);
    }

    public Var concatRows(Var... parts) {
        return IndexOps.concatRows(this, parts);
    }

    public Var concatCols(Var... parts) {
        return IndexOps.concatCols(this, parts);
    }

    /**
     * index_add: a outRows×d result with out[index[k]] += src[k] for every row k of src (n×d,
     * index n long, each in [0, outRows)); rows no index names are zero, repeated indices
     * accumulate in index order. The adjoint of {@link #gatherRows}: ∂L/∂src[k] = g[index[k]].
     */
    public Var scatterAddRows(Var src, int[] index, int outRows) {
        return IndexOps.scatterAddRows(this, src, index, outRows);
    }

    public Var sliceRows(Var x, int from, int to) {
        return IndexOps.sliceRows(this, x, from, to);
    }

    public Var sliceCols(Var x, int from, int to) {
        return IndexOps.sliceCols(this, x, from, to);
    }

    // ---------------------------------------------------------------- element-wise arithmetic

    /**
     * a + b with two-sided broadcasting: in each dimension the sizes are equal or one of them
     * is 1, which stretches to the other (so r×c with r×c, 1×c, r×1 or 1×1 in either order, and
     * r×1 with 1×c gives r×c). Each input's gradient is the upstream gradient summed over the
     * positions it was stretched to.
     */
    public Var add(Var a, Var b) {
        return ElementwiseOps.add(this, a, b);
    }

    /** a − b, broadcast as {@link #add}; gradients g towards a and −g towards b, reduced likewise. */
    public Var sub(Var a, Var b) {
        return ElementwiseOps.sub(this, a, b);
    }

    /** a ⊙ b, broadcast as {@link #add}; gradients g⊙b towards a and g⊙a towards b, reduced likewise. */
    public Var mul(Var a, Var b) {
        return ElementwiseOps.mul(this, a, b);
    }

    /**
     * a / b element-wise, broadcast as {@link #add}; gradients g/b towards a and −g·a/b²
     * (= −g·y/b) towards b, each reduced to its input's shape. Division by zero gives IEEE
     * infinities, not an error.
     */
    public Var div(Var a, Var b) {
        return ElementwiseOps.div(this, a, b);
    }

    /** alpha·a + beta·b for same-shape a and b, in one pass. */
    public Var affine(Var a, float alpha, Var b, float beta) {
        return ElementwiseOps.affine(this, a, alpha, b, beta);
    }

    /**
     * alpha[r]·a + beta[r]·b for same-shaped a, b with one coefficient pair per row (e.g. the
     * forward noising of a batch whose rows have different timesteps); equal, value for value,
     * to {@code add(mul(a, column(alpha)), mul(b, column(beta)))} without its temporaries.
     * Gradients: alpha[r]·gy into a, beta[r]·gy into b.
     */
    public Var rowAffine(Var a, float[] alpha, Var b, float[] beta) {
        return ElementwiseOps.rowAffine(this, a, alpha, b, beta);
    }

    public Var scale(Var a, float s) {
        return ElementwiseOps.scale(this, a, s);
    }

    public Var addScalar(Var a, float s) {
        return ElementwiseOps.addScalar(this, a, s);
    }

    // ---------------------------------------------------------------- element-wise functions

    public Var tanh(Var a) {
        return ElementwiseOps.tanh(this, a);
    }

    public Var sigmoid(Var a) {
        return ElementwiseOps.sigmoid(this, a);
    }

    /** log σ(x) = min(x, 0) − log1p(e^−|x|), stable for large |x|. */
    public Var logSigmoid(Var a) {
        return LossOps.logSigmoid(this, a);
    }

    public Var leakyRelu(Var a, float slope) {
        return ElementwiseOps.leakyRelu(this, a, slope);
    }

    /** max(x, 0) element-wise (NaN stays NaN); derivative 1 where x > 0, else 0 (0 at x = 0). */
    public Var relu(Var a) {
        return ElementwiseOps.relu(this, a);
    }

    /** √x element-wise; derivative 1/(2√x), infinite at 0. */
    public Var sqrt(Var a) {
        return ElementwiseOps.sqrt(this, a);
    }

    /** 1/√x element-wise; derivative −x^(−3/2)/2 = −y³/2. */
    public Var rsqrt(Var a) {
        return ElementwiseOps.rsqrt(this, a);
    }

    /**
     * x^exponent element-wise (Math.pow: NaN for negative x and a non-integer exponent);
     * derivative exponent·x^(exponent−1), taken as 0 when the exponent is 0.
     */
    public Var pow(Var a, float exponent) {
        return ElementwiseOps.pow(this, a, exponent);
    }

    public Var exp(Var a) {
        return ElementwiseOps.exp(this, a);
    }

    public Var log(Var a) {
        return ElementwiseOps.log(this, a);
    }

    public Var square(Var a) {
        return ElementwiseOps.square(this, a);
    }

    /** Inverted dropout: zero with probability p, survivors scaled by 1/(1−p). */
    public Var dropout(Var a, float p, Rng rng) {
        return ElementwiseOps.dropout(this, a, p, rng);
    }

    // ---------------------------------------------------------------- row-wise and reductions

    /** x / max(‖x‖, eps) per row (torch.nn.functional.normalize). */
    public Var rowL2Normalize(Var a, float eps) {
        return ReductionOps.rowL2Normalize(this, a, eps);
    }

    /** Softmax over all entries of a small tensor (shape kept). */
    public Var softmax(Var v) {
        return ReductionOps.softmax(this, v);
    }

    /** Row-wise ⟨a_r, b_r⟩ as a column. */
    public Var rowDot(Var a, Var b) {
        return ReductionOps.rowDot(this, a, b);
    }

    /**
     * ⟨a[ia[k]], b[ib[k]]⟩ for k = 0 … ia.length−1, as a column (e.g. an attention logit per edge
     * from the embeddings of its two ends): {@code rowDot(gatherRows(a, ia), gatherRows(b, ib))},
     * value for value and gradient for gradient, without the two gathered matrices.
     */
    public Var pairDots(Var a, int[] ia, Var b, int[] ib) {
        return ReductionOps.pairDots(this, a, ia, b, ib);
    }

    public Var rowSum(Var a) {
        return ReductionOps.rowReduce(this, a, 1f);
    }

    public Var rowMean(Var a) {
        return ReductionOps.rowReduce(this, a, 1f / a.cols());
    }

    public Var sum(Var a) {
        return ReductionOps.totalReduce(this, a, 1f);
    }

    public Var mean(Var a) {
        return ReductionOps.totalReduce(this, a, 1f / ((float) a.rows() * a.cols()));
    }

    // ---------------------------------------------------------------- fused losses

    /**
     * The mean over each row of (a − b)², as a rows×1 column: rowMean(square(sub(a, b))) in one
     * pass forward and one backward, with the same float arithmetic per element as those three
     * ops, and no rows×cols intermediates (the diffusion loss over full interaction rows).
     */
    public Var rowMeanSquaredError(Var a, Var b) {
        return LossOps.rowMeanSquaredError(this, a, b);
    }

    /**
     * mean over n of [ logsumexp_r(⟨a_n, all_r⟩/τ) − ⟨a_n, all_{positives[n]}⟩/τ ]: one gemm for
     * the logits, a max-shifted log-sum-exp per row, and the softmax kept for the backward pass.
     */
    public Var infoNce(Var anchors, Var all, int[] positives, float temperature) {
        return LossOps.infoNce(this, anchors, all, positives, temperature);
    }

    /**
     * The weighted mean Σ_n w_n·ℓ_n / Σ_n w_n of {@link #infoNce(Var, Var, int[], float)}'s terms
     * (weights positive): with integer weights, the plain mean over a list in which anchor n
     * appears w_n times, computed once per distinct anchor.
     */
    public Var infoNce(Var anchors, Var all, int[] positives, float[] weights, float temperature) {
        return LossOps.infoNce(this, anchors, all, positives, weights, temperature);
    }
}
