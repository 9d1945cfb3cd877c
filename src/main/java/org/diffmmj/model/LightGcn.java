package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.nn.Init;
import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Interactions;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.train.TripleBatch;

/**
 * LightGCN (He et al. 2020): free embeddings propagated L times over the symmetric normalised
 * user–item graph without self loops, final representation the mean of the L+1 layers. BPR with
 * L2 on the ego (layer-0) embeddings of the batch, as in the paper's code.
 */
public final class LightGcn implements Recommender {

    public static final String NAME = "lightgcn";

    private final Parameter userEmbeddings;
    private final Parameter itemEmbeddings;
    private final CsrMatrix graph;
    private final int layers;
    private final float reg;
    private final int users;

    public LightGcn(Interactions train, int dim, int layers, float reg, Rng rng) {
        if (layers < 0) {
            throw new IllegalArgumentException("layers must be >= 0, got " + layers);
        }
        this.users = train.users();
        this.userEmbeddings = new Parameter("user_embeddings", Init.xavierUniform(train.users(), dim, rng));
        this.itemEmbeddings = new Parameter("item_embeddings", Init.xavierUniform(train.items(), dim, rng));
        this.graph = InteractionGraphs.withoutSelfLoops(train);
        this.layers = layers;
        this.reg = reg;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Parameter> parameters() {
        return List.of(userEmbeddings, itemEmbeddings);
    }

    /** Mean over layers 0..L of Â^l·E, E = [E_u; E_i]. */
    private Var propagate(Tape tape, Var userEgo, Var itemEgo) {
        Var layer = tape.concatRows(userEgo, itemEgo);
        Var sum = layer;
        for (int l = 0; l < layers; l++) {
            layer = tape.spmm(graph, layer);
            sum = tape.add(sum, layer);
        }
        return tape.scale(sum, 1f / (layers + 1));
    }

    @Override
    public LossTerms batchLoss(Tape tape, TripleBatch batch, EpochContext context) {
        Var userEgo = tape.param(userEmbeddings);
        Var itemEgo = tape.param(itemEmbeddings);
        Var all = propagate(tape, userEgo, itemEgo);
        Var u = tape.gatherRows(all, batch.users());
        Var p = tape.gatherRows(all, offset(batch.positives()));
        Var n = tape.gatherRows(all, offset(batch.negatives()));
        Var bpr = Losses.bpr(tape, u, p, n, batch.size());
        Var l2 = tape.scale(Losses.squaredNorm(tape,
                tape.gatherRows(userEgo, batch.users()),
                tape.gatherRows(itemEgo, batch.positives()),
                tape.gatherRows(itemEgo, batch.negatives())), reg / (2f * batch.size()));
        return new LossTerms(tape.add(bpr, l2), Map.of("bpr", bpr, "reg", l2));
    }

    private int[] offset(int[] items) {
        int[] rows = new int[items.length];
        for (int k = 0; k < items.length; k++) {
            rows[k] = users + items[k];
        }
        return rows;
    }

    @Override
    public EmbeddingScorer scorer() {
        BufferPool pool = new BufferPool();
        try (Tape tape = Tape.noGrad(pool)) {
            Var all = propagate(tape, tape.constant(userEmbeddings.value()), tape.constant(itemEmbeddings.value()));
            return new EmbeddingScorer(tape.sliceRows(all, 0, users).value().copy(),
                    tape.sliceRows(all, users, all.rows()).value().copy());
        } finally {
            pool.clear();
        }
    }
}
