package org.diffmmj.nn;

import java.util.List;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.sparse.CsrMatrix;

/** LightGCN-style propagation: E, Â·E, …, Â^L·E pooled over the L+1 layers. */
public final class GraphPropagation {

    private GraphPropagation() {
    }

    /** Σ_{l=0..L} Â^l·E (DiffMM's pooling). */
    public static Var layerSum(Tape tape, CsrMatrix graph, Var start, int layers) {
        if (layers < 0) {
            throw new IllegalArgumentException("layers must be >= 0, got " + layers);
        }
        Var layer = start;
        Var sum = start;
        for (int l = 0; l < layers; l++) {
            layer = tape.spmm(graph, layer);
            sum = tape.add(sum, layer);
        }
        return sum;
    }

    /** (1/(L+1))·Σ_{l=0..L} Â^l·E (LightGCN's pooling). */
    public static Var layerMean(Tape tape, CsrMatrix graph, Var start, int layers) {
        return tape.scale(layerSum(tape, graph, start, layers), 1f / (layers + 1));
    }

    /**
     * (1/(L+1))·(E + Â_1·E + Â_2·Â_1·E + …), layer l propagated over {@code perLayer.get(l−1)}
     * (SGL's random-walk views: a graph per layer); L = perLayer.size(). With one graph repeated
     * it is {@link #layerMean(Tape, CsrMatrix, Var, int)}, value for value.
     */
    public static Var layerMean(Tape tape, List<CsrMatrix> perLayer, Var start) {
        Var layer = start;
        Var sum = start;
        for (CsrMatrix graph : perLayer) {
            layer = tape.spmm(graph, layer);
            sum = tape.add(sum, layer);
        }
        return tape.scale(sum, 1f / (perLayer.size() + 1));
    }
}
