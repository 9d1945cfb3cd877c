package org.diffmmj.tensor;

/**
 * The per-row kernels of a softmax over many candidates (the InfoNCE terms): maximum, exp of the
 * shifted row with its sum, and scaling; tanh, the denoisers' activation; dropout masks, whose
 * random keep-or-drop branch the JIT would otherwise compile to a mispredicted jump per element;
 * LeakyReLU and its backward, whose sign test is the same kind of branch; and the rows of a
 * sparse-times-dense product (every graph propagation).
 * Two implementations give the same results to float
 * rounding: one on the Java Vector API (AVX2/AVX-512 lanes, about twelve times faster per
 * element here) when the JVM was started with {@code --add-modules jdk.incubator.vector}, as the
 * launcher and the tests do, and a scalar one otherwise, so that the library still runs on a
 * plain JVM.
 */
public abstract class RowKernels {

    private static final RowKernels SCALAR = new Scalar();
    private static final RowKernels BEST = pickBest();

    /** The fastest kernels this JVM can run; {@code DIFFMM_SIMD=0} forces the scalar ones. */
    public static RowKernels best() {
        return BEST;
    }

    public static RowKernels scalar() {
        return SCALAR;
    }

    /** Name for logs and benchmarks, e.g. "vector (16 float lanes)" or "scalar". */
    public abstract String description();

    /** max of row[0..n). */
    public abstract float max(float[] row, int n);

    /**
     * row[c] ← exp(row[c] − shift) for c in [0, n), returning their sum. Requires row[c] ≤ shift
     * (a softmax shifts by the row's maximum); results below e^−87 are not flushed to zero.
     */
    public abstract double expShiftedSum(float[] row, int n, float shift);

    /** row[c] ← tanh(row[c]) for c in [0, n) (to FastMath's precision). */
    public void tanh(float[] row, int n) {
        for (int c = 0; c < n; c++) {
            row[c] = FastMath.tanh(row[c]);
        }
    }

    /** row[c] ← row[c] · factor. */
    public void scale(float[] row, int n, float factor) {
        for (int c = 0; c < n; c++) {
            row[c] *= factor;
        }
    }

    /**
     * Inverted dropout over a chunk: mask[c] ← keepScale where the uniform draw mask[c] ≥ p, else
     * 0; x[c] ← x[c] · mask[c]. The mask is kept for the backward pass.
     */
    public void dropout(float[] mask, float[] x, int n, float p, float keepScale) {
        for (int c = 0; c < n; c++) {
            float keep = mask[c] >= p ? keepScale : 0f;
            mask[c] = keep;
            x[c] *= keep;
        }
    }

    /**
     * Rows [from, to) of a sparse-times-dense product, added to what {@code out} holds:
     * out[(i − from)·d + c] += Σ_p values[p]·x[colIdx[p]·d + c] over row i's entries p in stored
     * order, each product rounded before its addition (no fused multiply-add), so every
     * implementation gives the same bits as this loop.
     */
    public void sparseRows(int[] rowPtr, int[] colIdx, float[] values, float[] x, int d, int from, int to,
                           float[] out) {
        for (int i = from; i < to; i++) {
            int o = (i - from) * d;
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                float v = values[p];
                int xb = colIdx[p] * d;
                for (int c = 0; c < d; c++) {
                    out[o + c] += v * x[xb + c];
                }
            }
        }
    }

    /** row[c] ← row[c] if row[c] > 0, else slope · row[c] (NaN stays NaN). */
    public void leakyRelu(float[] row, int n, float slope) {
        for (int c = 0; c < n; c++) {
            float x = row[c];
            row[c] = x > 0 ? x : slope * x;
        }
    }

    /**
     * LeakyReLU's backward over a chunk: gx[c] ← gx[c] + gy[c] · (x[c] > 0 ? 1 : slope), the
     * product and the sum each rounded to float (no fused multiply-add), so every implementation
     * gives the same bits.
     */
    public void leakyReluBackward(float[] x, float[] gy, float[] gx, int n, float slope) {
        for (int c = 0; c < n; c++) {
            gx[c] += gy[c] * (x[c] > 0 ? 1f : slope);
        }
    }

    private static RowKernels pickBest() {
        if ("0".equals(System.getenv("DIFFMM_SIMD"))
                || ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return SCALAR;
        }
        try {
            // Loaded by name: the class links against the incubator module, absent on a plain JVM.
            return (RowKernels) Class.forName(RowKernels.class.getName() + "Vector").getDeclaredConstructor()
                    .newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            return SCALAR;
        }
    }

    static final class Scalar extends RowKernels {

        @Override
        public String description() {
            return "scalar";
        }

        @Override
        public float max(float[] row, int n) {
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < n; c++) {
                max = Math.max(max, row[c]);
            }
            return max;
        }

        @Override
        public double expShiftedSum(float[] row, int n, float shift) {
            double sum = 0;
            for (int c = 0; c < n; c++) {
                float e = FastMath.exp(row[c] - shift);
                row[c] = e;
                sum += e;
            }
            return sum;
        }
    }
}
