package org.diffmmj.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Interactions;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.nn.Embedding;
import org.diffmmj.nn.Indices;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * NGCF (Wang, He, Wang, Feng, Chua, "Neural Graph Collaborative Filtering", SIGIR 2019), as
 * RecBole implements it: {@code recbole/model/general_recommender/ngcf.py} ({@code NGCF.forward},
 * {@code calculate_loss}, {@code get_norm_adj_mat}), {@code recbole/model/layers.py}
 * ({@code BiGNNLayer}, {@code SparseDropout}), {@code recbole/model/loss.py} ({@code BPRLoss},
 * {@code EmbLoss}), defaults from {@code recbole/properties/model/NGCF.yaml} and the batch size
 * from {@code overall.yaml} (RUCAIBox/RecBole@7b02be5; pinned by {@code NgcfParityTest}).
 *
 * <p>Each layer k: E' = LeakyReLU_0.2(W1·(L·E + E) + b1 + W2·(L·E ⊙ E) + b2), message dropout on
 * E', then E ← rowL2Normalize(E'), which is both the layer's output and the next layer's input.
 * The final representation concatenates E_0 (the ego embeddings) and every layer's output
 * (d + Σ hidden_size_list wide). Loss: BPR on the final rows of a (user, pos, neg) batch plus
 * reg_weight · (‖U‖ + ‖P‖ + ‖N‖) / B, RecBole's {@code EmbLoss} (unsquared Frobenius norms) on
 * those same final rows. Weights and embeddings are Xavier-normal, biases zero
 * ({@code xavier_normal_initialization}).
 *
 * <p>Where the authors' TensorFlow code (xiangwang1223/neural_graph_collaborative_filtering
 * {@code NGCF/NGCF.py} {@code _create_ngcf_embed}, {@code create_bpr_loss}; {@code
 * utility/load_data.py}) differs, we follow RecBole, because DiffMM's Table 1 baselines were run
 * in PyTorch toolkits and RecBole's is the maintained PyTorch port (the original needs TF 1.x):
 * <ul>
 * <li>graph: the original's default {@code adj_type norm} is D⁻¹(A + I) (self loops, row
 * normalisation); RecBole's is D^-½·A·D^-½ without self loops, the identity added in the layer
 * ({@link InteractionGraphs#withoutSelfLoops}; RecBole's +1e-7 on the degree changes a weight by a
 * relative 5e-8 and an isolated node has an empty row either way);</li>
 * <li>activation: the original applies LeakyReLU to each branch separately,
 * LeakyReLU(sum branch) + LeakyReLU(bi branch); RecBole applies one LeakyReLU to their sum;</li>
 * <li>next layer's input: the original feeds the un-normalised (dropped-out) E' forward and
 * normalises only the copy it concatenates; RecBole feeds the normalised one;</li>
 * <li>regulariser: the original's decay·Σ‖·‖²/2 / batch ({@code tf.nn.l2_loss}) on the same final
 * rows; RecBole's unsquared norm sum;</li>
 * <li>defaults: the original's {@code parser.py} has {@code layer_size [64]}, lr 0.01 and batch
 * 1024 (its README runs [64,64,64] at lr 1e-4/5e-4); RecBole's, used here, three layers of 64,
 * lr 1e-3, batch 2048.</li>
 * </ul>
 * The {@code tiktok} preset is RecBole's defaults unchanged: neither the paper nor DiffMM's
 * repository publishes baseline settings per dataset, and RecBole's are what a RecBole user runs.
 * <p>
 * Our own departures: BPR is −mean log σ(Δ) where RecBole's {@code BPRLoss} is −mean log(1e-10 +
 * σ(Δ)); the two differ only where σ(Δ) is within a few orders of 1e-10 (Δ ≲ −20), where RecBole's
 * gradient vanishes and ours stays −1. Dropout masks and node-dropout edges come from our
 * generator, not torch's, so they match the reference in distribution, not draw for draw.
 */
public final class Ngcf extends Module implements Recommender {

    public static final String NAME = "ngcf";

    private static final float LEAKY_SLOPE = 0.2f;
    /** F.normalize's default eps. */
    private static final float NORMALIZE_EPS = 1e-12f;

    /** NGCF's settings, named and defaulted as RecBole's NGCF.yaml (embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (RecBole's embedding_size)", min = 1) int dim,
            @Key(doc = "Output width of each propagation layer; its length is the number of layers", min = 1) int[] hiddenSizeList,
            @Key(doc = "Share of normalised-graph edges dropped per batch (0 keeps the graph)", min = 0, max = 1, maxExclusive = true) float nodeDropout,
            @Key(doc = "Dropout on each layer's output before its normalisation", min = 0, max = 1, maxExclusive = true) float messageDropout,
            @Key(doc = "Weight of the unsquared-norm L2 term on the batch's final rows", min = 0) float regWeight) {

        public static final Config DEFAULTS = new Config(64, new int[] {64, 64, 64}, 0f, 0.1f, 1e-5f);

        public Config {
            hiddenSizeList = hiddenSizeList.clone();
        }

        @Override
        public int[] hiddenSizeList() {
            return hiddenSizeList.clone();
        }
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "NGCF (Wang et al. 2019): bi-interaction message passing, layer outputs concatenated (RecBole's port)",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of()), (config, data, rng) -> new Ngcf(data.train(), config, rng))
            // RecBole's overall.yaml trains every model at batch 2048 (lr 1e-3, as ours).
            .withTrainingDefaults(Map.of("batch", 2048));

    private final Embedding userEmbeddings;
    private final Embedding itemEmbeddings;
    /** Per layer: W1 on (L·E + E), then W2 on (L·E ⊙ E). */
    private final List<Linear[]> layers = new ArrayList<>();
    private final CsrMatrix graph;
    private final Config config;
    private final int users;

    public Ngcf(Interactions train, Config config, Rng rng) {
        this.users = train.users();
        this.config = config;
        // RecBole's order: the two tables, then each BiGNNLayer's linear and interActTransform.
        this.userEmbeddings = register(new Embedding("user_embedding", Init.xavierNormal(train.users(), config.dim(), rng)));
        this.itemEmbeddings = register(new Embedding("item_embedding", Init.xavierNormal(train.items(), config.dim(), rng)));
        int in = config.dim();
        int k = 0;
        for (int out : config.hiddenSizeList()) {
            Linear w1 = register(new Linear("gnn" + k + ".linear", Init.xavierNormal(in, out, rng), Tensor.zeros(1, out)));
            Linear w2 = register(new Linear("gnn" + k + ".inter_act_transform", Init.xavierNormal(in, out, rng),
                    Tensor.zeros(1, out)));
            layers.add(new Linear[] {w1, w2});
            in = out;
            k++;
        }
        this.graph = InteractionGraphs.withoutSelfLoops(train);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The normalised graph propagated over (D^-½·A·D^-½ of the training interactions). */
    public CsrMatrix graph() {
        return graph;
    }

    /**
     * [E_0 | E_1 | … | E_L] over all users then items. {@code rng} null means evaluation: no
     * message dropout and the whole graph, as RecBole's modules in {@code eval()}.
     */
    private Var propagate(Tape tape, Var ego, Rng rng) {
        CsrMatrix a = rng != null && config.nodeDropout() > 0 ? graph.edgeDropout(1f - config.nodeDropout(), rng) : graph;
        List<Var> outputs = new ArrayList<>();
        outputs.add(ego);
        Var e = ego;
        for (Linear[] layer : layers) {
            Var side = tape.spmm(a, e);
            Var h = tape.add(layer[0].forward(tape, tape.add(side, e)), layer[1].forward(tape, tape.mul(side, e)));
            h = tape.leakyRelu(h, LEAKY_SLOPE);
            if (rng != null && config.messageDropout() > 0) {
                h = tape.dropout(h, config.messageDropout(), rng);
            }
            e = tape.rowL2Normalize(h, NORMALIZE_EPS);
            outputs.add(e);
        }
        return outputs.size() == 1 ? ego : tape.concatCols(outputs.toArray(new Var[0]));
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        // One split per batch: the batch's masks depend only on the context's stream at this
        // point, so a fresh context replays them (gradient checks) and a resumed epoch redraws them.
        Rng rng = context.rng().split();
        Var all = propagate(tape, tape.concatRows(userEmbeddings.all(tape), itemEmbeddings.all(tape)), rng);
        Var u = tape.gatherRows(all, b.users());
        Var p = tape.gatherRows(all, Indices.offset(b.positives(), users));
        Var n = tape.gatherRows(all, Indices.offset(b.negatives(), users));
        Var bpr = Losses.bpr(tape, u, p, n, b.size());
        Var norms = tape.add(tape.add(frobenius(tape, u), frobenius(tape, p)), frobenius(tape, n));
        Var reg = tape.scale(norms, config.regWeight() / b.size());
        return LossTerms.of(tape.add(bpr, reg), "bpr", bpr, "reg", reg);
    }

    /** ‖x‖_F, unsquared (torch.norm in RecBole's EmbLoss). */
    private static Var frobenius(Tape tape, Var x) {
        return tape.sqrt(tape.sum(tape.square(x)));
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var ego = tape.concatRows(tape.constant(userEmbeddings.value()), tape.constant(itemEmbeddings.value()));
            return EmbeddingScorer.split(tape, propagate(tape, ego, null), users);
        });
    }
}
