package org.diffmmj.autograd;

import java.nio.FloatBuffer;

import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Dense products: matmul and linear through OpenBLAS, whose backward passes are products too.
 */
final class MatrixOps {

    private MatrixOps() {
    }

    /** op(a)·op(b) through OpenBLAS. */
    static Var matmul(Tape tape, Var a, Var b, boolean transA, boolean transB) {
        int m = transA ? a.cols() : a.rows();
        int n = transB ? b.rows() : b.cols();
        Tensor out = tape.alloc(m, n);
        Blas.gemm(transA, transB, 1f, a.value, b.value, 0f, out);
        Var y = tape.output(out, a, b);
        tape.onBackward(y, () -> {
            Tensor gy = y.grad;
            // A gradient no other step has started is written (beta 0), not zeroed and added to.
            if (a.requiresGrad) {
                float beta = tape.claimFreshGrad(a) ? 0f : 1f;
                if (!transA) {
                    Blas.gemm(false, !transB, 1f, gy, b.value, beta, tape.gradOf(a));
                } else {
                    Blas.gemm(transB, true, 1f, b.value, gy, beta, tape.gradOf(a));
                }
            }
            if (b.requiresGrad) {
                float beta = tape.claimFreshGrad(b) ? 0f : 1f;
                if (!transB) {
                    Blas.gemm(!transA, false, 1f, a.value, gy, beta, tape.gradOf(b));
                } else {
                    Blas.gemm(true, transA, 1f, gy, a.value, beta, tape.gradOf(b));
                }
            }
        });
        return y;
    }

    /**
     * x·w + bias (bias a 1×n row, or null), the bias written into the output before the gemm
     * accumulates onto it, so a Linear layer costs one product and one pass.
     */
    static Var linear(Tape tape, Var x, Var w, Var bias) {
        int m = x.rows();
        int n = w.cols();
        Tensor out = tape.alloc(m, n);
        if (bias != null) {
            if (bias.rows() != 1 || bias.cols() != n) {
                throw new IllegalArgumentException("linear: bias " + bias.value.shape() + " for " + n + " outputs");
            }
            FloatBuffer o = out.buffer();
            FloatBuffer bb = bias.value.buffer();
            Parallel.forRange(m, Math.max(1, Kernels.GRAIN / Math.max(1, n)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    o.put(r * n, bb, 0, n);
                }
            });
        }
        Blas.gemm(false, false, 1f, x.value, w.value, bias == null ? 0f : 1f, out);
        Var y = bias == null ? tape.output(out, x, w) : tape.output(out, x, w, bias);
        tape.onBackward(y, () -> {
            Tensor gy = y.grad;
            if (x.requiresGrad) {
                Blas.gemm(false, true, 1f, gy, w.value, tape.claimFreshGrad(x) ? 0f : 1f, tape.gradOf(x));
            }
            if (w.requiresGrad) {
                Blas.gemm(true, false, 1f, x.value, gy, tape.claimFreshGrad(w) ? 0f : 1f, tape.gradOf(w));
            }
            if (bias != null && bias.requiresGrad) {
                Kernels.addColumnSums(gy, m, n, tape.gradOf(bias));
            }
        });
        return y;
    }

    static Var transpose(Tape tape, Var a) {
        Tensor out = tape.alloc(a.cols(), a.rows());
        transposeInto(a.value, out, false);
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> transposeInto(y.grad, tape.gradOf(a), true));
        return y;
    }

    /** Rows of src per block: a block's column segments are contiguous runs of dst. */
    private static final int TRANSPOSE_BLOCK = 64;

    /** dst (+)= srcᵀ, src read a block of rows at a time so that dst is written in runs. */
    private static void transposeInto(Tensor src, Tensor dst, boolean accumulate) {
        int rows = src.rows();
        int cols = src.cols();
        FloatBuffer s = src.buffer();
        FloatBuffer d = dst.buffer();
        int blocks = (rows + TRANSPOSE_BLOCK - 1) / TRANSPOSE_BLOCK;
        Parallel.forRange(blocks, Math.max(1, Kernels.GRAIN / Math.max(1, TRANSPOSE_BLOCK * cols)), (from, to) -> {
            float[] in = new float[TRANSPOSE_BLOCK * cols];
            float[] run = new float[TRANSPOSE_BLOCK];
            for (int b = from; b < to; b++) {
                int r0 = b * TRANSPOSE_BLOCK;
                int nr = Math.min(TRANSPOSE_BLOCK, rows - r0);
                s.get(r0 * cols, in, 0, nr * cols);
                for (int c = 0; c < cols; c++) {
                    if (accumulate) {
                        d.get(c * rows + r0, run, 0, nr);
                        for (int r = 0; r < nr; r++) {
                            run[r] += in[r * cols + c];
                        }
                    } else {
                        for (int r = 0; r < nr; r++) {
                            run[r] = in[r * cols + c];
                        }
                    }
                    d.put(c * rows + r0, run, 0, nr);
                }
            }
        });
    }

    static Var cosineSimilarity(Tape tape, Var a, Var b, float eps) {
        if (a.cols() != b.cols()) {
            throw new IllegalArgumentException("cosineSimilarity: widths differ, " + a.value.shape() + " vs "
                    + b.value.shape());
        }
        // Composed, so the gradient is rowL2Normalize's and matmul's; one normalisation when a is b.
        Var na = tape.rowL2Normalize(a, eps);
        Var nb = a == b ? na : tape.rowL2Normalize(b, eps);
        return tape.matmul(na, nb, false, true);
    }
}
