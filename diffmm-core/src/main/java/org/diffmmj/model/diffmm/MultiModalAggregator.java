package org.diffmmj.model.diffmm;

import java.util.List;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.nn.GraphPropagation;
import org.diffmmj.sparse.CsrMatrix;

/**
 * Modality-aware and multi-modal graph aggregation: the authors' {@code forward_MM} (the main
 * view used for BPR and ranking) and {@code forward_cl_MM} (one contrastive view per modality).
 * Rows 0..U−1 of every result are users, rows U.. are items.
 */
public final class MultiModalAggregator {

    private static final float NORMALIZE_EPS = 1e-12f;

    private final CsrMatrix graph;
    private final int users;
    private final int gnnLayers;
    private final float risLambda;
    private final float risAdjLambda;

    public MultiModalAggregator(CsrMatrix graph, int users, int gnnLayers, float risLambda, float risAdjLambda) {
        this.graph = graph;
        this.users = users;
        this.gnnLayers = gnnLayers;
        this.risLambda = risLambda;
        this.risAdjLambda = risAdjLambda;
    }

    /** H = Σ_{l=0..L} Â^l·E_mod + ris_lambda·N(E_mod), E_mod = Σ_m softmax(w)_m·e_m. */
    public Var mainView(Tape tape, Var userEmb, Var itemEmb, List<Var> modalityFeatures,
                        List<CsrMatrix> modalityGraphs, Var modalityWeights) {
        Var weights = tape.softmax(modalityWeights);
        Var ego = tape.concatRows(userEmb, itemEmb);
        Var mixed = null;
        for (int m = 0; m < modalityFeatures.size(); m++) {
            Var withFeatures = tape.spmm(graph, tape.concatRows(userEmb,
                    tape.rowL2Normalize(modalityFeatures.get(m), NORMALIZE_EPS)));
            Var secondHop = tape.spmm(graph, tape.concatRows(tape.sliceRows(withFeatures, 0, users), itemEmb));
            Var e = tape.add(withFeatures, secondHop);
            e = tape.add(e, tape.scale(tape.spmm(modalityGraphs.get(m), ego), risAdjLambda));
            Var weighted = tape.mul(e, tape.sliceCols(weights, m, m + 1));
            mixed = mixed == null ? weighted : tape.add(mixed, weighted);
        }
        Var h = propagate(tape, mixed);
        return tape.add(h, tape.scale(tape.rowL2Normalize(mixed, NORMALIZE_EPS), risLambda));
    }

    /** Z_m = Σ_{l=0..L} Â^l · (A^m·[E_u; N(G_m)]). */
    public Var contrastiveView(Tape tape, Var userEmb, Var modalityFeatures, CsrMatrix modalityGraph) {
        Var z = tape.spmm(modalityGraph, tape.concatRows(userEmb,
                tape.rowL2Normalize(modalityFeatures, NORMALIZE_EPS)));
        return propagate(tape, z);
    }

    /** LightGCN-style propagation on Â with sum pooling over layers 0..L. */
    private Var propagate(Tape tape, Var start) {
        return GraphPropagation.layerSum(tape, graph, start, gnnLayers);
    }

    public int users() {
        return users;
    }
}
