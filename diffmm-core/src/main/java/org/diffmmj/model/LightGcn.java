package org.diffmmj.model;

import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Interactions;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.nn.Embedding;
import org.diffmmj.nn.GraphPropagation;
import org.diffmmj.nn.Indices;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;

/**
 * LightGCN (He et al., SIGIR 2020): free embeddings propagated L times over the symmetric
 * normalised user–item graph without self loops, final representation the mean of the L+1
 * layers; BPR on the final representations. Graph, propagation and BPR follow MMRec's
 * {@code lightgcn.py} (pinned by {@code LightGcnParityTest}). One departure: the L2 term is the
 * paper's code's reg·(‖u‖²+‖p‖²+‖n‖²)/(2·batch) on the batch's ego (layer-0) embeddings, where
 * MMRec's {@code EmbLoss} sums unsquared norms, reg·(‖U‖+‖P‖+‖N‖)/batch; the squared norm is the
 * paper's regulariser.
 */
public final class LightGcn extends Module implements Recommender {

    public static final String NAME = "lightgcn";

    /** LightGCN's settings. */
    public record Config(
            @Key(doc = "Embedding size d", min = 1) int dim,
            @Key(doc = "Propagation layers L", min = 0) int layers,
            @Key(doc = "L2 weight on the batch's ego embeddings", min = 0) float reg) {
        public static final Config DEFAULTS = new Config(64, 3, 1e-4f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "LightGCN (He et al. 2020): embeddings averaged over L propagations on the normalised user-item graph",
            Config.class, Config.DEFAULTS, Map.of(), (config, data, rng) -> new LightGcn(data.train(), config, rng));

    private final Embedding userEmbeddings;
    private final Embedding itemEmbeddings;
    private final CsrMatrix graph;
    private final Config config;
    private final int users;

    public LightGcn(Interactions train, Config config, Rng rng) {
        this.users = train.users();
        this.userEmbeddings = register(new Embedding("user_embeddings", Init.xavierUniform(train.users(), config.dim(), rng)));
        this.itemEmbeddings = register(new Embedding("item_embeddings", Init.xavierUniform(train.items(), config.dim(), rng)));
        this.graph = InteractionGraphs.withoutSelfLoops(train);
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Mean over layers 0..L of Â^l·E, E = [E_u; E_i]. */
    private Var propagate(Tape tape, Var userEgo, Var itemEgo) {
        return GraphPropagation.layerMean(tape, graph, tape.concatRows(userEgo, itemEgo), config.layers());
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Var userEgo = userEmbeddings.all(tape);
        Var itemEgo = itemEmbeddings.all(tape);
        Var all = propagate(tape, userEgo, itemEgo);
        Var u = tape.gatherRows(all, b.users());
        Var p = tape.gatherRows(all, Indices.offset(b.positives(), users));
        Var n = tape.gatherRows(all, Indices.offset(b.negatives(), users));
        Var bpr = Losses.bpr(tape, u, p, n, b.size());
        Var l2 = tape.scale(Losses.squaredNorm(tape,
                tape.gatherRows(userEgo, b.users()),
                tape.gatherRows(itemEgo, b.positives()),
                tape.gatherRows(itemEgo, b.negatives())), config.reg() / (2f * b.size()));
        return LossTerms.of(tape.add(bpr, l2), "bpr", bpr, "reg", l2);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var all = propagate(tape, tape.constant(userEmbeddings.value()), tape.constant(itemEmbeddings.value()));
            return EmbeddingScorer.split(tape, all, users);
        });
    }
}
