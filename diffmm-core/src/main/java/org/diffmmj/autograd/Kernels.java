package org.diffmmj.autograd;

import java.nio.FloatBuffer;
import java.util.concurrent.ForkJoinTask;

import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * The loops the op families share: the chunked element-wise pass every element-wise op runs
 * through, and the gradient accumulations several families need.
 */
final class Kernels {

    /** Elements per parallel task: below this the fork costs more than the work. */
    static final int GRAIN = 1 << 15;

    /** Elements per heap chunk: small enough for L1, large enough to amortise the bulk copies. */
    static final int CHUNK = 4096;

    /** Below this length a Java loop beats the native call. */
    private static final int BLAS_MIN = 2048;

    private Kernels() {
    }

    /** The body of a chunked pass: arrays[k] holds elements [start, start + len) of buffer k. */
    @FunctionalInterface
    interface ChunkBody {
        void apply(float[][] arrays, int len);
    }

    /**
     * Runs body over [0, n) in heap chunks, where the loops vectorise: array k is read from
     * sources[k] (left as scratch where that is null) before the body and written to targets[k]
     * (where that is not null) after it. Element-wise work only: chunk boundaries depend on the
     * core count, so a body must not carry sums across elements.
     */
    static void forChunks(int n, FloatBuffer[] sources, FloatBuffer[] targets, ChunkBody body) {
        int k = sources.length;
        Parallel.forRange(n, GRAIN, (from, to) -> {
            int size = Math.min(CHUNK, to - from);
            float[][] arrays = new float[k][size];
            for (int start = from; start < to; start += CHUNK) {
                int len = Math.min(CHUNK, to - start);
                for (int j = 0; j < k; j++) {
                    if (sources[j] != null) {
                        sources[j].get(start, arrays[j], 0, len);
                    }
                }
                body.apply(arrays, len);
                for (int j = 0; j < k; j++) {
                    if (targets[j] != null) {
                        targets[j].put(start, arrays[j], 0, len);
                    }
                }
            }
        });
    }

    static void addInto(Tensor dst, int dstOff, Tensor src, int srcOff, int n) {
        if (n >= BLAS_MIN && !ForkJoinTask.inForkJoinPool()) {
            Blas.axpy(n, 1f, src, srcOff, dst, dstOff);
            return;
        }
        FloatBuffer d = dst.buffer();
        FloatBuffer s = src.buffer();
        for (int i = 0; i < n; i++) {
            d.put(dstOff + i, d.get(dstOff + i) + s.get(srcOff + i));
        }
    }

    /** dst[i] += src[i]·factor[i] over [0, n). */
    static void multiplyAddInto(Tensor dst, Tensor src, Tensor factor, int n) {
        FloatBuffer d = dst.buffer();
        forChunks(n, new FloatBuffer[] {d, src.buffer(), factor.buffer()}, new FloatBuffer[] {d, null, null},
                (arrays, len) -> {
                    float[] ds = arrays[0];
                    float[] ss = arrays[1];
                    float[] fs = arrays[2];
                    for (int i = 0; i < len; i++) {
                        ds[i] += ss[i] * fs[i];
                    }
                });
    }

    /**
     * dst[0][c] += Σ_r src[r][c], each column summed in double in row order. Threads split the
     * columns, not the rows, so every column's order of addition is the same on any core count.
     */
    static void addColumnSums(Tensor src, int rows, int cols, Tensor dst) {
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
     * dst += srcᵀ for src of shape cols × rows and dst rows × cols: threads take blocks of dst's
     * rows, each reading src's matching column segments, which are contiguous.
     */
    static void addTransposed(Tensor src, Tensor dst) {
        int rows = dst.rows();
        int cols = dst.cols();
        if (src.rows() != cols || src.cols() != rows) {
            throw new IllegalArgumentException("addTransposed: " + src.shape() + "ᵀ does not match " + dst.shape());
        }
        FloatBuffer sb = src.buffer();
        FloatBuffer db = dst.buffer();
        int block = Math.max(1, CHUNK / Math.max(1, cols));
        Parallel.forRange(rows, block, (from, to) -> {
            float[] segment = new float[block];
            float[] out = new float[block * cols];
            for (int b = from; b < to; b += block) {
                int n = Math.min(block, to - b);
                db.get(b * cols, out, 0, n * cols);
                for (int c = 0; c < cols; c++) {
                    sb.get(c * rows + b, segment, 0, n);
                    for (int r = 0; r < n; r++) {
                        out[r * cols + c] += segment[r];
                    }
                }
                db.put(b * cols, out, 0, n * cols);
            }
        });
    }
}
