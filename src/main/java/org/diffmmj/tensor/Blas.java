package org.diffmmj.tensor;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;

/** Dense products through OpenBLAS' cblas_sgemm on the tensors' native memory (no copies). */
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
}
