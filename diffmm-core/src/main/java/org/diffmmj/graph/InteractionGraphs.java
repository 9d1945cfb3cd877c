package org.diffmmj.graph;

import org.diffmmj.data.Interactions;
import org.diffmmj.sparse.CsrMatrix;

/** The user–item graphs the models propagate over, built from training interactions. */
public final class InteractionGraphs {

    private InteractionGraphs() {
    }

    /** The users × items 0/1 interaction matrix R (rows are users' interaction rows). */
    public static CsrMatrix interactionMatrix(Interactions r) {
        float[] ones = new float[r.size()];
        java.util.Arrays.fill(ones, 1f);
        return new CsrMatrix(r.users(), r.items(), r.userPtr(), r.userItems(), ones);
    }

    /** DiffMM's Â = D^-1/2 (A + I) D^-1/2 over the (U+I)-node bipartite graph (section 1). */
    public static CsrMatrix withSelfLoops(Interactions r) {
        return CsrMatrix.normalizedBipartite(r.users(), r.items(), r.pairUsers(), r.pairItems());
    }

    /** LightGCN's D^-1/2 A D^-1/2 without self loops (isolated nodes propagate nothing). */
    public static CsrMatrix withoutSelfLoops(Interactions r) {
        return CsrMatrix.normalizedBipartiteNoSelfLoops(r.users(), r.items(), r.pairUsers(), r.pairItems());
    }
}
