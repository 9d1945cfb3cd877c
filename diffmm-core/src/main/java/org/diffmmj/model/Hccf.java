package org.diffmmj.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Interactions;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.nn.Indices;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;

/**
 * HCCF (Xia, Huang, Xu, Zhao, Yin, Huang, "Hypergraph Contrastive Collaborative Filtering",
 * SIGIR 2022), as the authors' PyTorch code computes it: akaxlh/HCCF@44fd819
 * {@code torchVersion/Model.py} ({@code Model.forward}, {@code calcLosses}, {@code GCNLayer},
 * {@code HGNNLayer}, {@code SpAdjDropEdge}), {@code torchVersion/Utils/Utils.py}
 * ({@code pairPredict}, {@code calcRegLoss}, {@code contrastLoss}), {@code torchVersion/Main.py}
 * ({@code Coach.trainEpoch}: the loss and the batches), {@code torchVersion/DataHandler.py}
 * ({@code normalizeAdj}, {@code makeTorchAdj}, {@code TrnData}), defaults from
 * {@code torchVersion/Params.py}. Pinned by {@code HccfParityTest} against their {@code Model}
 * imported as published.
 *
 * <p>Forward. E⁰ = [E_u; E_i] (xavier-uniform), the learnable hypergraph incidences H_u = E_u·W_u
 * and H_i = E_i·W_i (W: latdim × hyperNum, xavier-uniform), computed once from the ego tables.
 * Each layer l takes E = E^{l−1} and computes
 * <ul>
 * <li>the GCN view G^l = Â'·E, Â' the symmetric-normalised graph D^-½AD^-½ (no self loops;
 * {@code normalizeAdj}) with each stored entry kept with probability keepRate and kept values
 * divided by keepRate, drawn afresh per layer ({@code SpAdjDropEdge});</li>
 * <li>the hypergraph view Γ^l = [H'_u·(H'_uᵀ·E_u); H'_i·(H'_iᵀ·E_i)], H' = dropout(H,
 * p = 1 − keepRate) with inverted scaling, drawn afresh per layer and side ({@code HGNNLayer});</li>
 * <li>E^l = G^l + Γ^l.</li>
 * </ul>
 * The final representation is Σ_{l=0..L} E^l (ego included); scores are dot products. Scoring
 * uses keepRate 1 (their {@code predict}): the whole graph, no dropout.
 *
 * <p>Loss ({@code Main.py}: {@code loss = bprLoss + regLoss + sslLoss}):
 * <ul>
 * <li>bpr = −mean_b log σ(⟨u,p⟩ − ⟨u,n⟩) on the final rows, a mean over the batch's own size
 * (their {@code .mean()}; the last, partial batch averages over its own rows);</li>
 * <li>reg = reg · Σ over every parameter of ‖θ‖² (both whole tables and both W; not divided by
 * the batch);</li>
 * <li>ssl = ssl_reg · Σ_l [C(G^l_u, Γ^l_u, unique batch users) + C(G^l_i, Γ^l_i, unique batch
 * positive items)] (negatives are not contrasted), C(A, B, S, τ) = mean_{s∈S} −log(exp(⟨â_s,
 * b̂_s⟩/τ) / Σ_{t∈S} exp(⟨â_s, b̂_t⟩/τ)), x̂ = normalize(x + 1e-8) ({@code F.normalize}, eps
 * 1e-12). The GCN view A = G^l is <b>detached</b> ({@code gcnEmbedsLst[i].detach()}): the
 * contrastive gradient reaches the parameters only through the hypergraph view.</li>
 * </ul>
 * Batches: every training interaction once per epoch in shuffled order with one negative drawn
 * uniformly from the user's non-interacted items, batch 4096 ({@code TrnData.negSampling} and
 * the shuffled {@code DataLoader} over the interactions; {@link org.diffmmj.sampling.BatchSources#triples},
 * the default). Adam, lr 1e-3, no weight decay, no learning-rate decay ({@code --decay} is unused
 * in the torch code).
 *
 * <p>Activation: none. The torch code builds {@code nn.LeakyReLU(args.leaky)} in both layers but
 * applies it nowhere (the calls are commented out), so {@code --leaky 0.5} in Params.py has no
 * effect. The TensorFlow original ({@code labcode_efficient.py}: {@code messagePropagate},
 * {@code hyperPropagate}) applies LeakyReLU with slope 0.5 to the GCN output, to Hᵀ·E and to
 * H·(·). The {@code leaky} key is that slope, at those three places; its default 1 is the
 * identity, i.e. the torch code's behaviour; 0.5 is the TF original's.
 *
 * <p>Where the TF original differs otherwise (not ported; the torch code, which the README says
 * "has been improved", is followed): three residual FC layers across the hyperedges inside
 * {@code hyperPropagate}; a residual E^{l−1} in each layer's sum; a learned latdim × latdim map
 * and no detach in the contrastive term, summed rather than averaged over nodes; a hinge loss
 * divided by {@code args.batch}; batches of 256 users × up to 40 sampled (pos, neg) pairs each,
 * over 10000 users per epoch; lr decay 0.96.
 *
 * <p>Our departures: the InfoNCE is computed as log Σ exp − positive (the fused, max-shifted
 * {@link Tape#infoNce}) without their +1e-8 in the denominator, which moves the term by at most
 * 1e-8 / Σ_t exp(⟨â_s, b̂_t⟩/τ) (below float rounding unless every cosine is near −1 at small
 * τ); the BPR term is log σ computed stably, where their {@code sigmoid().log()} is −∞ once σ
 * underflows in float32 (margins below about −100). Normalising the gathered rows equals gathering the normalised
 * table. Edge and dropout masks come from the epoch's random stream, not torch's, so they match
 * the reference in distribution, not draw for draw.
 *
 * <p>Presets. Neither the paper nor the repository has a TikTok setting, and the README's torch
 * lines do not carry over: on TikTok the authors' own code with their Amazon line reaches test
 * Recall@20 0.054 (seed 421) and 0.051 (seed 7) by epoch 44 ({@code tools/parity/hccf_epoch.py
 * GIT_DIR 45 SEED 3}), its loss curve within 1 % of ours, both far from the 0.0662 of DiffMM's
 * Table 1. {@code tiktok} is therefore searched on TikTok's validation split: {@code ./diffmm tune
 * --model hccf} by random search over ssl_reg, temp, reg, keepRate and latdim (space in
 * {@code docs/spaces/hccf.yaml}; seed 421, selection on validation Recall@20 only), whose first
 * trial, {@code latdim 64, reg 7.65616e-4, ssl_reg 0.033816814, temp 0.2, keepRate 1}, reached
 * validation Recall@20 0.0711 where the Amazon line levels off near 0.05; the values are the
 * trial's as drawn. Its strong reg (a weight on the squared norm of the whole tables, as theirs)
 * is what the Amazon line lacks on a catalogue this sparse. {@code amazon} and {@code yelp} are the
 * README's torch lines for those datasets ({@code --reg 1e-6 --ssl 0.2 --temp 0.1} and
 * {@code --reg 0 --ssl 0.2 --temp 0.1 --keep 1.0}).
 */
public final class Hccf extends Module implements Recommender {

    public static final String NAME = "hccf";

    /** F.normalize's default eps. */
    private static final float NORMALIZE_EPS = 1e-12f;
    /** contrastLoss adds this to every entry before normalising. */
    private static final float CONTRAST_SHIFT = 1e-8f;

    /** HCCF's settings, named and defaulted as torchVersion/Params.py. */
    public record Config(
            @Key(doc = "Embedding size d", min = 1) int latdim,
            @Key(name = "gnn_layer", doc = "Layers, each a GCN plus a hypergraph pass", min = 0) int gnnLayer,
            @Key(name = "hyperNum", doc = "Hyperedges on each side (users, items)", min = 1) int hyperNum,
            @Key(doc = "Weight of the sum of squares of every parameter", min = 0) float reg,
            @Key(doc = "Weight of the GCN-vs-hypergraph InfoNCE", min = 0) float sslReg,
            @Key(doc = "InfoNCE temperature", min = 0, minExclusive = true) float temp,
            @Key(name = "keepRate", doc = "Keep probability of graph edges and of hypergraph-incidence entries in training",
                    min = 0, minExclusive = true, max = 1) float keepRate,
            @Key(doc = "LeakyReLU slope after the GCN and both hypergraph products; 1 = none (the torch code), 0.5 = the TF original",
                    min = 0, max = 1) float leaky) {

        public static final Config DEFAULTS = new Config(32, 2, 128, 1e-7f, 1e-3f, 1f, 0.5f, 1f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "HCCF (Xia et al. 2022): GCN plus learnable-hypergraph layers, GCN-vs-hypergraph InfoNCE (authors' torch code)",
            Config.class, Config.DEFAULTS,
            // tiktok: searched on TikTok's validation split; amazon, yelp: the README's torch lines
            // (see the class Javadoc).
            Map.of("tiktok", Map.of("latdim", 64, "reg", 7.65616e-4, "ssl_reg", 0.033816814, "temp", 0.2, "keepRate", 1.0),
                    "amazon", Map.of("reg", 1e-6, "ssl_reg", 0.2, "temp", 0.1),
                    "yelp", Map.of("reg", 0.0, "ssl_reg", 0.2, "temp", 0.1, "keepRate", 1.0)),
            (config, data, rng) -> new Hccf(data.train(), config, rng))
            // torchVersion/Params.py: --batch 4096, --lr 1e-3.
            .withTrainingDefaults(Map.of("batch", 4096, "lr", 1e-3));

    private final Parameter uEmbeds;
    private final Parameter iEmbeds;
    private final Parameter uHyper;
    private final Parameter iHyper;
    private final CsrMatrix graph;
    private final Config config;
    private final int users;

    public Hccf(Interactions train, Config config, Rng rng) {
        this.users = train.users();
        this.config = config;
        // Model.__init__'s order: the two tables, then the two hyperedge maps.
        this.uEmbeds = parameter("uEmbeds", Init.xavierUniform(train.users(), config.latdim(), rng));
        this.iEmbeds = parameter("iEmbeds", Init.xavierUniform(train.items(), config.latdim(), rng));
        this.uHyper = parameter("uHyper", Init.xavierUniform(config.latdim(), config.hyperNum(), rng));
        this.iHyper = parameter("iHyper", Init.xavierUniform(config.latdim(), config.hyperNum(), rng));
        this.graph = InteractionGraphs.withoutSelfLoops(train);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** D^-½·A·D^-½ of the training interactions, before edge dropout. */
    public CsrMatrix graph() {
        return graph;
    }

    /** The forward pass: the final rows Σ_l E^l, and per layer the GCN view G^l and the hypergraph view Γ^l. */
    public record Forward(Var embeds, List<Var> gcn, List<Var> hyper) {
    }

    /**
     * Training's random perturbations, per layer: which graph the GCN view propagates over, and
     * what the user and item incidences H_u, H_i become. {@link #dropping} is the model's own
     * (from a random stream); {@link #NONE} is scoring's; parity tests replay the reference's masks.
     */
    public interface Perturbation {
        CsrMatrix graph(int layer, CsrMatrix graph);

        Var userIncidence(Tape tape, int layer, Var h);

        Var itemIncidence(Tape tape, int layer, Var h);
    }

    /** Their keepRate 1: the whole graph, no dropout. */
    public static final Perturbation NONE = new Perturbation() {
        @Override
        public CsrMatrix graph(int layer, CsrMatrix graph) {
            return graph;
        }

        @Override
        public Var userIncidence(Tape tape, int layer, Var h) {
            return h;
        }

        @Override
        public Var itemIncidence(Tape tape, int layer, Var h) {
            return h;
        }
    };

    /**
     * SpAdjDropEdge and F.dropout at keep probability {@code keep}, drawn from {@code rng} in
     * their order (per layer: the edges, the user side, the item side). Must be called in that
     * order, as {@link #forward} does.
     */
    public static Perturbation dropping(float keep, Rng rng) {
        if (keep >= 1f) {
            return NONE;
        }
        return new Perturbation() {
            @Override
            public CsrMatrix graph(int layer, CsrMatrix graph) {
                return graph.edgeDropout(keep, rng);
            }

            @Override
            public Var userIncidence(Tape tape, int layer, Var h) {
                return tape.dropout(h, 1f - keep, rng);
            }

            @Override
            public Var itemIncidence(Tape tape, int layer, Var h) {
                return tape.dropout(h, 1f - keep, rng);
            }
        };
    }

    /** Model.forward with the parameters on {@code tape} and the given perturbations. */
    public Forward forward(Tape tape, Perturbation drops) {
        Var userEgo = tape.param(uEmbeds);
        Var itemEgo = tape.param(iEmbeds);
        Var ego = tape.concatRows(userEgo, itemEgo);
        Var uuHyper = tape.matmul(userEgo, tape.param(uHyper));
        Var iiHyper = tape.matmul(itemEgo, tape.param(iHyper));
        int nodes = ego.rows();
        List<Var> gcn = new ArrayList<>();
        List<Var> hyper = new ArrayList<>();
        Var last = ego;
        Var sum = ego;
        for (int l = 0; l < config.gnnLayer(); l++) {
            Var g = act(tape, tape.spmm(drops.graph(l, graph), last));
            Var hu = drops.userIncidence(tape, l, uuHyper);
            Var hi = drops.itemIncidence(tape, l, iiHyper);
            Var h = tape.concatRows(hypergraph(tape, hu, tape.sliceRows(last, 0, users)),
                    hypergraph(tape, hi, tape.sliceRows(last, users, nodes)));
            gcn.add(g);
            hyper.add(h);
            last = tape.add(g, h);
            sum = tape.add(sum, last);
        }
        return new Forward(sum, gcn, hyper);
    }

    /** HGNNLayer: H·(Hᵀ·E), each product followed by the optional LeakyReLU. */
    private Var hypergraph(Tape tape, Var h, Var e) {
        Var lat = act(tape, tape.matmul(h, e, true, false));
        return act(tape, tape.matmul(h, lat));
    }

    private Var act(Tape tape, Var x) {
        return config.leaky() == 1f ? x : tape.leakyRelu(x, config.leaky());
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        // One split per batch: the batch's masks depend only on the context's stream at this
        // point, so a fresh context replays them (gradient checks) and a resumed epoch redraws them.
        return loss(tape, batch.as(TripleBatch.class), dropping(config.keepRate(), context.rng().split()));
    }

    /** Main.py's loss for one batch, with the given perturbations. */
    public LossTerms loss(Tape tape, TripleBatch b, Perturbation drops) {
        Forward f = forward(tape, drops);
        Var u = tape.gatherRows(f.embeds(), b.users());
        Var p = tape.gatherRows(f.embeds(), Indices.offset(b.positives(), users));
        Var n = tape.gatherRows(f.embeds(), Indices.offset(b.negatives(), users));
        Var bpr = Losses.bpr(tape, u, p, n, b.size());

        int[] uniqueUsers = sortedUnique(b.users());
        int[] uniqueItems = Indices.offset(sortedUnique(b.positives()), users);
        Var ssl = null;
        for (int l = 0; l < config.gnnLayer(); l++) {
            Var g = tape.constant(f.gcn().get(l).value()); // .detach()
            Var h = f.hyper().get(l);
            Var term = tape.add(contrast(tape, g, h, uniqueUsers), contrast(tape, g, h, uniqueItems));
            ssl = ssl == null ? term : tape.add(ssl, term);
        }
        Var reg = tape.scale(Losses.squaredNorm(tape, tape.param(uEmbeds), tape.param(iEmbeds), tape.param(uHyper),
                tape.param(iHyper)), config.reg());
        Var total = tape.add(bpr, reg);
        if (ssl != null) {
            ssl = tape.scale(ssl, config.sslReg());
            total = tape.add(total, ssl);
        } else {
            ssl = tape.constant(1, 1, new float[] {0f});
        }
        return LossTerms.of(total, "bpr", bpr, "reg", reg, "ssl", ssl);
    }

    /**
     * contrastLoss(embeds1, embeds2, nodes, temp) on the given rows of the stacked views: anchors
     * from {@code a} (the detached GCN view), candidates from {@code b}, the positive of node s its
     * own row.
     */
    private Var contrast(Tape tape, Var a, Var b, int[] rows) {
        Var anchors = tape.rowL2Normalize(tape.addScalar(tape.gatherRows(a, rows), CONTRAST_SHIFT), NORMALIZE_EPS);
        Var candidates = tape.rowL2Normalize(tape.addScalar(tape.gatherRows(b, rows), CONTRAST_SHIFT), NORMALIZE_EPS);
        int[] positives = new int[rows.length];
        Arrays.setAll(positives, k -> k);
        return tape.infoNce(anchors, candidates, positives, config.temp());
    }

    /** torch.unique: the distinct values in ascending order. */
    static int[] sortedUnique(int[] ids) {
        return Arrays.stream(ids).distinct().sorted().toArray();
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> EmbeddingScorer.split(tape, forward(tape, NONE).embeds(), users));
    }
}
