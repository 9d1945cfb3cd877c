package org.diffmmj.model;

import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.nn.Embedding;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Module;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.TripleBatch;

/**
 * Matrix factorisation trained with BPR (Rendle et al., UAI 2009): a user's score for an item is
 * the dot product of their free embeddings. L2 on the embeddings the batch touches, scaled as in
 * LightGCN's code: reg · (‖u‖² + ‖p‖² + ‖n‖²) / (2·batch), batch = the rows of this batch.
 */
public final class MfBpr extends Module implements Recommender {

    public static final String NAME = "mf-bpr";

    /** MF-BPR's settings. */
    public record Config(
            @Key(doc = "Embedding size d", min = 1) int dim,
            @Key(doc = "L2 weight on the batch's embeddings", min = 0) float reg) {
        public static final Config DEFAULTS = new Config(64, 1e-4f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "Matrix factorisation with BPR (Rendle et al. 2009): free user and item embeddings, dot-product scores",
            Config.class, Config.DEFAULTS, Map.of(), (config, data, rng) -> new MfBpr(data.users(), data.items(), config, rng));

    private final Embedding users;
    private final Embedding items;
    private final Config config;

    public MfBpr(int users, int items, Config config, Rng rng) {
        this.users = register(new Embedding("user_embeddings", Init.xavierUniform(users, config.dim(), rng)));
        this.items = register(new Embedding("item_embeddings", Init.xavierUniform(items, config.dim(), rng)));
        this.config = config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Var u = users.rows(tape, b.users());
        Var p = items.rows(tape, b.positives());
        Var n = items.rows(tape, b.negatives());
        Var bpr = Losses.bpr(tape, u, p, n, b.size());
        Var l2 = tape.scale(Losses.squaredNorm(tape, u, p, n), config.reg() / (2f * b.size()));
        return LossTerms.of(tape.add(bpr, l2), "bpr", bpr, "reg", l2);
    }

    @Override
    public EmbeddingScorer scorer() {
        return new EmbeddingScorer(users.value().copy(), items.value().copy());
    }
}
