package org.diffmmj.autograd;

import java.nio.FloatBuffer;
import java.util.Arrays;

import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Sums and means over rows or the whole tensor, and the row-wise ops built on a per-row
 * reduction (L2 normalisation, dot products, softmax).
 */
final class ReductionOps {

    private ReductionOps() {
    }

    /** x / max(‖x‖, eps) per row (torch.nn.functional.normalize). */
    static Var rowL2Normalize(Tape tape, Var a, float eps) {
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = tape.alloc(rows, cols);
        float[] norms = new float[rows];
        FloatBuffer x = a.value.buffer();
        FloatBuffer o = out.buffer();
        int block = Math.max(1, Kernels.CHUNK / Math.max(1, cols));
        // Blocks of rows are copied to the heap, where the loops vectorise, and back in bulk.
        Parallel.forRange(rows, 256, (from, to) -> {
            float[] xs = new float[Math.min(block, to - from) * cols];
            for (int r0 = from; r0 < to; r0 += block) {
                int nr = Math.min(block, to - r0);
                x.get(r0 * cols, xs, 0, nr * cols);
                for (int r = 0; r < nr; r++) {
                    int base = r * cols;
                    double s = 0;
                    for (int c = 0; c < cols; c++) {
                        float v = xs[base + c];
                        s += v * v;
                    }
                    float norm = (float) Math.sqrt(s);
                    norms[r0 + r] = norm;
                    float inv = 1f / Math.max(norm, eps);
                    for (int c = 0; c < cols; c++) {
                        xs[base + c] *= inv;
                    }
                }
                o.put(r0 * cols, xs, 0, nr * cols);
            }
        });
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            // A gradient no other step has started is written from zeros on the heap, not read.
            boolean fresh = tape.claimFreshGrad(a);
            FloatBuffer gx = tape.gradOf(a).buffer();
            Parallel.forRange(rows, 256, (from, to) -> {
                int len = Math.min(block, to - from) * cols;
                float[] gys = new float[len];
                float[] os = new float[len];
                float[] gxs = new float[len];
                for (int r0 = from; r0 < to; r0 += block) {
                    int nr = Math.min(block, to - r0);
                    gy.get(r0 * cols, gys, 0, nr * cols);
                    o.get(r0 * cols, os, 0, nr * cols);
                    if (fresh) {
                        Arrays.fill(gxs, 0, nr * cols, 0f);
                    } else {
                        gx.get(r0 * cols, gxs, 0, nr * cols);
                    }
                    for (int r = 0; r < nr; r++) {
                        int base = r * cols;
                        float norm = norms[r0 + r];
                        float inv = 1f / Math.max(norm, eps);
                        // Below eps the output is x/eps, linear in x: no projection term.
                        double dot = 0;
                        if (norm > eps) {
                            for (int c = 0; c < cols; c++) {
                                dot += gys[base + c] * os[base + c];
                            }
                        }
                        float d = (float) dot;
                        for (int c = 0; c < cols; c++) {
                            gxs[base + c] += (gys[base + c] - os[base + c] * d) * inv;
                        }
                    }
                    gx.put(r0 * cols, gxs, 0, nr * cols);
                }
            });
        });
        return y;
    }

    /** Softmax over all entries of a small tensor (shape kept). */
    static Var softmax(Tape tape, Var v) {
        int n = v.rows() * v.cols();
        Tensor out = tape.alloc(v.rows(), v.cols());
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v.value.get(i));
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Math.exp(v.value.get(i) - max);
        }
        for (int i = 0; i < n; i++) {
            out.set(i, (float) (Math.exp(v.value.get(i) - max) / sum));
        }
        Var y = tape.output(out, v);
        tape.onBackward(y, () -> {
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += y.grad.get(i) * out.get(i);
            }
            Tensor g = tape.gradOf(v);
            for (int i = 0; i < n; i++) {
                g.set(i, g.get(i) + (float) (out.get(i) * (y.grad.get(i) - dot)));
            }
        });
        return y;
    }

    /** Row-wise ⟨a_r, b_r⟩ as a column. */
    static Var rowDot(Tape tape, Var a, Var b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("rowDot: shapes differ, " + a.value.shape() + " vs " + b.value.shape());
        }
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = tape.alloc(rows, 1);
        FloatBuffer av = a.value.buffer();
        FloatBuffer bv = b.value.buffer();
        // Rows through heap arrays (the same products, summed in double in column order).
        Parallel.forRange(rows, 256, (from, to) -> {
            float[] ar = new float[cols];
            float[] br = new float[cols];
            for (int r = from; r < to; r++) {
                av.get(r * cols, ar, 0, cols);
                bv.get(r * cols, br, 0, cols);
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += ar[c] * br[c];
                }
                out.set(r, 0, (float) s);
            }
        });
        Var y = tape.output(out, a, b);
        tape.onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer ga = a.requiresGrad ? tape.gradOf(a).buffer() : null;
            FloatBuffer gb = b.requiresGrad ? tape.gradOf(b).buffer() : null;
            Parallel.forRange(rows, 256, (from, to) -> {
                float[] src = new float[cols];
                float[] acc = new float[cols];
                for (int r = from; r < to; r++) {
                    float g = gy.get(r);
                    if (ga != null) {
                        addScaledRow(ga, bv, r * cols, cols, g, src, acc);
                    }
                    if (gb != null) {
                        addScaledRow(gb, av, r * cols, cols, g, src, acc);
                    }
                }
            });
        });
        return y;
    }

    /**
     * ⟨a[ia[k]], b[ib[k]]⟩ for every k, as a column: rowDot(gatherRows(a, ia), gatherRows(b, ib))
     * without the two gathered matrices. Same arithmetic: each dot summed in double in column
     * order; backward as the three ops run it (rowDot's, then b's gather, then a's, when a's
     * gather was recorded first): grad(b)[ib[k]] += g_k·a[ia[k]] for k in order, then
     * grad(a)[ia[k]] += g_k·b[ib[k]], each product rounded to float before it is added.
     */
    static Var pairDots(Tape tape, Var a, int[] ia, Var b, int[] ib) {
        if (ia.length != ib.length || a.cols() != b.cols()) {
            throw new IllegalArgumentException("pairDots: " + ia.length + " and " + ib.length + " rows of "
                    + a.value.shape() + " and " + b.value.shape());
        }
        checkRows("pairDots", ia, a.rows());
        checkRows("pairDots", ib, b.rows());
        int n = ia.length;
        int cols = a.cols();
        Tensor out = tape.alloc(n, 1);
        FloatBuffer av = a.value.buffer();
        FloatBuffer bv = b.value.buffer();
        FloatBuffer ov = out.buffer();
        Parallel.forRange(n, 256, (from, to) -> {
            float[][] ar = new float[4][cols];
            float[][] br = new float[4][cols];
            float[] dots = new float[to - from];
            int k = from;
            // Four dots at a time: four independent chains of double additions, each still in
            // column order, so the same sums, without waiting on one chain's latency.
            for (; k + 4 <= to; k += 4) {
                for (int j = 0; j < 4; j++) {
                    av.get(ia[k + j] * cols, ar[j], 0, cols);
                    bv.get(ib[k + j] * cols, br[j], 0, cols);
                }
                float[] a0 = ar[0];
                float[] a1 = ar[1];
                float[] a2 = ar[2];
                float[] a3 = ar[3];
                float[] b0 = br[0];
                float[] b1 = br[1];
                float[] b2 = br[2];
                float[] b3 = br[3];
                double s0 = 0;
                double s1 = 0;
                double s2 = 0;
                double s3 = 0;
                for (int c = 0; c < cols; c++) {
                    s0 += a0[c] * b0[c];
                    s1 += a1[c] * b1[c];
                    s2 += a2[c] * b2[c];
                    s3 += a3[c] * b3[c];
                }
                dots[k - from] = (float) s0;
                dots[k + 1 - from] = (float) s1;
                dots[k + 2 - from] = (float) s2;
                dots[k + 3 - from] = (float) s3;
            }
            for (; k < to; k++) {
                av.get(ia[k] * cols, ar[0], 0, cols);
                bv.get(ib[k] * cols, br[0], 0, cols);
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += ar[0][c] * br[0][c];
                }
                dots[k - from] = (float) s;
            }
            ov.put(from, dots, 0, dots.length);
        });
        Var y = tape.output(out, a, b);
        tape.onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            if (b.requiresGrad) {
                scatterScaledRows(gy, av, ia, tape.gradOf(b).buffer(), ib, cols);
            }
            if (a.requiresGrad) {
                scatterScaledRows(gy, bv, ib, tape.gradOf(a).buffer(), ia, cols);
            }
        });
        return y;
    }

    /**
     * target[to[k]] += g[k]·source[from[k]] for k in order (one thread: repeated rows add up in
     * order). A target row named by consecutive k (sorted indices, e.g. the rows of a CSR
     * pattern) stays on the heap between them and is written back once: the same additions.
     */
    private static void scatterScaledRows(FloatBuffer g, FloatBuffer source, int[] from, FloatBuffer target, int[] to,
                                          int cols) {
        float[] src = new float[cols];
        float[] acc = new float[cols];
        float[] gs = new float[from.length];
        g.get(0, gs, 0, gs.length);
        for (int k = 0; k < from.length; k++) {
            float gk = gs[k];
            source.get(from[k] * cols, src, 0, cols);
            if (k == 0 || to[k] != to[k - 1]) {
                target.get(to[k] * cols, acc, 0, cols);
            }
            for (int c = 0; c < cols; c++) {
                acc[c] += gk * src[c];
            }
            if (k == from.length - 1 || to[k + 1] != to[k]) {
                target.put(to[k] * cols, acc, 0, cols);
            }
        }
    }

    private static void checkRows(String op, int[] idx, int rows) {
        for (int i : idx) {
            if (i < 0 || i >= rows) {
                throw new IndexOutOfBoundsException(op + ": row " + i + " of a " + rows + "-row tensor");
            }
        }
    }

    static Var rowReduce(Tape tape, Var a, float factor) {
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = tape.alloc(rows, 1);
        FloatBuffer x = a.value.buffer();
        Parallel.forRange(rows, 64, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                x.get(r * cols, row, 0, cols);
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += row[c];
                }
                out.set(r, 0, (float) (s * factor));
            }
        });
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> {
            FloatBuffer gx = tape.gradOf(a).buffer();
            Parallel.forRange(rows, 64, (from, to) -> {
                float[] row = new float[cols];
                for (int r = from; r < to; r++) {
                    float g = y.grad.get(r, 0) * factor;
                    gx.get(r * cols, row, 0, cols);
                    for (int c = 0; c < cols; c++) {
                        row[c] += g;
                    }
                    gx.put(r * cols, row, 0, cols);
                }
            });
        });
        return y;
    }

    static Var totalReduce(Tape tape, Var a, float factor) {
        int n = a.rows() * a.cols();
        FloatBuffer x = a.value.buffer();
        int chunks = Math.max(1, Math.min(64, n / Kernels.GRAIN));
        double[] partial = new double[chunks];
        Parallel.forRange(chunks, 1, (from, to) -> {
            for (int k = from; k < to; k++) {
                int lo = (int) ((long) n * k / chunks);
                int hi = (int) ((long) n * (k + 1) / chunks);
                double s = 0;
                for (int i = lo; i < hi; i++) {
                    s += x.get(i);
                }
                partial[k] = s;
            }
        });
        double total = 0;
        for (double p : partial) {
            total += p;
        }
        Tensor out = tape.alloc(1, 1);
        out.set(0, 0, (float) (total * factor));
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> {
            float g = y.grad.get(0, 0) * factor;
            FloatBuffer gx = tape.gradOf(a).buffer();
            Parallel.forRange(n, Kernels.GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    gx.put(i, gx.get(i) + g);
                }
            });
        });
        return y;
    }

    /** grad[off, off+cols) += g · src[off, off+cols), through the heap rows srcRow and accRow. */
    private static void addScaledRow(FloatBuffer grad, FloatBuffer src, int off, int cols, float g, float[] srcRow,
                                     float[] accRow) {
        src.get(off, srcRow, 0, cols);
        grad.get(off, accRow, 0, cols);
        for (int c = 0; c < cols; c++) {
            accRow[c] += g * srcRow[c];
        }
        grad.put(off, accRow, 0, cols);
    }
}
