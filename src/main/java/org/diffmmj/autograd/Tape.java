package org.diffmmj.autograd;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.FastMath;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.RowKernels;
import org.diffmmj.tensor.Tensor;

/**
 * Records a forward computation and runs it backwards. Every op computes its output now and,
 * when gradients are needed, registers a backward step that keeps only what that step reads
 * (PyTorch's autograd, in the small). Outputs come from the pool and go back to it on close,
 * so a tape per training step keeps memory flat. {@link #noGrad} records nothing.
 */
public final class Tape implements AutoCloseable {

    private static final int GRAIN = 1 << 15;
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

    // ---------------------------------------------------------------- plumbing

    private Tensor alloc(int rows, int cols) {
        if (closed) {
            throw new IllegalStateException("tape is closed");
        }
        Tensor t = pool.acquire(rows, cols);
        owned.add(t);
        return t;
    }

    private Tensor allocZeroed(int rows, int cols) {
        Tensor t = alloc(rows, cols);
        t.fill(0f);
        return t;
    }

    private Var output(Tensor value, Var... inputs) {
        boolean grad = false;
        if (recording) {
            for (Var v : inputs) {
                grad |= v.requiresGrad;
            }
        }
        return new Var(value, grad, null);
    }

    private Tensor gradOf(Var v) {
        if (v.parameter != null) {
            return v.parameter.grad();
        }
        if (v.grad == null) {
            v.grad = allocZeroed(v.rows(), v.cols());
        }
        return v.grad;
    }

    private void onBackward(Var out, Runnable step) {
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
        return matmul(a, b, false, false);
    }

    /** op(a)·op(b) through OpenBLAS. */
    public Var matmul(Var a, Var b, boolean transA, boolean transB) {
        int m = transA ? a.cols() : a.rows();
        int n = transB ? b.rows() : b.cols();
        Tensor out = alloc(m, n);
        Blas.gemm(transA, transB, 1f, a.value, b.value, 0f, out);
        Var y = output(out, a, b);
        onBackward(y, () -> {
            Tensor gy = y.grad;
            if (a.requiresGrad) {
                if (!transA) {
                    Blas.gemm(false, !transB, 1f, gy, b.value, 1f, gradOf(a));
                } else {
                    Blas.gemm(transB, true, 1f, b.value, gy, 1f, gradOf(a));
                }
            }
            if (b.requiresGrad) {
                if (!transB) {
                    Blas.gemm(!transA, false, 1f, a.value, gy, 1f, gradOf(b));
                } else {
                    Blas.gemm(true, transA, 1f, gy, a.value, 1f, gradOf(b));
                }
            }
        });
        return y;
    }

    /**
     * x·w + bias (bias a 1×n row, or null), the bias written into the output before the gemm
     * accumulates onto it, so a Linear layer costs one product and one pass.
     */
    public Var linear(Var x, Var w, Var bias) {
        int m = x.rows();
        int n = w.cols();
        Tensor out = alloc(m, n);
        if (bias != null) {
            if (bias.rows() != 1 || bias.cols() != n) {
                throw new IllegalArgumentException("linear: bias " + bias.value.shape() + " for " + n + " outputs");
            }
            FloatBuffer o = out.buffer();
            FloatBuffer bb = bias.value.buffer();
            Parallel.forRange(m, Math.max(1, GRAIN / Math.max(1, n)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    o.put(r * n, bb, 0, n);
                }
            });
        }
        Blas.gemm(false, false, 1f, x.value, w.value, bias == null ? 0f : 1f, out);
        Var y = bias == null ? output(out, x, w) : output(out, x, w, bias);
        onBackward(y, () -> {
            Tensor gy = y.grad;
            if (x.requiresGrad) {
                Blas.gemm(false, true, 1f, gy, w.value, 1f, gradOf(x));
            }
            if (w.requiresGrad) {
                Blas.gemm(true, false, 1f, x.value, gy, 1f, gradOf(w));
            }
            if (bias != null && bias.requiresGrad) {
                addColumnSums(gy, m, n, gradOf(bias));
            }
        });
        return y;
    }

    /** a·x for a constant sparse a; the backward pass multiplies by aᵀ. */
    public Var spmm(CsrMatrix a, Var x) {
        Tensor out = alloc(a.rows(), x.cols());
        a.multiplyInto(x.value, out, false);
        Var y = output(out, x);
        onBackward(y, () -> a.transposed().multiplyInto(y.grad, gradOf(x), true));
        return y;
    }

    // ---------------------------------------------------------------- indexing and shape

    /** Rows x[idx[0]], x[idx[1]], ... (an embedding lookup); backward scatter-adds. */
    public Var gatherRows(Var x, int[] idx) {
        int d = x.cols();
        Tensor out = alloc(idx.length, d);
        FloatBuffer src = x.value.buffer();
        FloatBuffer dst = out.buffer();
        for (int r = 0; r < idx.length; r++) {
            if (idx[r] < 0 || idx[r] >= x.rows()) {
                throw new IndexOutOfBoundsException("gatherRows: row " + idx[r] + " of a " + x.value.shape() + " tensor");
            }
        }
        Parallel.forRange(idx.length, 256, (from, to) -> {
            for (int r = from; r < to; r++) {
                dst.put(r * d, src, idx[r] * d, d);
            }
        });
        Var y = output(out, x);
        onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer gx = gradOf(x).buffer();
            for (int r = 0; r < idx.length; r++) {
                int base = idx[r] * d;
                for (int c = 0; c < d; c++) {
                    gx.put(base + c, gx.get(base + c) + gy.get(r * d + c));
                }
            }
        });
        return y;
    }

    public Var concatRows(Var... parts) {
        int cols = parts[0].cols();
        int rows = 0;
        for (Var p : parts) {
            if (p.cols() != cols) {
                throw new IllegalArgumentException("concatRows: widths differ, " + cols + " vs " + p.cols());
            }
            rows += p.rows();
        }
        Tensor out = alloc(rows, cols);
        int offset = 0;
        for (Var p : parts) {
            out.buffer().put(offset * cols, p.value.buffer(), 0, p.rows() * cols);
            offset += p.rows();
        }
        Var y = output(out, parts);
        onBackward(y, () -> {
            int off = 0;
            for (Var p : parts) {
                if (p.requiresGrad) {
                    addInto(gradOf(p), 0, y.grad, off * cols, p.rows() * cols);
                }
                off += p.rows();
            }
        });
        return y;
    }

    public Var concatCols(Var... parts) {
        int rows = parts[0].rows();
        int cols = 0;
        for (Var p : parts) {
            if (p.rows() != rows) {
                throw new IllegalArgumentException("concatCols: heights differ, " + rows + " vs " + p.rows());
            }
            cols += p.cols();
        }
        int width = cols;
        Tensor out = alloc(rows, width);
        FloatBuffer dst = out.buffer();
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = 0;
                for (Var p : parts) {
                    dst.put(r * width + off, p.value.buffer(), r * p.cols(), p.cols());
                    off += p.cols();
                }
            }
        });
        Var y = output(out, parts);
        onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            int off = 0;
            for (Var p : parts) {
                if (p.requiresGrad) {
                    Tensor gp = gradOf(p);
                    int pc = p.cols();
                    int o = off;
                    Parallel.forRange(rows, 64, (from, to) -> {
                        for (int r = from; r < to; r++) {
                            addInto(gp, r * pc, y.grad, r * width + o, pc);
                        }
                    });
                }
                off += p.cols();
            }
        });
        return y;
    }

    public Var sliceRows(Var x, int from, int to) {
        if (from < 0 || to > x.rows() || from > to) {
            throw new IndexOutOfBoundsException("sliceRows [" + from + ", " + to + ") of " + x.value.shape());
        }
        int d = x.cols();
        Tensor out = alloc(to - from, d);
        out.buffer().put(0, x.value.buffer(), from * d, (to - from) * d);
        Var y = output(out, x);
        onBackward(y, () -> addInto(gradOf(x), from * d, y.grad, 0, (to - from) * d));
        return y;
    }

    public Var sliceCols(Var x, int from, int to) {
        if (from < 0 || to > x.cols() || from > to) {
            throw new IndexOutOfBoundsException("sliceCols [" + from + ", " + to + ") of " + x.value.shape());
        }
        int rows = x.rows();
        int w = to - from;
        int xc = x.cols();
        Tensor out = alloc(rows, w);
        for (int r = 0; r < rows; r++) {
            out.buffer().put(r * w, x.value.buffer(), r * xc + from, w);
        }
        Var y = output(out, x);
        onBackward(y, () -> {
            Tensor gx = gradOf(x);
            for (int r = 0; r < rows; r++) {
                addInto(gx, r * xc + from, y.grad, r * w, w);
            }
        });
        return y;
    }

    /** Below this length a Java loop beats the native call. */
    private static final int BLAS_MIN = 2048;

    private static void addInto(Tensor dst, int dstOff, Tensor src, int srcOff, int n) {
        if (n >= BLAS_MIN && !java.util.concurrent.ForkJoinTask.inForkJoinPool()) {
            Blas.axpy(n, 1f, src, srcOff, dst, dstOff);
            return;
        }
        FloatBuffer d = dst.buffer();
        FloatBuffer s = src.buffer();
        for (int i = 0; i < n; i++) {
            d.put(dstOff + i, d.get(dstOff + i) + s.get(srcOff + i));
        }
    }

    /** dst[i] += src[i]·factor[i] over [0, n), in heap chunks that compile to SIMD. */
    private static void multiplyAddInto(Tensor dst, Tensor src, Tensor factor, int n) {
        FloatBuffer d = dst.buffer();
        FloatBuffer s = src.buffer();
        FloatBuffer f = factor.buffer();
        Parallel.forRange(n, GRAIN, (from, to) -> {
            int size = Math.min(CHUNK, to - from);
            float[] ds = new float[size];
            float[] ss = new float[size];
            float[] fs = new float[size];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                d.get(start, ds, 0, len);
                s.get(start, ss, 0, len);
                f.get(start, fs, 0, len);
                for (int i = 0; i < len; i++) {
                    ds[i] += ss[i] * fs[i];
                }
                d.put(start, ds, 0, len);
            }
        });
    }

    /** out = alpha·a + beta·b for same-shape tensors: a copy and two level-1 updates, all SIMD. */
    private Var linearCombination(Var a, float alpha, Var b, float beta) {
        int n = a.rows() * a.cols();
        Tensor out = alloc(a.rows(), a.cols());
        out.buffer().put(0, a.value.buffer(), 0, n);
        if (alpha != 1f) {
            Blas.scal(n, alpha, out, 0);
        }
        Blas.axpy(n, beta, b.value, 0, out, 0);
        return output(out, a, b);
    }

    // ---------------------------------------------------------------- broadcasting arithmetic

    private enum Broadcast { SAME, ROW, COLUMN, SCALAR }

    private static Broadcast broadcast(Var a, Var b, String op) {
        if (a.rows() == b.rows() && a.cols() == b.cols()) {
            return Broadcast.SAME;
        }
        if (b.rows() == 1 && b.cols() == 1) {
            return Broadcast.SCALAR;
        }
        if (b.rows() == 1 && b.cols() == a.cols()) {
            return Broadcast.ROW;
        }
        if (b.cols() == 1 && b.rows() == a.rows()) {
            return Broadcast.COLUMN;
        }
        throw new IllegalArgumentException(op + ": cannot broadcast " + b.value.shape() + " onto " + a.value.shape());
    }

    @FunctionalInterface
    private interface BinaryKernel {
        float apply(float a, float b);
    }

    private Var binary(Var a, Var b, String op, BinaryKernel f) {
        Broadcast mode = broadcast(a, b, op);
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = alloc(rows, cols);
        FloatBuffer av = a.value.buffer();
        FloatBuffer bv = b.value.buffer();
        FloatBuffer ov = out.buffer();
        // One loop per broadcast mode, so the inner loop has no per-element dispatch.
        switch (mode) {
            case SAME -> Parallel.forRange(rows * cols, GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    ov.put(i, f.apply(av.get(i), bv.get(i)));
                }
            });
            case SCALAR -> {
                float s = bv.get(0);
                Parallel.forRange(rows * cols, GRAIN, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        ov.put(i, f.apply(av.get(i), s));
                    }
                });
            }
            case ROW -> {
                float[] row = new float[cols];
                bv.get(0, row, 0, cols);
                Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
                    for (int r = from; r < to; r++) {
                        int base = r * cols;
                        for (int c = 0; c < cols; c++) {
                            ov.put(base + c, f.apply(av.get(base + c), row[c]));
                        }
                    }
                });
            }
            case COLUMN -> Parallel.forRange(rows, Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
                for (int r = from; r < to; r++) {
                    int base = r * cols;
                    float s = bv.get(r);
                    for (int c = 0; c < cols; c++) {
                        ov.put(base + c, f.apply(av.get(base + c), s));
                    }
                }
            });
        }
        return output(out, a, b);
    }

    /**
     * Accumulates Σ over broadcast positions of gy·factor into gb, where factor is 1 or a's
     * value (for mul). Sums run in a fixed order, so results are reproducible.
     */
    private void reduceIntoB(Var a, Var b, Tensor gy, float sign, boolean timesA) {
        Broadcast mode = broadcast(a, b, "backward");
        int rows = a.rows();
        int cols = a.cols();
        FloatBuffer g = gy.buffer();
        FloatBuffer av = a.value.buffer();
        FloatBuffer gb = gradOf(b).buffer();
        switch (mode) {
            case SAME -> {
                if (!timesA) {
                    Blas.axpy(rows * cols, sign, gy, 0, gradOf(b), 0);
                    return;
                }
                Parallel.forRange(rows * cols, GRAIN, (from, to) -> {
                    for (int i = from; i < to; i++) {
                        gb.put(i, gb.get(i) + sign * g.get(i) * av.get(i));
                    }
                });
            }
            case COLUMN -> Parallel.forRange(rows, 64, (from, to) -> {
                for (int r = from; r < to; r++) {
                    double s = 0;
                    for (int c = 0; c < cols; c++) {
                        int i = r * cols + c;
                        s += g.get(i) * (timesA ? av.get(i) : 1f);
                    }
                    gb.put(r, gb.get(r) + sign * (float) s);
                }
            });
            case ROW -> {
                double[] s = new double[cols];
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        int i = r * cols + c;
                        s[c] += g.get(i) * (timesA ? av.get(i) : 1f);
                    }
                }
                for (int c = 0; c < cols; c++) {
                    gb.put(c, gb.get(c) + sign * (float) s[c]);
                }
            }
            case SCALAR -> {
                double s = 0;
                for (int i = 0; i < rows * cols; i++) {
                    s += g.get(i) * (timesA ? av.get(i) : 1f);
                }
                gb.put(0, gb.get(0) + sign * (float) s);
            }
        }
    }

    public Var add(Var a, Var b) {
        Var y = broadcast(a, b, "add") == Broadcast.SAME ? linearCombination(a, 1f, b, 1f)
                : binary(a, b, "add", Float::sum);
        onBackward(y, () -> {
            if (a.requiresGrad) {
                addInto(gradOf(a), 0, y.grad, 0, a.rows() * a.cols());
            }
            if (b.requiresGrad) {
                reduceIntoB(a, b, y.grad, 1f, false);
            }
        });
        return y;
    }

    public Var sub(Var a, Var b) {
        Var y = broadcast(a, b, "sub") == Broadcast.SAME ? linearCombination(a, 1f, b, -1f)
                : binary(a, b, "sub", (p, q) -> p - q);
        onBackward(y, () -> {
            if (a.requiresGrad) {
                addInto(gradOf(a), 0, y.grad, 0, a.rows() * a.cols());
            }
            if (b.requiresGrad) {
                reduceIntoB(a, b, y.grad, -1f, false);
            }
        });
        return y;
    }

    public Var mul(Var a, Var b) {
        Broadcast mode = broadcast(a, b, "mul");
        Var y = binary(a, b, "mul", (p, q) -> p * q);
        onBackward(y, () -> {
            if (a.requiresGrad) {
                FloatBuffer gy = y.grad.buffer();
                FloatBuffer bv = b.value.buffer();
                FloatBuffer ga = gradOf(a).buffer();
                int cols = a.cols();
                float[] row = mode == Broadcast.ROW ? new float[cols] : null;
                if (row != null) {
                    bv.get(0, row, 0, cols);
                }
                Parallel.forRange(a.rows(), Math.max(1, GRAIN / Math.max(1, cols)), (from, to) -> {
                    for (int r = from; r < to; r++) {
                        int base = r * cols;
                        float rowScalar = mode == Broadcast.COLUMN ? bv.get(r) : mode == Broadcast.SCALAR ? bv.get(0) : 0f;
                        for (int c = 0; c < cols; c++) {
                            int i = base + c;
                            float bval = mode == Broadcast.SAME ? bv.get(i) : mode == Broadcast.ROW ? row[c] : rowScalar;
                            ga.put(i, ga.get(i) + gy.get(i) * bval);
                        }
                    }
                });
            }
            if (b.requiresGrad) {
                reduceIntoB(a, b, y.grad, 1f, true);
            }
        });
        return y;
    }

    // ---------------------------------------------------------------- element-wise functions

    @FunctionalInterface
    private interface UnaryKernel {
        float apply(float x);
    }

    /** dy/dx from the input x and the output y. */
    @FunctionalInterface
    private interface Derivative {
        float apply(float x, float y);
    }

    private static final int CHUNK = 4096;

    /** An element-wise function applied to a chunk in place (a whole-array kernel). */
    @FunctionalInterface
    private interface ChunkKernel {
        void apply(float[] chunk, int len);
    }

    private Var unary(Var a, UnaryKernel f, Derivative df) {
        return unary(a, (chunk, len) -> {
            for (int i = 0; i < len; i++) {
                chunk[i] = f.apply(chunk[i]);
            }
        }, df);
    }

    private Var unary(Var a, ChunkKernel f, Derivative df) {
        int n = a.rows() * a.cols();
        Tensor out = alloc(a.rows(), a.cols());
        FloatBuffer x = a.value.buffer();
        FloatBuffer o = out.buffer();
        Parallel.forRange(n, GRAIN, (from, to) -> {
            float[] buf = new float[Math.min(CHUNK, to - from)];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                x.get(start, buf, 0, len);
                f.apply(buf, len);
                o.put(start, buf, 0, len);
            }
        });
        Var y = output(out, a);
        onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer gx = gradOf(a).buffer();
            Parallel.forRange(n, GRAIN, (from, to) -> {
                int size = Math.min(CHUNK, to - from);
                float[] xs = new float[size];
                float[] ys = new float[size];
                float[] gys = new float[size];
                float[] gxs = new float[size];
                for (int start = from; start < to; start += CHUNK) {
                    int len = Math.min(CHUNK, to - start);
                    x.get(start, xs, 0, len);
                    o.get(start, ys, 0, len);
                    gy.get(start, gys, 0, len);
                    gx.get(start, gxs, 0, len);
                    for (int i = 0; i < len; i++) {
                        gxs[i] += gys[i] * df.apply(xs[i], ys[i]);
                    }
                    gx.put(start, gxs, 0, len);
                }
            });
        });
        return y;
    }

    /** alpha·a + beta·b for same-shape a and b, in one pass. */
    public Var affine(Var a, float alpha, Var b, float beta) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("affine: shapes differ, " + a.value.shape() + " vs " + b.value.shape());
        }
        Var y = linearCombination(a, alpha, b, beta);
        onBackward(y, () -> {
            int n = a.rows() * a.cols();
            if (a.requiresGrad) {
                Blas.axpy(n, alpha, y.grad, 0, gradOf(a), 0);
            }
            if (b.requiresGrad) {
                Blas.axpy(n, beta, y.grad, 0, gradOf(b), 0);
            }
        });
        return y;
    }

    public Var scale(Var a, float s) {
        int n = a.rows() * a.cols();
        Tensor out = alloc(a.rows(), a.cols());
        out.buffer().put(0, a.value.buffer(), 0, n);
        Blas.scal(n, s, out, 0);
        Var y = output(out, a);
        onBackward(y, () -> Blas.axpy(n, s, y.grad, 0, gradOf(a), 0));
        return y;
    }

    public Var addScalar(Var a, float s) {
        return unary(a, x -> x + s, (x, y) -> 1f);
    }

    public Var tanh(Var a) {
        RowKernels kernels = RowKernels.best();
        return unary(a, kernels::tanh, (x, y) -> 1f - y * y);
    }

    public Var sigmoid(Var a) {
        return unary(a, FastMath::sigmoid, (x, y) -> y * (1f - y));
    }

    /** log σ(x) = min(x, 0) − log1p(e^−|x|), stable for large |x|. */
    public Var logSigmoid(Var a) {
        return unary(a, x -> (float) (Math.min(x, 0) - Math.log1p(Math.exp(-Math.abs(x)))),
                (x, y) -> (float) (1 / (1 + Math.exp(x))));
    }

    public Var leakyRelu(Var a, float slope) {
        return unary(a, x -> x > 0 ? x : slope * x, (x, y) -> x > 0 ? 1f : slope);
    }

    public Var exp(Var a) {
        return unary(a, FastMath::exp, (x, y) -> y);
    }

    public Var log(Var a) {
        return unary(a, x -> (float) Math.log(x), (x, y) -> 1f / x);
    }

    public Var square(Var a) {
        return unary(a, x -> x * x, (x, y) -> 2f * x);
    }

    /** Inverted dropout: zero with probability p, survivors scaled by 1/(1−p). */
    public Var dropout(Var a, float p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        int n = a.rows() * a.cols();
        Tensor mask = alloc(a.rows(), a.cols());
        rng.fillUniform(mask, 0f, 1f);
        float keepScale = 1f / (1f - p);
        RowKernels kernels = RowKernels.best();
        Tensor out = alloc(a.rows(), a.cols());
        FloatBuffer m = mask.buffer();
        FloatBuffer x = a.value.buffer();
        FloatBuffer o = out.buffer();
        Parallel.forRange(n, GRAIN, (from, to) -> {
            int size = Math.min(CHUNK, to - from);
            float[] ms = new float[size];
            float[] xs = new float[size];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                m.get(start, ms, 0, len);
                x.get(start, xs, 0, len);
                kernels.dropout(ms, xs, len, p, keepScale);
                m.put(start, ms, 0, len);
                o.put(start, xs, 0, len);
            }
        });
        Var y = output(out, a);
        onBackward(y, () -> multiplyAddInto(gradOf(a), y.grad, mask, n));
        return y;
    }

    // ---------------------------------------------------------------- row-wise and reductions

    /** x / max(‖x‖, eps) per row (torch.nn.functional.normalize). */
    public Var rowL2Normalize(Var a, float eps) {
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = alloc(rows, cols);
        float[] norms = new float[rows];
        FloatBuffer x = a.value.buffer();
        FloatBuffer o = out.buffer();
        int block = Math.max(1, CHUNK / Math.max(1, cols));
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
        Var y = output(out, a);
        onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer gx = gradOf(a).buffer();
            Parallel.forRange(rows, 256, (from, to) -> {
                int len = Math.min(block, to - from) * cols;
                float[] gys = new float[len];
                float[] os = new float[len];
                float[] gxs = new float[len];
                for (int r0 = from; r0 < to; r0 += block) {
                    int nr = Math.min(block, to - r0);
                    gy.get(r0 * cols, gys, 0, nr * cols);
                    o.get(r0 * cols, os, 0, nr * cols);
                    gx.get(r0 * cols, gxs, 0, nr * cols);
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
    public Var softmax(Var v) {
        int n = v.rows() * v.cols();
        Tensor out = alloc(v.rows(), v.cols());
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
        Var y = output(out, v);
        onBackward(y, () -> {
            double dot = 0;
            for (int i = 0; i < n; i++) {
                dot += y.grad.get(i) * out.get(i);
            }
            Tensor g = gradOf(v);
            for (int i = 0; i < n; i++) {
                g.set(i, g.get(i) + (float) (out.get(i) * (y.grad.get(i) - dot)));
            }
        });
        return y;
    }

    /** Row-wise ⟨a_r, b_r⟩ as a column. */
    public Var rowDot(Var a, Var b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("rowDot: shapes differ, " + a.value.shape() + " vs " + b.value.shape());
        }
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = alloc(rows, 1);
        FloatBuffer av = a.value.buffer();
        FloatBuffer bv = b.value.buffer();
        Parallel.forRange(rows, 256, (from, to) -> {
            for (int r = from; r < to; r++) {
                double s = 0;
                for (int c = 0; c < cols; c++) {
                    s += av.get(r * cols + c) * bv.get(r * cols + c);
                }
                out.set(r, 0, (float) s);
            }
        });
        Var y = output(out, a, b);
        onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer ga = a.requiresGrad ? gradOf(a).buffer() : null;
            FloatBuffer gb = b.requiresGrad ? gradOf(b).buffer() : null;
            Parallel.forRange(rows, 256, (from, to) -> {
                for (int r = from; r < to; r++) {
                    float g = gy.get(r);
                    for (int c = 0; c < cols; c++) {
                        int i = r * cols + c;
                        if (ga != null) {
                            ga.put(i, ga.get(i) + g * bv.get(i));
                        }
                        if (gb != null) {
                            gb.put(i, gb.get(i) + g * av.get(i));
                        }
                    }
                }
            });
        });
        return y;
    }

    public Var rowSum(Var a) {
        return rowReduce(a, 1f);
    }

    public Var rowMean(Var a) {
        return rowReduce(a, 1f / a.cols());
    }

    private Var rowReduce(Var a, float factor) {
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = alloc(rows, 1);
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
        Var y = output(out, a);
        onBackward(y, () -> {
            FloatBuffer gx = gradOf(a).buffer();
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

    /**
     * dst[0][c] += Σ_r src[r][c], each column summed in double in row order. Threads split the
     * columns, not the rows, so every column's order of addition is the same on any core count.
     */
    private static void addColumnSums(Tensor src, int rows, int cols, Tensor dst) {
        FloatBuffer g = src.buffer();
        double[] sums = new double[cols];
        Parallel.forRange(cols, 512, (from, to) -> {
            float[] row = new float[to - from];
            for (int r = 0; r < rows; r++) {
                g.get(r * cols + from, row, 0, to - from);
                for (int c = from; c < to; c++) {
                    sums[c] += row[c - from];
                }
            }
        });
        for (int c = 0; c < cols; c++) {
            dst.set(0, c, dst.get(0, c) + (float) sums[c]);
        }
    }

    /**
     * The mean over each row of (a − b)², as a rows×1 column: rowMean(square(sub(a, b))) in one
     * pass forward and one backward, with the same float arithmetic per element as those three
     * ops, and no rows×cols intermediates (the diffusion loss over full interaction rows).
     */
    public Var rowMeanSquaredError(Var a, Var b) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException("rowMeanSquaredError: shapes differ, " + a.value.shape() + " vs "
                    + b.value.shape());
        }
        int rows = a.rows();
        int cols = a.cols();
        float factor = 1f / cols;
        Tensor out = alloc(rows, 1);
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
        Var y = output(out, a, b);
        onBackward(y, () -> {
            FloatBuffer ga = a.requiresGrad ? gradOf(a).buffer() : null;
            FloatBuffer gb = b.requiresGrad ? gradOf(b).buffer() : null;
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

    public Var sum(Var a) {
        return totalReduce(a, 1f);
    }

    public Var mean(Var a) {
        return totalReduce(a, 1f / ((float) a.rows() * a.cols()));
    }

    private Var totalReduce(Var a, float factor) {
        int n = a.rows() * a.cols();
        FloatBuffer x = a.value.buffer();
        int chunks = Math.max(1, Math.min(64, n / GRAIN));
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
        Tensor out = alloc(1, 1);
        out.set(0, 0, (float) (total * factor));
        Var y = output(out, a);
        onBackward(y, () -> {
            float g = y.grad.get(0, 0) * factor;
            FloatBuffer gx = gradOf(a).buffer();
            Parallel.forRange(n, GRAIN, (from, to) -> {
                for (int i = from; i < to; i++) {
                    gx.put(i, gx.get(i) + g);
                }
            });
        });
        return y;
    }

    // ---------------------------------------------------------------- fused InfoNCE

    /**
     * mean over n of [ logsumexp_r(⟨a_n, all_r⟩/τ) − ⟨a_n, all_{positives[n]}⟩/τ ]: one gemm for
     * the logits, a max-shifted log-sum-exp per row, and the softmax kept for the backward pass.
     */
    public Var infoNce(Var anchors, Var all, int[] positives, float temperature) {
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
        Tensor probs = alloc(n, candidates);
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
                rowLoss[r] = max + Math.log(sum) - positiveLogit;
                kernels.scale(row, candidates, (float) (1 / sum));
                pb.put(base, row, 0, candidates);
            }
        });
        double total = 0;
        for (double l : rowLoss) {
            total += l;
        }
        Tensor out = alloc(1, 1);
        out.set(0, 0, (float) (total / n));
        Var y = output(out, anchors, all);
        onBackward(y, () -> {
            // d loss / d logits = (softmax − onehot(positive)) / n, then through logits = a·allᵀ/τ.
            float g = y.grad.get(0, 0) / n;
            for (int r = 0; r < n; r++) {
                int i = r * candidates + positives[r];
                pb.put(i, pb.get(i) - 1f);
            }
            float s = g / temperature;
            if (anchors.requiresGrad) {
                Blas.gemm(false, false, s, probs, all.value, 1f, gradOf(anchors));
            }
            if (all.requiresGrad) {
                Blas.gemm(true, false, s, probs, anchors.value, 1f, gradOf(all));
            }
        });
        return y;
    }
}
