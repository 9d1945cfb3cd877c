package org.diffmmj.model;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.nn.GraphPropagation;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * The pieces SLMRec ({@link Slmrec}) and MMGCL ({@link Mmgcl}) share, both from SLMRec's
 * {@code compute}: one LightGCN per item input (the item ID table, and per modality a Linear of the
 * row-normalised features), each beside the same user table, then a Linear over the inputs' rows
 * side by side (their {@code embedding_*_after_GCN} / {@code read_user}, {@code read_item}).
 */
final class PerInputLightGcn {

    /** The authors' modality slots (SLMRec's FAC stages, MMGCL's tiktok concatenation): v, a, t. */
    static final List<String> SLOTS = List.of("image", "audio", "text");
    static final String[] SLOT_LETTER = {"v", "a", "t"};

    private PerInputLightGcn() {
    }

    /** image, audio, text (the authors' v, a, t), then the other modalities in the dataset's order. */
    static List<FeatureMatrix> slotOrder(List<FeatureMatrix> modalities) {
        List<FeatureMatrix> out = new ArrayList<>(modalities);
        out.sort(Comparator.comparingInt(f -> SLOTS.contains(f.name()) ? SLOTS.indexOf(f.name()) : SLOTS.size()));
        return out;
    }

    /** The authors' letter for a slotted modality (v, a, t), else the modality's own name. */
    static String letter(String modality) {
        int slot = SLOTS.indexOf(modality);
        return slot >= 0 ? SLOT_LETTER[slot] : modality;
    }

    /** nn.Linear with its weight re-drawn Xavier-uniform (their init) and the default bias U(±1/√in). */
    static Linear xavierLinear(String name, int in, int out, Rng rng) {
        return new Linear(name, Init.xavierUniform(in, out, rng), Init.linearDefault(1, out, in, rng));
    }

    /** F.normalize(x, dim=1) of the raw features, as a tensor. */
    static Tensor rowNormalized(FeatureMatrix f) {
        FeatureMatrix n = f.rowL2Normalized();
        return Tensor.fromArray(n.rows(), n.cols(), n.data());
    }

    /** One input's propagation: LightGCN's mean over layers 0..layers of graph·[users; items], (U+I)×d. */
    static Var propagate(Tape tape, CsrMatrix graph, Var userTable, Var itemStart, int layers) {
        return GraphPropagation.layerMean(tape, graph, tape.concatRows(userTable, itemStart), layers);
    }

    /**
     * The scoring tables: each input's propagated (U+I)×d rows split at {@code users}, the user
     * parts fused by {@code readUser}, the item parts by {@code readItem} (SLMRec's and MMGCL's
     * {@code compute} at inference).
     */
    static EmbeddingScorer fusedScorer(Tape tape, List<Var> propagated, int users, int items, Linear readUser,
                                       Linear readItem) {
        List<Var> userParts = new ArrayList<>();
        List<Var> itemParts = new ArrayList<>();
        for (Var a : propagated) {
            userParts.add(tape.sliceRows(a, 0, users));
            itemParts.add(tape.sliceRows(a, users, users + items));
        }
        Var u = fused(tape, readUser, userParts, null);
        Var i = fused(tape, readItem, itemParts, null);
        return new EmbeddingScorer(u.value().copy(), i.value().copy());
    }

    /** fusion([parts_0 | parts_1 | …]) over the given rows of each part (all rows when rows is null). */
    static Var fused(Tape tape, Linear fusion, List<Var> parts, int[] rows) {
        Var[] cols = new Var[parts.size()];
        for (int k = 0; k < cols.length; k++) {
            cols[k] = rows == null ? parts.get(k) : tape.gatherRows(parts.get(k), rows);
        }
        return fusion.forward(tape, tape.concatCols(cols));
    }

    /** 0, 1, …, n−1: the in-batch InfoNCE's diagonal targets. */
    static int[] identity(int n) {
        int[] ids = new int[n];
        for (int k = 0; k < n; k++) {
            ids[k] = k;
        }
        return ids;
    }
}
