package org.diffmmj.autograd;

import java.nio.FloatBuffer;
import java.util.Arrays;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.FastMath;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.RowKernels;
import org.diffmmj.tensor.Tensor;

/**
 * Element-wise ops: unary functions through {@link #unary}, binary arithmetic with broadcasting
 * through {@link #binary} and {@link #reduceInto}, both on {@link Kernels#forChunks}.
 */
final class ElementwiseOps {

    private ElementwiseOps() {
    }

    // ---------------------------------------------------------------- unary

    @FunctionalInterface
    interface UnaryKernel {
        float apply(float x);
    }

    /** dy/dx from the input x and the output y. */
    @FunctionalInterface
    interface Derivative {
        float apply(float x, float y);
    }

    /** An element-wise function applied to a chunk in place (a whole-array kernel). */
    @FunctionalInterface
    interface ChunkKernel {
        void apply(float[] chunk, int len);
    }

    /**
     * The backward pass of an element-wise function over a chunk: gxs[i] += gys[i]·f'(xs[i], ys[i]),
     * written out per op, so that its loop calls nothing per element and compiles to SIMD.
     */
    @FunctionalInterface
    interface ChunkGradient {
        void apply(float[] xs, float[] ys, float[] gys, float[] gxs, int len);
    }

    /**
     * A function and its derivative given per element. The loops here call them through an
     * interface shared by every such op, which the JIT cannot inline once several ops have run:
     * the ops on large tensors have their own chunk loops ({@link #unary(Tape, Var, ChunkKernel,
     * ChunkGradient)}) instead.
     */
    static Var unary(Tape tape, Var a, UnaryKernel f, Derivative df) {
        return unary(tape, a, (chunk, len) -> {
            for (int i = 0; i < len; i++) {
                chunk[i] = f.apply(chunk[i]);
            }
        }, df);
    }

    static Var unary(Tape tape, Var a, ChunkKernel f, Derivative df) {
        return unary(tape, a, f, (xs, ys, gys, gxs, len) -> {
            for (int i = 0; i < len; i++) {
                gxs[i] += gys[i] * df.apply(xs[i], ys[i]);
            }
        });
    }

    static Var unary(Tape tape, Var a, ChunkKernel f, ChunkGradient df) {
        int n = a.rows() * a.cols();
        Tensor out = tape.alloc(a.rows(), a.cols());
        FloatBuffer x = a.value.buffer();
        FloatBuffer o = out.buffer();
        Kernels.forChunks(n, new FloatBuffer[] {x}, new FloatBuffer[] {o}, (arrays, len) -> f.apply(arrays[0], len));
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> {
            FloatBuffer gx = tape.gradOf(a).buffer();
            Kernels.forChunks(n, new FloatBuffer[] {x, o, y.grad.buffer(), gx},
                    new FloatBuffer[] {null, null, null, gx},
                    (arrays, len) -> df.apply(arrays[0], arrays[1], arrays[2], arrays[3], len));
        });
        return y;
    }

    static Var addScalar(Tape tape, Var a, float s) {
        return unary(tape, a, x -> x + s, (x, y) -> 1f);
    }

    static Var tanh(Tape tape, Var a) {
        RowKernels kernels = RowKernels.best();
        return unary(tape, a, kernels::tanh, (x, y) -> 1f - y * y);
    }

    static Var sigmoid(Tape tape, Var a) {
        return unary(tape, a, FastMath::sigmoid, (x, y) -> y * (1f - y));
    }

    /**
     * x &gt; 0 ? x : slope·x, and gx += gy·(x &gt; 0 ? 1 : slope): the same float arithmetic as
     * the per-element form, in {@link RowKernels}' SIMD loops; the backward reads x, gy and gx only.
     */
    static Var leakyRelu(Tape tape, Var a, float slope) {
        RowKernels kernels = RowKernels.best();
        int n = a.rows() * a.cols();
        Tensor out = tape.alloc(a.rows(), a.cols());
        FloatBuffer x = a.value.buffer();
        Kernels.forChunks(n, new FloatBuffer[] {x}, new FloatBuffer[] {out.buffer()},
                (arrays, len) -> kernels.leakyRelu(arrays[0], len, slope));
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> {
            // A fresh gradient is written from zeros on the heap: the zero fill and its read saved.
            boolean fresh = tape.claimFreshGrad(a);
            FloatBuffer gx = tape.gradOf(a).buffer();
            Kernels.forChunks(n, new FloatBuffer[] {x, y.grad.buffer(), fresh ? null : gx},
                    new FloatBuffer[] {null, null, gx}, (arrays, len) -> {
                        if (fresh) {
                            Arrays.fill(arrays[2], 0, len, 0f);
                        }
                        kernels.leakyReluBackward(arrays[0], arrays[1], arrays[2], len, slope);
                    });
        });
        return y;
    }

    static Var exp(Tape tape, Var a) {
        return unary(tape, a, FastMath::exp, (x, y) -> y);
    }

    static Var log(Tape tape, Var a) {
        return unary(tape, a, x -> (float) Math.log(x), (x, y) -> 1f / x);
    }

    static Var square(Tape tape, Var a) {
        return unary(tape, a, (chunk, len) -> {
            for (int i = 0; i < len; i++) {
                chunk[i] = chunk[i] * chunk[i];
            }
        }, (xs, ys, gys, gxs, len) -> {
            for (int i = 0; i < len; i++) {
                gxs[i] += gys[i] * (2f * xs[i]);
            }
        });
    }

    static Var relu(Tape tape, Var a) {
        // Math.max keeps NaN (as torch does); the derivative at 0 is 0, as torch's.
        return unary(tape, a, (chunk, len) -> {
            for (int i = 0; i < len; i++) {
                chunk[i] = Math.max(chunk[i], 0f);
            }
        }, (xs, ys, gys, gxs, len) -> {
            for (int i = 0; i < len; i++) {
                gxs[i] += gys[i] * (xs[i] > 0 ? 1f : 0f);
            }
        });
    }

    static Var sqrt(Tape tape, Var a) {
        return unary(tape, a, x -> (float) Math.sqrt(x), (x, y) -> 0.5f / y);
    }

    static Var rsqrt(Tape tape, Var a) {
        return unary(tape, a, x -> (float) (1 / Math.sqrt(x)), (x, y) -> -0.5f * y * y * y);
    }

    static Var pow(Tape tape, Var a, float exponent) {
        // For exponent 0 the derivative is 0 even at x = 0, where p·x^(p−1) would be 0·∞.
        return unary(tape, a, x -> (float) Math.pow(x, exponent),
                (x, y) -> exponent == 0f ? 0f : (float) (exponent * Math.pow(x, exponent - 1)));
    }

    static Var scale(Tape tape, Var a, float s) {
        int n = a.rows() * a.cols();
        Tensor out = tape.alloc(a.rows(), a.cols());
        out.buffer().put(0, a.value.buffer(), 0, n);
        Blas.scal(n, s, out, 0);
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> Blas.axpy(n, s, y.grad, 0, tape.gradOf(a), 0));
        return y;
    }

    static Var dropout(Tape tape, Var a, float p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        int n = a.rows() * a.cols();
        Tensor mask = tape.alloc(a.rows(), a.cols());
        rng.fillUniform(mask, 0f, 1f);
        float keepScale = 1f / (1f - p);
        RowKernels kernels = RowKernels.best();
        Tensor out = tape.alloc(a.rows(), a.cols());
        FloatBuffer m = mask.buffer();
        // The uniform draws become the mask in place, kept for the backward pass.
        Kernels.forChunks(n, new FloatBuffer[] {m, a.value.buffer()}, new FloatBuffer[] {m, out.buffer()},
                (arrays, len) -> kernels.dropout(arrays[0], arrays[1], len, p, keepScale));
        Var y = tape.output(out, a);
        tape.onBackward(y, () -> Kernels.multiplyAddInto(tape.gradOf(a), y.grad, mask, n));
        return y;
    }

    // ---------------------------------------------------------------- binary with broadcasting

    /** How an operand lines up with the output of a broadcasting op. */
    enum Broadcast { SAME, ROW, COLUMN, SCALAR }

    static Broadcast mode(int rows, int cols, int outRows, int outCols) {
        if (rows == outRows && cols == outCols) {
            return Broadcast.SAME;
        }
        if (rows == 1 && cols == 1) {
            return Broadcast.SCALAR;
        }
        if (rows == 1 && cols == outCols) {
            return Broadcast.ROW;
        }
        if (cols == 1 && rows == outRows) {
            return Broadcast.COLUMN;
        }
        throw new IllegalArgumentException("cannot broadcast " + rows + "×" + cols + " to " + outRows + "×" + outCols);
    }

    private static int broadcastDim(int p, int q) {
        return p == q ? p : p == 1 ? q : q == 1 ? p : -1;
    }

    /** The output shape {rows, cols} of a broadcasting op on a and b. */
    static int[] outShape(Var a, Var b, String op) {
        int rows = broadcastDim(a.rows(), b.rows());
        int cols = broadcastDim(a.cols(), b.cols());
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(op + ": cannot broadcast " + b.value.shape() + " with "
                    + a.value.shape());
        }
        return new int[] {rows, cols};
    }

    static boolean sameShape(Var a, Var b) {
        return a.rows() == b.rows() && a.cols() == b.cols();
    }

    @FunctionalInterface
    interface BinaryKernel {
        float apply(float a, float b);
    }

    static Var binary(Tape tape, Var a, Var b, String op, BinaryKernel f) {
        int[] shape = outShape(a, b, op);
        Tensor out = tape.alloc(shape[0], shape[1]);
        combine(a.value, b.value, f, out);
        return tape.output(out, a, b);
    }

    /** out = f(a, b) element-wise, a and b broadcast to out's shape. */
    static void combine(Tensor a, Tensor b, BinaryKernel f, Tensor out) {
        int rows = out.rows();
        int cols = out.cols();
        Broadcast am = mode(a.rows(), a.cols(), rows, cols);
        Broadcast bm = mode(b.rows(), b.cols(), rows, cols);
        FloatBuffer av = a.buffer();
        FloatBuffer bv = b.buffer();
        FloatBuffer ov = out.buffer();
        if (am == Broadcast.SAME && bm == Broadcast.SAME) {
            Kernels.forChunks(rows * cols, new FloatBuffer[] {av, bv}, new FloatBuffer[] {ov, null}, (arrays, len) -> {
                float[] as = arrays[0];
                float[] bs = arrays[1];
                for (int i = 0; i < len; i++) {
                    as[i] = f.apply(as[i], bs[i]);
                }
            });
            return;
        }
        Parallel.forRange(rows, Math.max(1, Kernels.GRAIN / Math.max(1, cols)), (from, to) -> {
            float[] as = new float[cols];
            float[] bs = new float[cols];
            float[] os = new float[cols];
            for (int r = from; r < to; r++) {
                expandRow(av, am, r, cols, as, r == from);
                expandRow(bv, bm, r, cols, bs, r == from);
                for (int c = 0; c < cols; c++) {
                    os[c] = f.apply(as[c], bs[c]);
                }
                ov.put(r * cols, os, 0, cols);
            }
        });
    }

    /** Row r of an operand broadcast to width cols; a ROW or SCALAR operand is read once. */
    private static void expandRow(FloatBuffer v, Broadcast m, int r, int cols, float[] dst, boolean first) {
        switch (m) {
            case SAME -> v.get(r * cols, dst, 0, cols);
            case COLUMN -> Arrays.fill(dst, v.get(r));
            case ROW -> {
                if (first) {
                    v.get(0, dst, 0, cols);
                }
            }
            case SCALAR -> {
                if (first) {
                    Arrays.fill(dst, v.get(0));
                }
            }
        }
    }

    /**
     * x's gradient += sign · Σ over the positions x was broadcast to of g·factor, factor another
     * operand broadcast to g's shape (null for 1). Sums run in double in a fixed order per
     * entry of x, so results do not depend on the core count.
     */
    static void reduceInto(Tape tape, Var x, Tensor g, float sign, Tensor factor) {
        int rows = g.rows();
        int cols = g.cols();
        Broadcast mode = mode(x.rows(), x.cols(), rows, cols);
        Tensor target = tape.gradOf(x);
        FloatBuffer gv = g.buffer();
        FloatBuffer gx = target.buffer();
        FloatBuffer fv = factor == null ? null : factor.buffer();
        Broadcast fm = factor == null ? null : mode(factor.rows(), factor.cols(), rows, cols);
        int n = rows * cols;
        switch (mode) {
            case SAME -> {
                if (factor == null) {
                    if (sign == 1f) {
                        Kernels.addInto(target, 0, g, 0, n);
                    } else {
                        Blas.axpy(n, sign, g, 0, target, 0);
                    }
                    return;
                }
                if (fm == Broadcast.SAME) {
                    // Element for element, so in flat chunks: narrow tensors (a column of edge
                    // weights) would otherwise pay a row's bulk copies per element.
                    Kernels.forChunks(n, new FloatBuffer[] {gx, gv, fv}, new FloatBuffer[] {gx, null, null},
                            (arrays, len) -> {
                                float[] xs = arrays[0];
                                float[] gs = arrays[1];
                                float[] fs = arrays[2];
                                for (int i = 0; i < len; i++) {
                                    xs[i] += sign * gs[i] * fs[i];
                                }
                            });
                    return;
                }
                Parallel.forRange(rows, Math.max(1, Kernels.GRAIN / Math.max(1, cols)), (from, to) -> {
                    float[] gs = new float[cols];
                    float[] fs = new float[cols];
                    float[] xs = new float[cols];
                    for (int r = from; r < to; r++) {
                        int base = r * cols;
                        gv.get(base, gs, 0, cols);
                        gx.get(base, xs, 0, cols);
                        expandRow(fv, fm, r, cols, fs, r == from);
                        for (int c = 0; c < cols; c++) {
                            xs[c] += sign * gs[c] * fs[c];
                        }
                        gx.put(base, xs, 0, cols);
                    }
                });
            }
            case COLUMN -> Parallel.forRange(rows, 64, (from, to) -> {
                float[] gs = new float[cols];
                float[] fs = factor == null ? null : new float[cols];
                for (int r = from; r < to; r++) {
                    gv.get(r * cols, gs, 0, cols);
                    double s = 0;
                    if (fs == null) {
                        for (int c = 0; c < cols; c++) {
                            s += gs[c];
                        }
                    } else {
                        expandRow(fv, fm, r, cols, fs, r == from);
                        for (int c = 0; c < cols; c++) {
                            s += gs[c] * fs[c];
                        }
                    }
                    gx.put(r, gx.get(r) + sign * (float) s);
                }
            });
            case ROW, SCALAR -> {
                double[] s = new double[cols];
                float[] gs = new float[cols];
                float[] fs = factor == null ? null : new float[cols];
                double total = 0;
                for (int r = 0; r < rows; r++) {
                    gv.get(r * cols, gs, 0, cols);
                    if (fs != null) {
                        expandRow(fv, fm, r, cols, fs, r == 0);
                        for (int c = 0; c < cols; c++) {
                            gs[c] *= fs[c];
                        }
                    }
                    if (mode == Broadcast.ROW) {
                        for (int c = 0; c < cols; c++) {
                            s[c] += gs[c];
                        }
                    } else {
                        for (int c = 0; c < cols; c++) {
                            total += gs[c];
                        }
                    }
                }
                if (mode == Broadcast.ROW) {
                    for (int c = 0; c < cols; c++) {
                        gx.put(c, gx.get(c) + sign * (float) s[c]);
                    }
                } else {
                    gx.put(0, gx.get(0) + sign * (float) total);
                }
            }
        }
    }

    /** out = alpha·a + beta·b for same-shape tensors: a copy and two level-1 updates, all SIMD. */
    private static Var linearCombination(Tape tape, Var a, float alpha, Var b, float beta) {
        int n = a.rows() * a.cols();
        Tensor out = tape.alloc(a.rows(), a.cols());
        out.buffer().put(0, a.value.buffer(), 0, n);
        if (alpha != 1f) {
            Blas.scal(n, alpha, out, 0);
        }
        Blas.axpy(n, beta, b.value, 0, out, 0);
        return tape.output(out, a, b);
    }

    static Var add(Tape tape, Var a, Var b) {
        Var y = sameShape(a, b) ? linearCombination(tape, a, 1f, b, 1f) : binary(tape, a, b, "add", Float::sum);
        tape.onBackward(y, () -> {
            if (a.requiresGrad) {
                reduceInto(tape, a, y.grad, 1f, null);
            }
            if (b.requiresGrad) {
                reduceInto(tape, b, y.grad, 1f, null);
            }
        });
        return y;
    }

    static Var sub(Tape tape, Var a, Var b) {
        Var y = sameShape(a, b) ? linearCombination(tape, a, 1f, b, -1f) : binary(tape, a, b, "sub", (p, q) -> p - q);
        tape.onBackward(y, () -> {
            if (a.requiresGrad) {
                reduceInto(tape, a, y.grad, 1f, null);
            }
            if (b.requiresGrad) {
                reduceInto(tape, b, y.grad, -1f, null);
            }
        });
        return y;
    }

    static Var mul(Tape tape, Var a, Var b) {
        Var y = binary(tape, a, b, "mul", (p, q) -> p * q);
        tape.onBackward(y, () -> {
            if (a.requiresGrad) {
                reduceInto(tape, a, y.grad, 1f, b.value);
            }
            if (b.requiresGrad) {
                reduceInto(tape, b, y.grad, 1f, a.value);
            }
        });
        return y;
    }

    static Var div(Tape tape, Var a, Var b) {
        Var y = binary(tape, a, b, "div", (p, q) -> p / q);
        tape.onBackward(y, () -> {
            if (a.requiresGrad) {
                // ∂(a/b)/∂a = 1/b: the term g/b, then reduced to a's shape.
                Tensor term = tape.alloc(y.rows(), y.cols());
                combine(y.grad, b.value, (g, q) -> g / q, term);
                reduceInto(tape, a, term, 1f, null);
            }
            if (b.requiresGrad) {
                // ∂(a/b)/∂b = −a/b² = −y/b.
                Tensor ratio = tape.alloc(y.rows(), y.cols());
                combine(y.value, b.value, (p, q) -> p / q, ratio);
                reduceInto(tape, b, y.grad, -1f, ratio);
            }
        });
        return y;
    }

    static Var affine(Tape tape, Var a, float alpha, Var b, float beta) {
        if (!sameShape(a, b)) {
            throw new IllegalArgumentException("affine: shapes differ, " + a.value.shape() + " vs " + b.value.shape());
        }
        Var y = linearCombination(tape, a, alpha, b, beta);
        tape.onBackward(y, () -> {
            int n = a.rows() * a.cols();
            if (a.requiresGrad) {
                Blas.axpy(n, alpha, y.grad, 0, tape.gradOf(a), 0);
            }
            if (b.requiresGrad) {
                Blas.axpy(n, beta, y.grad, 0, tape.gradOf(b), 0);
            }
        });
        return y;
    }

    /**
     * out[r,c] = alpha[r]·a[r,c] + beta[r]·b[r,c], one pass over row-major heap rows (the
     * products and the sum each rounded to float, as the two broadcast products and a sum would
     * be, without their two temporaries). Gradients alpha[r]·gy and beta[r]·gy.
     */
    static Var rowAffine(Tape tape, Var a, float[] alpha, Var b, float[] beta) {
        if (!sameShape(a, b) || alpha.length != a.rows() || beta.length != a.rows()) {
            throw new IllegalArgumentException("rowAffine: " + a.value.shape() + " and " + b.value.shape() + " with "
                    + alpha.length + " and " + beta.length + " row coefficients");
        }
        int rows = a.rows();
        int cols = a.cols();
        Tensor out = tape.alloc(rows, cols);
        rowCombine(rows, cols, a.value.buffer(), alpha, b.value.buffer(), beta, out.buffer(), false);
        Var y = tape.output(out, a, b);
        tape.onBackward(y, () -> {
            if (a.requiresGrad) {
                rowCombine(rows, cols, y.grad.buffer(), alpha, tape.gradOf(a).buffer(), null, tape.gradOf(a).buffer(), true);
            }
            if (b.requiresGrad) {
                rowCombine(rows, cols, y.grad.buffer(), beta, tape.gradOf(b).buffer(), null, tape.gradOf(b).buffer(), true);
            }
        });
        return y;
    }

    /**
     * out[r,·] = alpha[r]·x[r,·] + beta[r]·z[r,·]; with {@code accumulate}, out[r,·] = z[r,·] +
     * alpha[r]·x[r,·] (beta unused), the gradient accumulation.
     */
    private static void rowCombine(int rows, int cols, FloatBuffer x, float[] alpha, FloatBuffer z, float[] beta,
                                   FloatBuffer out, boolean accumulate) {
        Parallel.forRange(rows, Math.max(1, Kernels.GRAIN / Math.max(1, cols)), (from, to) -> {
            float[] xs = new float[cols];
            float[] zs = new float[cols];
            for (int r = from; r < to; r++) {
                int base = r * cols;
                x.get(base, xs, 0, cols);
                z.get(base, zs, 0, cols);
                float p = alpha[r];
                if (accumulate) {
                    for (int c = 0; c < cols; c++) {
                        zs[c] = zs[c] + p * xs[c];
                    }
                } else {
                    float q = beta[r];
                    for (int c = 0; c < cols; c++) {
                        zs[c] = p * xs[c] + q * zs[c];
                    }
                }
                out.put(base, zs, 0, cols);
            }
        });
    }
}
