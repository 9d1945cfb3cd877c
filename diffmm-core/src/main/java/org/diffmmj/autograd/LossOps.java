package org.diffmmj.autograd;

import java.nio.FloatBuffer;

import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.RowKernels;
import org.diffmmj.tensor.Tensor;

/**
 * Fused losses: each is one pass forward and one backward instead of a chain of ops, with the
 * intermediates the chain would keep replaced by what its backward step needs.
 */
final class LossOps {

    private LossOps() {
    }

    static Var logSigmoid(Tape tape, Var a) {
        return ElementwiseOps.unary(tape, a, x -> (float) (Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)))),
                (x, y) -> (float) (1 / (1 + Math.exp(x))));
    }

    /**
     * The mean over each row of (a − b)², as a rows×1 column: rowMean(square(sub(a, b))) in one
     * pass forward and one backward, with the same float arithmetic per element as those three
     * ops, and no rows×cols intermediates (the diffusion loss over full interaction rows).
     */
    static Var rowMeanSquaredError(Tape tape, Var a, Var b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("rowMeanSquaredError: shapes differ, " + a.value.shape() + " vs "
                    + b.value.shape());
        }
        int rows = a.rows();
        int cols = a.cols();
        float factor = 1f / cols;
        Tensor out = tape.alloc(rows, 1);
        FloatBuffer av = a.value.buffer();
        FloatBuffer bv = b.value.buffer();
        Parallel.forRange(rows, 64, (from, to) -> {
            float[] as = new float[cols];
            float[] bs = new float[cols];
            for (int r = from; r < to; r++) {
                av.get(r * cols, as, 0, cols);
                bv.get(r * cols, bs, 0, cols);
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    float d = as[c] - bs[c];
                    float squared = d * d;
                    s += squared;
                }
                out.set(r, 0, (float) (s * factor));
            }
        });
        Var y = tape.output(out, a, b);
        tape.onBackward(y, () -> {
            FloatBuffer ga = a.requiresGrad ? tape.gradOf(a).buffer() : null;
            FloatBuffer gb = b.requiresGrad ? tape.gradOf(b).buffer() : null;
            Parallel.forRange(rows, 64, (from, to) -> {
                float[] as = new float[cols];
                float[] bs = new float[cols];
                float[] gs = new float[cols];
                for (int r = from; r < to; r++) {
                    float g = y.grad.get(r, 0) * factor;
                    av.get(r * cols, as, 0, cols);
                    bv.get(r * cols, bs, 0, cols);
                    // d(mean)/d(d_c) = g·2·d_c, then +1 towards a and −1 towards b, as the
                    // three separate ops would accumulate it.
                    for (int c = 0; c < cols; c++) {
                        bs[c] = g * (2f * (as[c] - bs[c]));
                    }
                    if (ga != null) {
                        ga.get(r * cols, gs, 0, cols);
                        for (int c = 0; c < cols; c++) {
                            gs[c] += bs[c];
                        }
                        ga.put(r * cols, gs, 0, cols);
                    }
                    if (gb != null) {
                        gb.get(r * cols, gs, 0, cols);
                        for (int c = 0; c < cols; c++) {
                            gs[c] -= bs[c];
                        }
                        gb.put(r * cols, gs, 0, cols);
                    }
                }
            });
        });
        return y;
    }

    /**
     * mean over n of [ logsumexp_r(⟨a_n, all_r⟩/τ) − ⟨a_n, all_{positives[n]}⟩/τ ]: one gemm for
     * the logits, a max-shifted log-sum-exp per row, and the softmax kept for the backward pass.
     */
    static Var infoNce(Tape tape, Var anchors, Var all, int[] positives, float temperature) {
        return infoNce(tape, anchors, all, positives, null, temperature);
    }

    /**
     * The weighted mean Σ_n w_n·ℓ_n / Σ_n w_n of the same terms ℓ_n; {@code weights == null} is
     * the plain mean with its float arithmetic unchanged. With integer weights this is the plain
     * mean over a list in which anchor n appears w_n times, so a batch with repeated nodes can be
     * computed once per distinct node: the logits, the softmax and the anchors' gradient shrink
     * by the repetition. Each row's weight is folded into its softmax scale, so the backward
     * pass has no extra pass over the probabilities. The candidates' gradient is computed as
     * (anchorsᵀ·P)ᵀ here (see the backward step), a different order of summation than the plain
     * mean's.
     */
    static Var infoNce(Tape tape, Var anchors, Var all, int[] positives, float[] weights, float temperature) {
        int n = anchors.rows();
        int candidates = all.rows();
        if (positives.length != n || anchors.cols() != all.cols()) {
            throw new IllegalArgumentException("infoNce: " + n + " anchors of width " + anchors.cols() + ", "
                    + positives.length + " positives, candidates of width " + all.cols());
        }
        for (int p : positives) {
            if (p < 0 || p >= candidates) {
                throw new IndexOutOfBoundsException("infoNce: positive " + p + " of " + candidates + " candidates");
            }
        }
        double weightSum = weights == null ? n : weightSum(weights, n);
        Tensor probs = tape.alloc(n, candidates);
        Blas.gemm(false, true, 1f / temperature, anchors.value, all.value, 0f, probs);
        double[] rowLoss = new double[n];
        FloatBuffer pb = probs.buffer();
        RowKernels kernels = RowKernels.best();
        Parallel.forRange(n, 16, (from, to) -> {
            // Each row is copied out, turned into probabilities on the heap, and copied back:
            // bulk copies are memcpy-fast, element access to the native buffer is not.
            float[] row = new float[candidates];
            for (int r = from; r < to; r++) {
                int base = r * candidates;
                pb.get(base, row, 0, candidates);
                float max = kernels.max(row, candidates);
                double positiveLogit = row[positives[r]];
                double sum = kernels.expShiftedSum(row, candidates, max);
                double loss = max + Math.log(sum) - positiveLogit;
                if (weights == null) {
                    rowLoss[r] = loss;
                    kernels.scale(row, candidates, (float) (1 / sum));
                } else {
                    rowLoss[r] = weights[r] * loss;
                    kernels.scale(row, candidates, (float) (weights[r] / sum));
                }
                pb.put(base, row, 0, candidates);
            }
        });
        double total = 0;
        for (double l : rowLoss) {
            total += l;
        }
        Tensor out = tape.alloc(1, 1);
        out.set(0, 0, (float) (total / weightSum));
        Var y = tape.output(out, anchors, all);
        tape.onBackward(y, () -> {
            // d loss / d logits = w_n·(softmax − onehot(positive)) / Σw, then through logits = a·allᵀ/τ;
            // the rows already hold w_n·softmax.
            float g = weights == null ? y.grad.get(0, 0) / n : (float) (y.grad.get(0, 0) / weightSum);
            for (int r = 0; r < n; r++) {
                int i = r * candidates + positives[r];
                pb.put(i, pb.get(i) - (weights == null ? 1f : weights[r]));
            }
            float s = g / temperature;
            if (anchors.requiresGrad) {
                Blas.gemm(false, false, s, probs, all.value, 1f, tape.gradOf(anchors));
            }
            if (all.requiresGrad) {
                if (weights == null) {
                    Blas.gemm(true, false, s, probs, anchors.value, 1f, tape.gradOf(all));
                } else {
                    // (anchorsᵀ·P)ᵀ instead of Pᵀ·anchors: OpenBLAS runs a transposed left operand
                    // this wide at half speed. The sums go in another order, so the plain mean keeps
                    // the form above and with it the bits of the models pinned to it.
                    Tensor transposed = tape.alloc(anchors.cols(), candidates);
                    Blas.gemm(true, false, s, anchors.value, probs, 0f, transposed);
                    Kernels.addTransposed(transposed, tape.gradOf(all));
                }
            }
        });
        return y;
    }

    private static double weightSum(float[] weights, int n) {
        if (weights.length != n) {
            throw new IllegalArgumentException("infoNce: " + weights.length + " weights for " + n + " anchors");
        }
        double sum = 0;
        for (float w : weights) {
            if (!(w > 0) || Float.isInfinite(w)) {
                throw new IllegalArgumentException("infoNce: weights must be positive and finite, got " + w);
            }
            sum += w;
        }
        return sum;
    }
}
