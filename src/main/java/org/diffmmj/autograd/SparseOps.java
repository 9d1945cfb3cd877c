package org.diffmmj.autograd;

import org.diffmmj.sparse.CsrMatrix;
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
        tape.onBackward(y, () -> a.transposed().multiplyInto(y.grad, tape.gradOf(x), true));
        return y;
    }
}
