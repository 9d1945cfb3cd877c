package org.diffmmj.model;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;

/** Loss terms shared by the models. */
public final class Losses {

    private Losses() {
    }

    /** Σ_b −log σ(⟨u_b, p_b⟩ − ⟨u_b, n_b⟩) / divisor (divisor = batch size for the mean). */
    public static Var bpr(Tape tape, Var users, Var positives, Var negatives, float divisor) {
        Var margin = tape.sub(tape.rowDot(users, positives), tape.rowDot(users, negatives));
        return tape.scale(tape.sum(tape.logSigmoid(margin)), -1f / divisor);
    }

    /** Σ of squares of every entry of the given tensors. */
    public static Var squaredNorm(Tape tape, Var... parts) {
        Var total = null;
        for (Var p : parts) {
            Var s = tape.sum(tape.square(p));
            total = total == null ? s : tape.add(total, s);
        }
        return total;
    }
}
