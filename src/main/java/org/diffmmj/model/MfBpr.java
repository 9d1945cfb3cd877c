package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.nn.Init;
import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.random.Rng;
import org.diffmmj.train.TripleBatch;

/**
 * Matrix factorisation trained with BPR (Rendle et al. 2009): a user's score for an item is the
 * dot product of their free embeddings. L2 on the embeddings the batch touches, scaled as in
 * LightGCN's code: reg · (‖u‖² + ‖p‖² + ‖n‖²) / (2·batch).
 */
public final class MfBpr implements Recommender {

    public static final String NAME = "mf-bpr";

    private final Parameter userEmbeddings;
    private final Parameter itemEmbeddings;
    private final float reg;

    public MfBpr(int users, int items, int dim, float reg, Rng rng) {
        this.userEmbeddings = new Parameter("user_embeddings", Init.xavierUniform(users, dim, rng));
        this.itemEmbeddings = new Parameter("item_embeddings", Init.xavierUniform(items, dim, rng));
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

    @Override
    public LossTerms batchLoss(Tape tape, TripleBatch batch, EpochContext context) {
        Var users = tape.param(userEmbeddings);
        Var items = tape.param(itemEmbeddings);
        Var u = tape.gatherRows(users, batch.users());
        Var p = tape.gatherRows(items, batch.positives());
        Var n = tape.gatherRows(items, batch.negatives());
        Var bpr = Losses.bpr(tape, u, p, n, batch.size());
        Var l2 = tape.scale(Losses.squaredNorm(tape, u, p, n), reg / (2f * batch.size()));
        return new LossTerms(tape.add(bpr, l2), Map.of("bpr", bpr, "reg", l2));
    }

    @Override
    public EmbeddingScorer scorer() {
        return new EmbeddingScorer(userEmbeddings.value().copy(), itemEmbeddings.value().copy());
    }
}
