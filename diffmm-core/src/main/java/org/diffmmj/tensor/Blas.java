package org.diffmmj.tensor;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;

/**
 * Dense products through OpenBLAS' cblas_sgemm, and the level-1 updates the element-wise ops
 * reduce to, on the tensors' native memory (no copies).
 */
public final class Blas {

    static {
        Loader.load(openblas.class);
        openblas.blas_set_num_threads(Parallel.threads());
    }

    private Blas() {
    }

    public static void setThreads(int n) {
        openblas.blas_set_num_threads(n);
    }

    public static int threads() {
        return openblas.blas_get_num_threads();
    }

    /** c = alpha·op(a)·op(b) + beta·c, op = transpose when the flag is set. */
    public static void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: " + (transA ? "(" + a.shape() + ")ᵀ" : a.shape()) + " · "
                    + (transB ? "(" + b.shape() + ")ᵀ" : b.shape()) + " does not give " + c.shape());
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (beta == 0f) {
                c.fill(0f);
            }
            return;
        }
        openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, alpha,
                a.pointer(), Math.max(1, a.cols()), b.pointer(), Math.max(1, b.cols()), beta, c.pointer(),
                Math.max(1, c.cols()));
    }

    /** y[yOff, yOff+n) += alpha·x[xOff, xOff+n) (cblas_saxpy, SIMD, threaded by OpenBLAS for large n). */
    public static void axpy(int n, float alpha, Tensor x, long xOff, Tensor y, long yOff) {
        checkRange("axpy", x, xOff, n);
        checkRange("axpy", y, yOff, n);
        if (n > 0) {
            openblas.cblas_saxpy(n, alpha, at(x, xOff), 1, at(y, yOff), 1);
        }
    }

    /** x[off, off+n) *= alpha (cblas_sscal). */
    public static void scal(int n, float alpha, Tensor x, long off) {
        checkRange("scal", x, off, n);
        if (n > 0) {
            openblas.cblas_sscal(n, alpha, at(x, off), 1);
        }
    }

    private static FloatPointer at(Tensor t, long offset) {
        return offset == 0 ? t.pointer() : new FloatPointer(t.pointer()).position(offset);
    }

    private static void checkRange(String op, Tensor t, long off, int n) {
        if (off < 0 || n < 0 || off + n > (long) t.rows() * t.cols()) {
            throw new IndexOutOfBoundsException(op + ": [" + off + ", " + (off + n) + ") of a " + t.shape() + " tensor");
        }
    }
}
