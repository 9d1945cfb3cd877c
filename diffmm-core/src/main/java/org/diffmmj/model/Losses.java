package org.diffmmj.model;

import java.util.List;

import org.diffmmj.autograd.Parameter;
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

    /**
     * mean_b −log(eps + σ(⟨u_b, p_b⟩ − ⟨u_b, n_b⟩)): the authors' own BPR of SGL-derived code
     * (MMGCL's {@code bpr_loss}: {@code -torch.log(10e-6 + torch.sigmoid(pos - neg))}, eps = 1e-5).
     */
    public static Var bprWithEpsilon(Tape tape, Var users, Var positives, Var negatives, float eps) {
        Var margin = tape.sub(tape.rowDot(users, positives), tape.rowDot(users, negatives));
        return tape.scale(tape.sum(tape.log(tape.addScalar(tape.sigmoid(margin), eps))), -1f / users.rows());
    }

    /**
     * PyTorch Adam's coupled {@code weight_decay} (grad + wd·θ on every parameter) as a loss term:
     * (wd/2)·Σ‖θ‖² over the given parameters has exactly that gradient, so a loop whose Adam has no
     * decay takes the same steps (SLMRec, MMGCL).
     */
    public static Var adamWeightDecay(Tape tape, List<Parameter> parameters, float weightDecay) {
        Var[] params = new Var[parameters.size()];
        for (int k = 0; k < params.length; k++) {
            params[k] = tape.param(parameters.get(k));
        }
        return tape.scale(squaredNorm(tape, params), weightDecay / 2);
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
