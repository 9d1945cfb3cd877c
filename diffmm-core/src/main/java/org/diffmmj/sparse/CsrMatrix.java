package org.diffmmj.sparse;

import java.nio.FloatBuffer;
import java.util.Arrays;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.RowKernels;
import org.diffmmj.tensor.Tensor;
import org.diffmmj.tensor.TopK;

/**
 * An immutable sparse matrix in compressed sparse row form (column indices sorted within each
 * row). Products with dense tensors run in parallel over output rows; each row is summed by
 * one thread in column order, so results are bit-for-bit reproducible.
 */
public final class CsrMatrix {

    /** What {@link #fromCoo} does with repeated (row, column) entries. */
    public enum Duplicates { SUM, ERROR }

    private final int rows;
    private final int cols;
    private final int[] rowPtr;
    private final int[] colIdx;
    private final float[] values;
    private volatile CsrMatrix transposed;
    /** Shared by every matrix {@link #withValues} derives from one pattern. */
    private final Pattern pattern;

    /** What matrices on the same sparsity pattern share, computed when first needed. */
    private static final class Pattern {
        /** Set once a second matrix uses the pattern: only then is keeping the layout worth it. */
        volatile boolean shared;
        volatile TransposeLayout layout;
    }

    /**
     * The transpose of a sparsity pattern: its row pointers and column indices, and for each of
     * its entries the position of that entry in the original, so that transposing new values
     * on the same pattern is one gather.
     */
    private record TransposeLayout(int[] ptr, int[] idx, int[] order) {
    }

    public CsrMatrix(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values) {
        this(rows, cols, rowPtr, colIdx, values, new Pattern());
    }

    private CsrMatrix(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values, Pattern pattern) {
        if (rowPtr.length != rows + 1 || colIdx.length != values.length || rowPtr[rows] != colIdx.length) {
            throw new IllegalArgumentException("inconsistent CSR arrays for a " + rows + "×" + cols + " matrix");
        }
        this.rows = rows;
        this.cols = cols;
        this.rowPtr = rowPtr;
        this.colIdx = colIdx;
        this.values = values;
        this.pattern = pattern;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int nnz() {
        return colIdx.length;
    }

    public int[] rowPtr() {
        return rowPtr;
    }

    public int[] colIdx() {
        return colIdx;
    }

    public float[] values() {
        return values;
    }

    /**
     * The row of each stored entry, in storage order (a fresh array, nnz long): with
     * {@link #colIdx()} the (row, column) pair of every edge, e.g. to compute edge values
     * from the embeddings of its two ends.
     */
    public int[] rowIdx() {
        int[] r = new int[colIdx.length];
        for (int i = 0; i < rows; i++) {
            Arrays.fill(r, rowPtr[i], rowPtr[i + 1], i);
        }
        return r;
    }

    /** Rows {@code from} (inclusive) to {@code to} (exclusive) as a matrix of their own, same columns. */
    public CsrMatrix rowRange(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IllegalArgumentException("rows " + from + ".." + to + " of a " + rows + "-row matrix");
        }
        int base = rowPtr[from];
        int[] ptr = new int[to - from + 1];
        for (int i = 0; i <= to - from; i++) {
            ptr[i] = rowPtr[from + i] - base;
        }
        return new CsrMatrix(to - from, cols, ptr, Arrays.copyOfRange(colIdx, base, rowPtr[to]),
                Arrays.copyOfRange(values, base, rowPtr[to]));
    }

    /**
     * The same sparsity pattern with other values, given in this matrix's storage order. The
     * index arrays are shared, not copied, and so is the pattern's transpose, computed at the
     * first {@link #transpose} of any matrix on it: a model that learns edge values then pays
     * one gather per step for the transpose, not a counting sort.
     */
    public CsrMatrix withValues(float[] newValues) {
        if (newValues.length != colIdx.length) {
            throw new IllegalArgumentException(newValues.length + " values for a pattern of " + colIdx.length
                    + " entries");
        }
        pattern.shared = true;
        return new CsrMatrix(rows, cols, rowPtr, colIdx, newValues, pattern);
    }

    /** The pattern's transpose layout, computed once per pattern that is shared by several value sets. */
    private TransposeLayout layout() {
        TransposeLayout l = pattern.layout;
        if (l == null) {
            l = transposeLayout();
            pattern.layout = l;
        }
        return l;
    }

    /** Where each stored entry goes in the transpose (a counting sort of the entries by column). */
    private TransposeLayout transposeLayout() {
        int[] ptr = new int[cols + 1];
        for (int c : colIdx) {
            ptr[c + 1]++;
        }
        for (int j = 0; j < cols; j++) {
            ptr[j + 1] += ptr[j];
        }
        int[] next = Arrays.copyOf(ptr, cols);
        int[] idx = new int[colIdx.length];
        int[] order = new int[colIdx.length];
        for (int i = 0; i < rows; i++) {
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                int q = next[colIdx[p]]++;
                idx[q] = i;
                order[q] = p;
            }
        }
        return new TransposeLayout(ptr, idx, order);
    }

    public static CsrMatrix fromCoo(int rows, int cols, int[] r, int[] c, float[] v, Duplicates policy) {
        if (r.length != c.length || r.length != v.length) {
            throw new IllegalArgumentException("COO arrays differ in length: " + r.length + ", " + c.length + ", " + v.length);
        }
        int[] counts = new int[rows + 1];
        for (int k = 0; k < r.length; k++) {
            if (r[k] < 0 || r[k] >= rows || c[k] < 0 || c[k] >= cols) {
                throw new IllegalArgumentException("entry " + k + " at (" + r[k] + ", " + c[k] + ") is outside a "
                        + rows + "×" + cols + " matrix");
            }
            counts[r[k] + 1]++;
        }
        for (int i = 0; i < rows; i++) {
            counts[i + 1] += counts[i];
        }
        int[] next = Arrays.copyOf(counts, rows);
        int[] cols0 = new int[r.length];
        float[] vals0 = new float[r.length];
        for (int k = 0; k < r.length; k++) {
            int p = next[r[k]]++;
            cols0[p] = c[k];
            vals0[p] = v[k];
        }
        // Sort each row by column (stable for equal columns), then merge duplicates.
        int[] ptr = new int[rows + 1];
        int out = 0;
        for (int i = 0; i < rows; i++) {
            int from = counts[i];
            int to = counts[i + 1];
            sortRow(cols0, vals0, from, to);
            for (int p = from; p < to; p++) {
                if (out > ptr[i] && cols0[out - 1] == cols0[p]) {
                    if (policy == Duplicates.ERROR) {
                        throw new IllegalArgumentException("duplicate entry at (" + i + ", " + cols0[p] + ")");
                    }
                    vals0[out - 1] += vals0[p];
                } else {
                    cols0[out] = cols0[p];
                    vals0[out] = vals0[p];
                    out++;
                }
            }
            ptr[i + 1] = out;
        }
        return new CsrMatrix(rows, cols, ptr, Arrays.copyOf(cols0, out), Arrays.copyOf(vals0, out));
    }

    private static void sortRow(int[] c, float[] v, int from, int to) {
        for (int i = from + 1; i < to; i++) {
            int ci = c[i];
            float vi = v[i];
            int j = i - 1;
            while (j >= from && c[j] > ci) {
                c[j + 1] = c[j];
                v[j + 1] = v[j];
                j--;
            }
            c[j + 1] = ci;
            v[j + 1] = vi;
        }
    }

    public CsrMatrix transpose() {
        // A one-off transpose does not keep its layout; a shared pattern keeps it for the next values.
        TransposeLayout l = pattern.shared ? layout() : transposeLayout();
        float[] tv = new float[colIdx.length];
        for (int q = 0; q < tv.length; q++) {
            tv[q] = values[l.order[q]];
        }
        return new CsrMatrix(cols, rows, l.ptr, l.idx, tv);
    }

    /** The transpose, computed once and kept (the backward pass of every propagation needs it). */
    public CsrMatrix transposed() {
        CsrMatrix t = transposed;
        if (t == null) {
            t = transpose();
            t.transposed = this;
            transposed = t;
        }
        return t;
    }

    public Tensor multiply(Tensor x) {
        Tensor out = Tensor.zeros(rows, x.cols());
        multiplyInto(x, out, false);
        return out;
    }

    public void multiplyInto(Tensor x, Tensor out) {
        multiplyInto(x, out, false);
    }

    /**
     * out (+)= this · x. x is copied to the heap once, so that the kernel reads its rows as
     * arrays (element access to the native buffer is slow); output rows go through a small
     * heap block per chunk of rows.
     */
    public void multiplyInto(Tensor x, Tensor out, boolean accumulate) {
        if (x.rows() != cols || out.rows() != rows || out.cols() != x.cols()) {
            throw new IllegalArgumentException("spmm: " + rows + "×" + cols + " · " + x.shape() + " does not give "
                    + out.shape());
        }
        int d = x.cols();
        float[] xh = denseScratch(x);
        FloatBuffer ob = out.buffer();
        RowKernels kernels = RowKernels.best();
        int grain = Math.max(16, 4096 / Math.max(1, d));
        Parallel.forRange(rows, grain, (from, to) -> {
            int blockRows = Math.max(1, Math.min(to - from, OUTPUT_BLOCK_FLOATS / Math.max(1, d)));
            float[] block = new float[blockRows * d];
            for (int b = from; b < to; b += blockRows) {
                int e = Math.min(to, b + blockRows);
                int n = (e - b) * d;
                if (accumulate) {
                    ob.get(b * d, block, 0, n);
                } else {
                    Arrays.fill(block, 0, n, 0f);
                }
                kernels.sparseRows(rowPtr, colIdx, values, xh, d, b, e, block);
                ob.put(b * d, block, 0, n);
            }
        });
    }

    /** Output rows per heap block of {@link #multiplyInto}: 64 KB, well inside L2. */
    private static final int OUTPUT_BLOCK_FLOATS = 1 << 14;

    /**
     * The calling thread's heap copy of a product's dense operand, reused across calls: a fresh
     * array per product would be a multi-megabyte allocation a thousand times an epoch.
     */
    private static final ThreadLocal<float[]> DENSE_SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] denseScratch(Tensor x) {
        int n = (int) x.size();
        float[] scratch = DENSE_SCRATCH.get();
        if (scratch.length < n) {
            scratch = new float[n];
            DENSE_SCRATCH.set(scratch);
        }
        x.copyTo(scratch, 0);
        return scratch;
    }

    /**
     * D^-1/2 (A + I) D^-1/2 for the bipartite graph A = [[0, R], [Rᵀ, 0]] of the given
     * (user, item) pairs (repeated pairs count once), nodes ordered users then items.
     */
    public static CsrMatrix normalizedBipartite(int users, int items, int[] userIdx, int[] itemIdx) {
        return normalized(users, items, userIdx, itemIdx, true);
    }

    /** D^-1/2 A D^-1/2 without self loops; a node with no edge has an empty row. */
    public static CsrMatrix normalizedBipartiteNoSelfLoops(int users, int items, int[] userIdx, int[] itemIdx) {
        return normalized(users, items, userIdx, itemIdx, false);
    }

    private static CsrMatrix normalized(int users, int items, int[] userIdx, int[] itemIdx, boolean selfLoops) {
        if (userIdx.length != itemIdx.length) {
            throw new IllegalArgumentException("user and item index arrays differ in length");
        }
        int n = users + items;
        int e = userIdx.length;
        int extra = selfLoops ? n : 0;
        int[] r = new int[2 * e + extra];
        int[] c = new int[2 * e + extra];
        float[] v = new float[2 * e + extra];
        for (int k = 0; k < e; k++) {
            if (userIdx[k] < 0 || userIdx[k] >= users || itemIdx[k] < 0 || itemIdx[k] >= items) {
                throw new IllegalArgumentException("edge " + k + " (" + userIdx[k] + ", " + itemIdx[k]
                        + ") is outside " + users + " users × " + items + " items");
            }
            r[2 * k] = userIdx[k];
            c[2 * k] = users + itemIdx[k];
            r[2 * k + 1] = users + itemIdx[k];
            c[2 * k + 1] = userIdx[k];
            v[2 * k] = 1f;
            v[2 * k + 1] = 1f;
        }
        for (int i = 0; i < extra; i++) {
            r[2 * e + i] = i;
            c[2 * e + i] = i;
            v[2 * e + i] = 1f;
        }
        CsrMatrix summed = fromCoo(n, n, r, c, v, Duplicates.SUM);
        // Binarise (a repeated pair is one edge), then scale by 1/sqrt(d_i d_j).
        float[] vals = summed.values;
        Arrays.fill(vals, 1f);
        double[] invSqrt = new double[n];
        for (int i = 0; i < n; i++) {
            int deg = summed.rowPtr[i + 1] - summed.rowPtr[i];
            invSqrt[i] = deg == 0 ? 0 : 1 / Math.sqrt(deg);
        }
        for (int i = 0; i < n; i++) {
            for (int p = summed.rowPtr[i]; p < summed.rowPtr[i + 1]; p++) {
                vals[p] = (float) (invSqrt[i] * invSqrt[summed.colIdx[p]]);
            }
        }
        return summed;
    }

    /**
     * Keeps each stored entry independently with probability keepProb and divides kept values by
     * keepProb (the authors' SpAdjDropEdge). keepProb ≥ 1 returns this matrix.
     */
    public CsrMatrix edgeDropout(float keepProb, Rng rng) {
        if (keepProb >= 1f) {
            return this;
        }
        if (!(keepProb > 0f)) {
            throw new IllegalArgumentException("keep probability must be in (0, 1], got " + keepProb);
        }
        int[] ptr = new int[rows + 1];
        int[] c = new int[colIdx.length];
        float[] v = new float[colIdx.length];
        int out = 0;
        for (int i = 0; i < rows; i++) {
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                if (rng.nextFloat() < keepProb) {
                    c[out] = colIdx[p];
                    v[out] = values[p] / keepProb;
                    out++;
                }
            }
            ptr[i + 1] = out;
        }
        return new CsrMatrix(rows, cols, ptr, Arrays.copyOf(c, out), Arrays.copyOf(v, out));
    }

    /**
     * The k-nearest-neighbour graph of a dense similarity matrix (LATTICE, FREEDOM): each row
     * keeps its k largest entries with their values, ties to the lower column, −∞ and NaN
     * never kept (a row with fewer finite entries keeps fewer). Deterministic on any core count.
     */
    public static CsrMatrix topKPerRow(Tensor dense, int k) {
        if (k < 0) {
            throw new IllegalArgumentException("k must be ≥ 0, got " + k);
        }
        int n = dense.rows();
        int width = dense.cols();
        int kk = Math.min(k, width);
        int[] picked = new int[n * kk];
        int[] counts = new int[n];
        FloatBuffer buf = dense.buffer();
        Parallel.forRange(n, 8, (from, to) -> {
            float[] row = new float[width];
            float[] best = new float[Math.max(1, kk)];
            for (int r = from; r < to; r++) {
                buf.get(r * width, row, 0, width);
                counts[r] = TopK.select(row, 0, width, kk, picked, r * kk, best);
                // CSR keeps each row's columns ascending.
                Arrays.sort(picked, r * kk, r * kk + counts[r]);
            }
        });
        int[] ptr = new int[n + 1];
        for (int r = 0; r < n; r++) {
            ptr[r + 1] = ptr[r] + counts[r];
        }
        int[] c = new int[ptr[n]];
        float[] v = new float[ptr[n]];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < counts[r]; j++) {
                int col = picked[r * kk + j];
                c[ptr[r] + j] = col;
                v[ptr[r] + j] = buf.get(r * width + col);
            }
        }
        return new CsrMatrix(n, width, ptr, c, v);
    }

    /**
     * D^-1/2 A D^-1/2 with D the diagonal of row sums (LATTICE's and FREEDOM's normalised
     * adjacency; on a symmetric A the row sums are the degrees): entry (i, j) becomes
     * a_ij / √(d_i d_j). A row whose sum is not positive gets factor 0, so it and its column
     * become zeros (kept as stored entries) instead of infinities. Same pattern; square only.
     */
    public CsrMatrix symmetricNormalized() {
        if (rows != cols) {
            throw new IllegalArgumentException("symmetric normalisation of a non-square " + rows + "×" + cols
                    + " matrix");
        }
        double[] sums = rowSums();
        double[] inv = new double[rows];
        for (int i = 0; i < rows; i++) {
            inv[i] = sums[i] > 0 ? 1 / Math.sqrt(sums[i]) : 0;
        }
        float[] v = new float[values.length];
        for (int i = 0; i < rows; i++) {
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                v[p] = (float) (values[p] * inv[i] * inv[colIdx[p]]);
            }
        }
        return withValues(v);
    }

    /**
     * D^-1 A with D the diagonal of row sums: each row sums to 1. A row whose sum is 0 becomes
     * zeros (kept as stored entries). Same pattern.
     */
    public CsrMatrix rowNormalized() {
        double[] sums = rowSums();
        float[] v = new float[values.length];
        for (int i = 0; i < rows; i++) {
            double inv = sums[i] != 0 ? 1 / sums[i] : 0;
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                v[p] = (float) (values[p] * inv);
            }
        }
        return withValues(v);
    }

    /** Σ_j a_ij per row, in double in storage order. */
    private double[] rowSums() {
        double[] sums = new double[rows];
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                s += values[p];
            }
            sums[i] = s;
        }
        return sums;
    }

    /** Dense copy, for tests and small matrices only. */
    public float[][] toDense() {
        float[][] d = new float[rows][cols];
        for (int i = 0; i < rows; i++) {
            for (int p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
                d[i][colIdx[p]] += values[p];
            }
        }
        return d;
    }
}
