package org.diffmmj.tensor;

import java.nio.FloatBuffer;

/**
 * Indices of the k largest entries of each row, best first, ties to the lower index, NaN and −∞
 * last; rows in parallel, a partial insertion selection per row (k is small next to the row length).
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
            float[] best = new float[kk];
            for (int r = from; r < to; r++) {
                buf.get(r * cols, row, 0, cols);
                fill(row, 0, cols, kk, out, r * kk, best);
            }
        });
        return out;
    }

    public static int[] rows(float[] scores, int rows, int cols, int k) {
        int kk = Math.min(k, cols);
        int[] out = new int[rows * kk];
        Parallel.forRange(rows, 8, (from, to) -> {
            float[] best = new float[kk];
            for (int r = from; r < to; r++) {
                fill(scores, r * cols, cols, kk, out, r * kk, best);
            }
        });
        return out;
    }

    /** A full row of k; rows with fewer finite entries are padded with the lowest unused indices. */
    private static void fill(float[] row, int from, int n, int k, int[] out, int outOffset, float[] best) {
        int found = select(row, from, n, k, out, outOffset, best);
        for (int i = 0; found < k && i < n; i++) {
            boolean used = false;
            for (int j = 0; j < found; j++) {
                used |= out[outOffset + j] == i;
            }
            if (!used) {
                out[outOffset + found++] = i;
            }
        }
    }

    /**
     * Indices of the k largest of scores[from..from+n) into out[outOffset..), best first, lower
     * index first on ties; −∞ and NaN entries (excluded items) never enter. Returns how many
     * were written (fewer than k only when fewer entries are finite). {@code best} is scratch of
     * length ≥ k.
     */
    public static int select(float[] scores, int from, int n, int k, int[] out, int outOffset, float[] best) {
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = scores[from + i];
            if (v == Float.NEGATIVE_INFINITY || v != v) {
                continue;
            }
            int p;
            if (size < k) {
                p = size++;
            } else if (k > 0 && v > best[k - 1]) {
                p = k - 1;
            } else {
                continue;
            }
            while (p > 0 && best[p - 1] < v) {
                best[p] = best[p - 1];
                out[outOffset + p] = out[outOffset + p - 1];
                p--;
            }
            best[p] = v;
            out[outOffset + p] = i;
        }
        return size;
    }
}
