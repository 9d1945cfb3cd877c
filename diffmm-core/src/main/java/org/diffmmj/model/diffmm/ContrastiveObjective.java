package org.diffmmj.model.diffmm;

import java.util.List;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.nn.Indices;

/**
 * Cross-modal contrastive learning: InfoNCE between views, for the batch's users (negatives: all
 * users) and its positive items (negatives: all items). Method 1 contrasts every modality view
 * with the main view; method 0 contrasts modality views pairwise. Only the chosen one is built.
 */
public final class ContrastiveObjective {

    private static final float NORMALIZE_EPS = 1e-12f;

    private final int method;
    private final float temperature;
    private final int users;

    public ContrastiveObjective(int method, float temperature, int users) {
        if (method != 0 && method != 1) {
            throw new IllegalArgumentException("cl_method must be 0 or 1, got " + method);
        }
        this.method = method;
        this.temperature = temperature;
        this.users = users;
    }

    /**
     * InfoNCE(A, B, nodes, τ): rows of A and B L2-normalised; for each node n (duplicates kept)
     * −log(exp(⟨A_n,B_n⟩/τ) / Σ_r exp(⟨A_n,B_r⟩/τ)), averaged. A node that occurs k times in
     * the batch is computed once with weight k, which is the same mean: a TikTok batch of 1,024
     * interactions has about 400 distinct users and 800 distinct items, and the anchors' side of
     * the term (logits, softmax, their gradient) scales with the distinct count. Only float
     * rounding differs from summing the repeated rows one by one, as the authors' code does.
     */
    public static Var infoNce(Tape tape, Var a, Var b, int[] nodes, float temperature) {
        Indices.Counted distinct = Indices.counted(nodes);
        Var anchors = tape.rowL2Normalize(tape.gatherRows(a, distinct.values()), NORMALIZE_EPS);
        return tape.infoNce(anchors, tape.rowL2Normalize(b, NORMALIZE_EPS), distinct.values(), distinct.counts(),
                temperature);
    }

    /** The unscaled CL term; users are rows 0..U−1 of every view, items the rest. */
    public Var loss(Tape tape, Var mainView, List<Var> modalityViews, int[] batchUsers, int[] batchItems) {
        Var total = null;
        if (method == 1) {
            for (Var z : modalityViews) {
                total = plus(tape, total, pair(tape, mainView, z, batchUsers, batchItems));
            }
        } else {
            for (int m1 = 0; m1 < modalityViews.size(); m1++) {
                for (int m2 = m1 + 1; m2 < modalityViews.size(); m2++) {
                    total = plus(tape, total, pair(tape, modalityViews.get(m1), modalityViews.get(m2),
                            batchUsers, batchItems));
                }
            }
        }
        return total;
    }

    private Var pair(Tape tape, Var a, Var b, int[] batchUsers, int[] batchItems) {
        int rows = a.rows();
        Var userTerm = infoNce(tape, tape.sliceRows(a, 0, users), tape.sliceRows(b, 0, users), batchUsers, temperature);
        Var itemTerm = infoNce(tape, tape.sliceRows(a, users, rows), tape.sliceRows(b, users, rows), batchItems,
                temperature);
        return tape.add(userTerm, itemTerm);
    }

    private static Var plus(Tape tape, Var total, Var term) {
        return total == null ? term : tape.add(total, term);
    }

    public boolean needsContrastiveViews(int modalities) {
        return method == 1 || modalities >= 2;
    }
}
