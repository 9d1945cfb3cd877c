package org.diffmmj.autograd;

import java.nio.FloatBuffer;

import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Products of a sparse matrix with a dense one (graph propagation).
 */
final class SparseOps {

    private SparseOps() {
    }

    /** a·x for a constant sparse a; the backward pass multiplies by aᵀ. */
    static Var spmm(Tape tape, CsrMatrix a, Var x) {
        Tensor out = tape.alloc(a.rows(), x.cols());
        a.multiplyInto(x.value, out, false);
        Var y = tape.output(out, x);
        tape.onBackward(y, () -> {
            boolean fresh = tape.claimFreshGrad(x);
            a.transposed().multiplyInto(y.grad, tape.gradOf(x), !fresh);
        });
        return y;
    }

    static Var spmm(Tape tape, CsrMatrix structure, Var edgeValues, Var x) {
        int nnz = structure.nnz();
        if (edgeValues.rows() != nnz || edgeValues.cols() != 1) {
            throw new IllegalArgumentException("spmm: edge values " + edgeValues.value.shape() + " for a pattern of "
                    + nnz + " entries (needs " + nnz + "×1)");
        }
        if (x.rows() != structure.cols()) {
            throw new IllegalArgumentException("spmm: " + structure.rows() + "×" + structure.cols() + " · "
                    + x.value.shape());
        }
        CsrMatrix a = structure.withValues(edgeValues.value.toArray());
        Tensor out = tape.alloc(a.rows(), x.cols());
        a.multiplyInto(x.value, out, false);
        Var y = tape.output(out, edgeValues, x);
        tape.onBackward(y, () -> {
            if (x.requiresGrad) {
                boolean fresh = tape.claimFreshGrad(x);
                a.transposed().multiplyInto(y.grad, tape.gradOf(x), !fresh);
            }
            if (edgeValues.requiresGrad) {
                addEdgeDots(a, y.grad, x.value, tape.gradOf(edgeValues));
            }
        });
        return y;
    }

    /**
     * out[p] += ⟨left[row_p], right[col_p]⟩ for every stored entry p (a sampled dense-dense
     * product), each dot summed in double in column order; rows in parallel, each entry written
     * by one thread. A row's entries go four at a time: four independent chains of additions,
     * the same sums.
     */
    private static void addEdgeDots(CsrMatrix a, Tensor left, Tensor right, Tensor out) {
        int d = left.cols();
        int[] rowPtr = a.rowPtr();
        int[] colIdx = a.colIdx();
        FloatBuffer lb = left.buffer();
        FloatBuffer rb = right.buffer();
        FloatBuffer ob = out.buffer();
        Parallel.forRange(a.rows(), Math.max(16, 4096 / Math.max(1, d)), (from, to) -> {
            float[] lr = new float[d];
            float[] r0 = new float[d];
            float[] r1 = new float[d];
            float[] r2 = new float[d];
            float[] r3 = new float[d];
            // This range's entries of out, on the heap for the duration.
            int base = rowPtr[from];
            float[] os = new float[rowPtr[to] - base];
            ob.get(base, os, 0, os.length);
            for (int i = from; i < to; i++) {
                int end = rowPtr[i + 1];
                if (rowPtr[i] == end) {
                    continue;
                }
                lb.get(i * d, lr, 0, d);
                int p = rowPtr[i];
                for (; p + 4 <= end; p += 4) {
                    rb.get(colIdx[p] * d, r0, 0, d);
                    rb.get(colIdx[p + 1] * d, r1, 0, d);
                    rb.get(colIdx[p + 2] * d, r2, 0, d);
                    rb.get(colIdx[p + 3] * d, r3, 0, d);
                    double s0 = 0;
                    double s1 = 0;
                    double s2 = 0;
                    double s3 = 0;
                    for (int c = 0; c < d; c++) {
                        float l = lr[c];
                        s0 += l * r0[c];
                        s1 += l * r1[c];
                        s2 += l * r2[c];
                        s3 += l * r3[c];
                    }
                    os[p - base] += (float) s0;
                    os[p + 1 - base] += (float) s1;
                    os[p + 2 - base] += (float) s2;
                    os[p + 3 - base] += (float) s3;
                }
                for (; p < end; p++) {
                    rb.get(colIdx[p] * d, r0, 0, d);
                    double s = 0;
                    for (int c = 0; c < d; c++) {
                        s += lr[c] * r0[c];
                    }
                    os[p - base] += (float) s;
                }
            }
            ob.put(base, os, 0, os.length);
        });
    }
}
