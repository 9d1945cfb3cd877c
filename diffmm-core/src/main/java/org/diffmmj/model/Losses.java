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

    /**
     * MMRec's and RecBole's {@code EmbLoss}: Σ over the given tensors of their unsquared Frobenius
     * norms ‖E‖_F, divided by {@code divisor} (they divide by the rows of the last tensor, the batch).
     */
    public static Var embLoss(Tape tape, float divisor, Var... parts) {
        Var total = null;
        for (Var p : parts) {
            Var n = tape.sqrt(tape.sum(tape.square(p)));
            total = total == null ? n : tape.add(total, n);
        }
        return tape.scale(total, 1f / divisor);
    }
}
