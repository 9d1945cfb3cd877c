package org.diffmmj.tensor;

import java.nio.FloatBuffer;

/**
 * Indices of the k largest entries of each row, best first, ties to the lower index; rows in
 * parallel, a partial insertion selection per row (k is small next to the row length).
 */
public final class TopK {

    private TopK() {
    }

    public static int[] rows(Tensor scores, int k) {
        FloatBuffer buf = scores.buffer();
        int rows = scores.rows();
        int cols = scores.cols();
        int kk = Math.min(k, cols);
        int[] out = new int[rows * kk];
        Parallel.forRange(rows, 8, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                buf.get(r * cols, row, 0, cols);
                select(row, kk, out, r * kk);
            }
        });
        return out;
    }

    public static int[] rows(float[] scores, int rows, int cols, int k) {
        int kk = Math.min(k, cols);
        int[] out = new int[rows * kk];
        Parallel.forRange(rows, 8, (from, to) -> {
            float[] row = new float[cols];
            for (int r = from; r < to; r++) {
                System.arraycopy(scores, r * cols, row, 0, cols);
                select(row, kk, out, r * kk);
            }
        });
        return out;
    }

    /** Writes the indices of the k largest of row into out[offset..offset+k). NaN ranks last. */
    static void select(float[] row, int k, int[] out, int offset) {
        if (k == 0) {
            return;
        }
        float[] best = new float[k];
        int size = 0;
        for (int i = 0; i < row.length; i++) {
            float v = row[i];
            if (v != v) {
                v = Float.NEGATIVE_INFINITY;
            }
            if (size < k) {
                int p = size++;
                while (p > 0 && best[p - 1] < v) {
                    best[p] = best[p - 1];
                    out[offset + p] = out[offset + p - 1];
                    p--;
                }
                best[p] = v;
                out[offset + p] = i;
            } else if (v > best[k - 1]) {
                int p = k - 1;
                while (p > 0 && best[p - 1] < v) {
                    best[p] = best[p - 1];
                    out[offset + p] = out[offset + p - 1];
                    p--;
                }
                best[p] = v;
                out[offset + p] = i;
            }
        }
    }
}
