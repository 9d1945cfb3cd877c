package org.diffmmj.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
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
 * SGL (Wu, Wang, Feng, He, Chen, Lian, Xie, "Self-supervised Graph Learning for Recommendation",
 * SIGIR 2021), as RecBole implements it: {@code recbole/model/general_recommender/sgl.py}
 * ({@code SGL.forward}, {@code calculate_loss}, {@code calc_bpr_loss}, {@code calc_ssl_loss},
 * {@code create_adjust_matrix}, {@code graph_construction}, {@code train}), {@code EmbLoss} from
 * {@code recbole/model/loss.py}, defaults from {@code recbole/properties/model/SGL.yaml} and the
 * batch size and learning rate from {@code overall.yaml} (RUCAIBox/RecBole@7b02be5; pinned by
 * {@code SglParityTest}).
 *
 * <p>LightGCN (mean of layers 0..L, free Xavier-uniform embeddings) on the normalised training
 * graph D^-½·A·D^-½ gives the representations that BPR trains and that score. Every epoch two
 * stochastic views are drawn ({@link #beforeEpoch}, from the epoch's stream: RecBole redraws them
 * in its {@code train()} override, which its trainer calls once per epoch), each a LightGCN over
 * graph(s) rebuilt and re-normalised from what survives:
 * <ul>
 * <li>{@code ED}: exactly ⌊E·(1 − drop_ratio)⌋ of the E training edges, drawn uniformly without
 * replacement, one graph for every layer;</li>
 * <li>{@code ND}: ⌊U·drop_ratio⌋ users and ⌊I·drop_ratio⌋ items drawn without replacement lose all
 * their edges (they keep their ego embedding as layer 0), one graph for every layer;</li>
 * <li>{@code RW}: an independent ED graph per layer ("random walk").</li>
 * </ul>
 * The dropped graph is normalised by the degrees of the kept edges (RecBole's and the authors'
 * {@code create_adj_mat}), not rescaled by 1/keep as {@link CsrMatrix#edgeDropout} does.
 *
 * <p>Loss of a (user, pos, neg) batch of size B, all three terms <b>sums</b> over the batch as in
 * RecBole: Σ −log σ(⟨u,p⟩ − ⟨u,n⟩) on the main graph's rows; plus ssl_weight · Σ InfoNCE with
 * temperature ssl_tau between the two views' L2-normalised rows, for the batch's users against all
 * users and for its positive items against all items (duplicates kept); plus reg_weight ·
 * (‖U‖ + ‖P‖ + ‖N‖)/B, RecBole's {@code EmbLoss} (unsquared Frobenius norms) on the batch's ego
 * (layer-0) embeddings. The logged parts are the three weighted terms.
 *
 * <p>Where the authors' code (wujcan/SGL-Torch@c563288, {@code model/general_recommender/SGL.py},
 * {@code conf/SGL.ini}) differs, we follow RecBole, the maintained PyTorch toolkit port:
 * <ul>
 * <li>regulariser: the authors' reg · Σ‖·‖²/2 ({@code l2_loss}, squared, not divided by B); RecBole's
 * unsquared norms over B;</li>
 * <li>defaults: the authors' {@code ssl_reg 0.1}, {@code ssl_temp 0.2}, {@code reg 1e-4}; RecBole's
 * ssl_weight 0.05, ssl_tau 0.5, reg_weight 1e-5 (ratio 0.1, 3 layers, d 64, lr 1e-3 and batch 2048
 * are the same in both);</li>
 * <li>RecBole's {@code create_adjust_matrix} adds 1e-7 to every degree; the authors' (and ours)
 * do not (a relative 5e-8 on a weight; an isolated node has an empty row either way);</li>
 * <li>InfoNCE: RecBole computes −log(exp(s⁺/τ)/Σexp(s/τ)) directly, the authors as a
 * log-sum-exp of s − s⁺; the same value (ours is the max-shifted log-sum-exp).</li>
 * </ul>
 * The authors and RecBole agree on the rest: summed BPR and summed InfoNCE, both-side SSL with all
 * users/items as negatives, views redrawn once per epoch, ED sampling of an exact count without
 * replacement.
 *
 * <p>Our own departures: RecBole's tables carry a padding row 0 (user and item ids start at 1),
 * which takes part in its InfoNCE denominators and in ND's ⌊U·ratio⌋ count as one extra node
 * without edges; our tables have no padding row. The views are drawn from our generator, not
 * numpy's, so they match the reference in distribution, not draw for draw (the parity test feeds
 * both sides the same views). drop_ratio is a double so that the counts ⌊E·(1 − r)⌋ and ⌊U·r⌋
 * are computed as Python computes them.
 */
public final class Sgl extends Module implements Recommender {

    public static final String NAME = "sgl";

    /** F.normalize's default eps. */
    private static final float NORMALIZE_EPS = 1e-12f;

    /** SGL's settings, named, ordered and defaulted as RecBole's SGL.yaml (embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "View operator: ED edge dropout, ND node dropout, RW edge dropout redrawn per layer",
                    choices = {"ED", "ND", "RW"}) String type,
            @Key(doc = "Propagation layers L", min = 0) int nLayers,
            @Key(doc = "InfoNCE temperature", min = 0, minExclusive = true) float sslTau,
            @Key(doc = "Weight of the unsquared-norm L2 term (EmbLoss) on the batch's ego embeddings", min = 0) float regWeight,
            @Key(doc = "Weight of the summed InfoNCE term between the two views", min = 0) float sslWeight,
            @Key(doc = "Share of edges (ED, RW) or of users and of items (ND) each view drops", min = 0, max = 1) double dropRatio,
            @Key(doc = "Embedding size d (RecBole's embedding_size)", min = 1) int dim) {

        public static final Config DEFAULTS = new Config("ED", 3, 0.5f, 1e-5f, 0.05f, 0.1, 64);
    }

    /**
     * The TikTok preset: the SGL paper reports no TikTok settings (its data sets are Yelp2018,
     * Amazon-Book, Alibaba-iFashion) and DiffMM publishes none for its baselines, so it is
     * RecBole's SGL.yaml defaults, written out (the defaults of the implementation followed).
     */
    static final Map<String, Map<String, Object>> PRESETS = Map.of("tiktok", Map.of(
            "type", "ED", "n_layers", 3, "ssl_tau", 0.5, "reg_weight", 1e-5, "ssl_weight", 0.05,
            "drop_ratio", 0.1, "dim", 64));

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "SGL (Wu et al. 2021): LightGCN + InfoNCE between two edge/node-dropped graph views redrawn each epoch (RecBole's port)",
            Config.class, Config.DEFAULTS, PRESETS, (config, data, rng) -> new Sgl(data.train(), config, rng))
            // RecBole's overall.yaml trains every model at batch 2048 (lr 1e-3, as ours).
            .withTrainingDefaults(Map.of("batch", 2048));

    private final Embedding userEmbeddings;
    private final Embedding itemEmbeddings;
    private final Interactions train;
    private final CsrMatrix graph;
    private final Config config;
    private final int users;
    /** The two views' graphs, one per layer (the same matrix repeated for ED and ND); null before the first epoch. */
    private List<CsrMatrix> view1;
    private List<CsrMatrix> view2;

    public Sgl(Interactions train, Config config, Rng rng) {
        this.users = train.users();
        this.train = train;
        this.config = config;
        this.userEmbeddings = register(new Embedding("user_embedding", Init.xavierUniform(train.users(), config.dim(), rng)));
        this.itemEmbeddings = register(new Embedding("item_embedding", Init.xavierUniform(train.items(), config.dim(), rng)));
        this.graph = InteractionGraphs.withoutSelfLoops(train);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The main graph, D^-½·A·D^-½ of all training edges. */
    public CsrMatrix graph() {
        return graph;
    }

    /** The current views, first then second, each one graph per layer; empty before the first epoch. */
    public List<List<CsrMatrix>> views() {
        return view1 == null ? List.of() : List.of(view1, view2);
    }

    /**
     * Replaces the current views (e.g. by views built from recorded draws with {@link #edgeGraph}
     * and {@link #nodeDroppedGraph}): each list holds one graph per layer, or one graph for all.
     */
    public void setViews(List<CsrMatrix> first, List<CsrMatrix> second) {
        this.view1 = perLayer(first);
        this.view2 = perLayer(second);
    }

    private List<CsrMatrix> perLayer(List<CsrMatrix> graphs) {
        int n = graph.rows();
        for (CsrMatrix g : graphs) {
            if (g.rows() != n || g.cols() != n) {
                throw new IllegalArgumentException("a view graph is " + g.rows() + "×" + g.cols() + ", the model's " + n
                        + "×" + n);
            }
        }
        if (graphs.size() == 1) {
            return Collections.nCopies(config.nLayers(), graphs.get(0));
        }
        if (graphs.size() != config.nLayers()) {
            throw new IllegalArgumentException(graphs.size() + " view graphs for " + config.nLayers() + " layers");
        }
        return List.copyOf(graphs);
    }

    /** Draws the epoch's two views (RecBole's graph_construction: all of the first view, then the second). */
    @Override
    public Map<String, Double> beforeEpoch(EpochContext context) {
        Rng rng = context.rng();
        context.timer().time("views", () -> {
            List<CsrMatrix> first = drawView(rng);
            List<CsrMatrix> second = drawView(rng);
            setViews(first, second);
        });
        return Map.of();
    }

    private List<CsrMatrix> drawView(Rng rng) {
        return switch (config.type()) {
            case "ED" -> List.of(edgeDroppedGraph(train, config.dropRatio(), rng));
            case "ND" -> List.of(nodeDroppedGraph(train,
                    sampleWithoutReplacement(train.users(), (int) (train.users() * config.dropRatio()), rng),
                    sampleWithoutReplacement(train.items(), (int) (train.items() * config.dropRatio()), rng)));
            case "RW" -> {
                List<CsrMatrix> layers = new ArrayList<>();
                for (int l = 0; l < config.nLayers(); l++) {
                    layers.add(edgeDroppedGraph(train, config.dropRatio(), rng));
                }
                yield layers;
            }
            default -> throw new IllegalStateException("unknown SGL view type " + config.type());
        };
    }

    /**
     * ED's graph: ⌊E·(1 − dropRatio)⌋ of the E training pairs kept, drawn uniformly without
     * replacement, normalised over what is kept.
     */
    public static CsrMatrix edgeDroppedGraph(Interactions train, double dropRatio, Rng rng) {
        int e = train.size();
        int keep = (int) (e * (1 - dropRatio));
        boolean[] dropped = new boolean[e];
        for (int k : sampleWithoutReplacement(e, e - keep, rng)) {
            dropped[k] = true;
        }
        int[] pu = train.pairUsers();
        int[] pi = train.pairItems();
        int[] ku = new int[keep];
        int[] ki = new int[keep];
        int out = 0;
        for (int k = 0; k < e; k++) {
            if (!dropped[k]) {
                ku[out] = pu[k];
                ki[out] = pi[k];
                out++;
            }
        }
        return edgeGraph(train.users(), train.items(), ku, ki);
    }

    /** D^-½·A·D^-½ (no self loops) of the given kept (user, item) edges: a view's graph. */
    public static CsrMatrix edgeGraph(int users, int items, int[] keptUsers, int[] keptItems) {
        return CsrMatrix.normalizedBipartiteNoSelfLoops(users, items, keptUsers, keptItems);
    }

    /** ND's graph: the training edges whose user and item both survive, normalised over those. */
    public static CsrMatrix nodeDroppedGraph(Interactions train, int[] droppedUsers, int[] droppedItems) {
        boolean[] du = new boolean[train.users()];
        boolean[] di = new boolean[train.items()];
        for (int u : droppedUsers) {
            du[u] = true;
        }
        for (int i : droppedItems) {
            di[i] = true;
        }
        int[] pu = train.pairUsers();
        int[] pi = train.pairItems();
        int[] ku = new int[pu.length];
        int[] ki = new int[pu.length];
        int out = 0;
        for (int k = 0; k < pu.length; k++) {
            if (!du[pu[k]] && !di[pi[k]]) {
                ku[out] = pu[k];
                ki[out] = pi[k];
                out++;
            }
        }
        return edgeGraph(train.users(), train.items(), Arrays.copyOf(ku, out), Arrays.copyOf(ki, out));
    }

    /** k distinct integers of [0, n), uniformly (a partial Fisher–Yates shuffle), in draw order. */
    static int[] sampleWithoutReplacement(int n, int k, Rng rng) {
        if (k < 0 || k > n) {
            throw new IllegalArgumentException("cannot draw " + k + " of " + n + " without replacement");
        }
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rng.nextInt(n - i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return Arrays.copyOf(a, k);
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        if (view1 == null) {
            throw new IllegalStateException("SGL's views are drawn in beforeEpoch; none has been drawn yet");
        }
        TripleBatch b = batch.as(TripleBatch.class);
        Var userEgo = userEmbeddings.all(tape);
        Var itemEgo = itemEmbeddings.all(tape);
        Var ego = tape.concatRows(userEgo, itemEgo);
        Var main = GraphPropagation.layerMean(tape, graph, ego, config.nLayers());
        Var first = GraphPropagation.layerMean(tape, view1, ego);
        Var second = GraphPropagation.layerMean(tape, view2, ego);

        Var u = tape.gatherRows(main, b.users());
        Var p = tape.gatherRows(main, Indices.offset(b.positives(), users));
        Var n = tape.gatherRows(main, Indices.offset(b.negatives(), users));
        Var bpr = Losses.bpr(tape, u, p, n, 1f);

        Var norms = tape.add(tape.add(frobenius(tape, tape.gatherRows(userEgo, b.users())),
                frobenius(tape, tape.gatherRows(itemEgo, b.positives()))),
                frobenius(tape, tape.gatherRows(itemEgo, b.negatives())));
        Var reg = tape.scale(norms, config.regWeight() / b.size());

        Var sslUser = infoNceSum(tape, first, tape.sliceRows(second, 0, users), b.users());
        Var sslItem = infoNceSum(tape, tape.sliceRows(first, users, first.rows()),
                tape.sliceRows(second, users, second.rows()), b.positives());
        Var ssl = tape.scale(tape.add(sslItem, sslUser), config.sslWeight());
        return LossTerms.of(tape.add(tape.add(bpr, ssl), reg), "bpr", bpr, "ssl", ssl, "reg", reg);
    }

    /**
     * Σ_n −log(exp(⟨a_n, b_n⟩/τ) / Σ_r exp(⟨a_n, b_r⟩/τ)) over the given rows n, rows of a and b
     * L2-normalised (RecBole's calc_ssl_loss, one side). {@code a} may hold more rows than
     * {@code b} (the user rows are gathered from the whole view).
     */
    private Var infoNceSum(Tape tape, Var a, Var b, int[] rows) {
        Var anchors = tape.rowL2Normalize(tape.gatherRows(a, rows), NORMALIZE_EPS);
        Var mean = tape.infoNce(anchors, tape.rowL2Normalize(b, NORMALIZE_EPS), rows, config.sslTau());
        return tape.scale(mean, rows.length);
    }

    /** ‖x‖_F, unsquared (torch.norm in RecBole's EmbLoss). */
    private static Var frobenius(Tape tape, Var x) {
        return tape.sqrt(tape.sum(tape.square(x)));
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var ego = tape.concatRows(tape.constant(userEmbeddings.value()), tape.constant(itemEmbeddings.value()));
            return EmbeddingScorer.split(tape, GraphPropagation.layerMean(tape, graph, ego, config.nLayers()), users);
        });
    }
}
