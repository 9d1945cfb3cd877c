package org.diffmmj.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.Interactions;
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
 * MMGCN (Wei, Wang, Nie, He, Hong, Chua, "MMGCN: Multi-modal Graph Convolution Network for
 * Personalized Recommendation of Micro-video", ACM MM 2019) after enoche/MMRec@e775373
 * {@code src/models/mmgcn.py} ({@code MMGCN.__init__/forward/calculate_loss/full_sort_predict},
 * {@code GCN}, {@code BaseModel}), checked against the authors' weiyinwei/MMGCN@a643673
 * {@code Model_MMGCN.py}, which has the same GCN and loss (MMRec's is a copy with the audio
 * branch dropped); pinned by {@code MmgcnParityTest} against MMRec's file run with a plain-torch
 * stand-in for PyTorch Geometric's {@code MessagePassing} ({@code tools/parity/mmgcn_fixtures.py}).
 *
 * <p>One GCN per modality over the (U+I)-node user–item graph with both edge directions. Its
 * input is x = normalize([P_m ; F_m]) — a free user preference table beside the item features,
 * the latter through an MLP to {@code dim_latent} for the {@code visual_modality} (both repos: the
 * visual branch only), raw for the others. Each of the layers l computes
 * h = LeakyReLU(mean_{j∈N(i)} x_j·W_l) (aggregation, eq. 1), x̂ = LeakyReLU(x·L_l + b) + e_id
 * (eq. 5, the shared ID embedding), x = LeakyReLU(G_l·[h ; x̂] + c) (combination, concat form).
 * The representation is the mean of the modalities' outputs; a score is ⟨r_u, r_i⟩. Loss: BPR
 * (−mean log σ(Δ)) + reg_weight · [ mean((e_id[u,u])² + (e_id[p,n])²) + mean(P_visual²) ], the
 * first mean over the 2B×d interleaved rows as the reference has it, the second over the whole
 * visual preference table. LeakyReLU slope 0.01 (torch's default), normalize eps 1e-12.
 *
 * <p>Departures, with reasons:
 * <ul>
 * <li><b>The ID embedding and the preference tables are trained.</b> In both repositories they
 * are plain tensors ({@code xavier_normal_(torch.rand(..., requires_grad=True)).to(device)} /
 * {@code .cuda()}), never {@code nn.Parameter}s, so the optimiser never sees them and they stay at
 * their random start (a bug: the paper learns user preferences and ID embeddings, and the
 * commented-out {@code nn.Parameter} line beside each shows the intent). We port the intent: both
 * are parameters. The parity fixture loads their values; gradients are compared for the rest and
 * checked for them by the contract test's finite differences. {@code train_embeddings = false}
 * gives the references' model: both tables stay at their random start (they still enter the loss
 * and its L2 term, which then only shifts it by a constant).</li>
 * <li>Any number of modalities: one GCN each, averaged (MMRec: v and t; authors: v, a, t). The
 * modality named by {@code visual_modality} (default {@code image}) takes the {@code dim_latent}
 * MLP and the full-table preference penalty, as the visual branch does in both repos; absent
 * such a modality, none does (MMRec with text only). TikTok here: image (MLP→256) and audio (raw
 * 128, as the authors' audio branch).</li>
 * <li>{@code concate}: both repos pass the string {@code 'False'}, which Python reads as true, so
 * the concatenating combination runs; our default is {@code true}, the form that runs.
 * {@code false} gives the additive form G_l·h + x̂ the code would otherwise take.</li>
 * <li>{@code n_layers}: MMRec reads {@code n_layers} (2 in MMGCN.yaml) and ignores it, three layers
 * being hard-coded in both repos; our default is the 3 that run, and other values repeat the
 * d-wide layer (layer 1 maps from the feature width).</li>
 * <li>Scores use the representation at the current weights; MMRec's {@code full_sort_predict}
 * uses {@code self.result}, the last training batch's forward (one optimiser step stale).</li>
 * <li>BPR is −mean log σ(Δ) via a stable log-sigmoid, the reference's −mean log(σ(Δ)) exactly
 * where it is finite.</li>
 * </ul>
 * Defaults: MMRec's MMGCN.yaml ({@code embedding_size 64}; {@code reg_weight} is a grid
 * [0, 1e-5, …, 0.1], its first value 0 taken as the default; {@code learning_rate} grid's first
 * value 1e-4, also the authors' {@code l_r}) and overall.yaml (Adam, batch 2048);
 * {@code dim_latent 256} and the mean aggregation are hard-coded in both repos. The {@code tiktok}
 * preset is the authors' TikTok line in their README ({@code --weight_decay=0.1}, which their
 * {@code main.py} passes to the model as its reg weight): reg_weight 0.1. That line's
 * {@code --l_r=0.0005 --batch_size=1024} are training options (pass {@code --lr 5e-4 --batch 1024});
 * its {@code --dim_latent=64 --num_layer=2 --concat=False} are not arguments {@code main.py}@a643673
 * parses (it builds the model with 256, 3 hard-coded layers and the truthy {@code 'False'}), so
 * they are not applied. DiffMM's paper gives no baseline settings.
 */
public final class Mmgcn extends Module implements Recommender {

    public static final String NAME = "mmgcn";

    /** MMGCN's settings, MMRec's names (its embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "ID embedding size d (MMRec's embedding_size), the width of every layer's output", min = 1) int dim,
            @Key(doc = "GCN layers per modality (MMRec reads n_layers but hard-codes 3)", min = 1) int nLayers,
            @Key(doc = "Weight of the L2 penalty on the batch's ID rows and the visual preference table", min = 0) float regWeight,
            @Key(doc = "Width the visual modality's MLP maps its features to (hard-coded 256)", min = 1) int dimLatent,
            @Key(doc = "Modality that takes the dim_latent MLP and the full preference penalty (MMRec's v_feat)") String visualModality,
            @Key(doc = "Neighbour aggregation of the graph convolution", choices = {"mean", "add"}) String aggrMode,
            @Key(doc = "Combination layer on [h ; x_hat] (true, what runs in both repos) or G*h + x_hat") boolean concate,
            @Key(doc = "Add the ID embedding to every layer's x_hat (eq. 5)") boolean hasId,
            @Key(doc = "Train the ID embedding and preference tables (the paper); false: the references' untrained random tables") boolean trainEmbeddings) {
        public static final Config DEFAULTS = new Config(64, 3, 0f, 256, "image", "mean", true, true, true);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "MMGCN (Wei et al. 2019): a GCN per modality over [user preference; item features] with ID embeddings, averaged",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of("reg_weight", 0.1)), (config, data, rng) -> new Mmgcn(data, config, rng))
            // MMRec: MMGCN.yaml learning_rate grid's first value 1e-4 (= the authors' l_r), overall.yaml batch 2048.
            .withTrainingDefaults(Map.of("lr", 1e-4, "batch", 2048));

    /** One modality's GCN ({@code GCN} in both repos). */
    private static final class Branch extends Module {
        final Tensor features;
        final Parameter preference;
        final Linear mlp;
        final List<Parameter> conv = new ArrayList<>();
        final List<Linear> linear = new ArrayList<>();
        final List<Linear> g = new ArrayList<>();
        final boolean visual;

        Branch(FeatureMatrix f, int users, Config config, boolean visual, Rng rng) {
            String p = f.name() + "_gcn.";
            this.visual = visual;
            this.features = ModalityFeatures.tensor(f);
            int width = visual ? config.dimLatent() : f.cols();
            this.preference = parameter(p + "preference", Init.xavierNormal(users, width, rng));
            this.mlp = visual ? register(Linear.pytorchDefault(p + "MLP", f.cols(), width, rng)) : null;
            int d = config.dim();
            for (int l = 0; l < config.nLayers(); l++) {
                int in = l == 0 ? width : d;
                // conv_embed_l: BaseModel's weight (in × out, x·W), Xavier-normal.
                conv.add(parameter(p + "conv_embed_" + (l + 1) + ".weight", Init.xavierNormal(in, in, rng)));
                // linear_layer_l: Xavier-normal weight, nn.Linear's default bias.
                Tensor lw = Init.xavierNormal(in, d, rng);
                linear.add(register(new Linear(p + "linear_layer" + (l + 1), lw, Init.linearDefault(1, d, in, rng))));
                // g_layer1 Xavier-normal weight; g_layer2/3 keep nn.Linear's default entirely.
                int gin = config.concate() ? (l == 0 ? width : d) + d : (l == 0 ? width : d);
                Tensor gw = l == 0 ? Init.xavierNormal(gin, d, rng) : Init.linearDefault(gin, d, gin, rng);
                g.add(register(new Linear(p + "g_layer" + (l + 1), gw, Init.linearDefault(1, d, gin, rng))));
            }
        }
    }

    private final Config config;
    private final int users;
    private final int items;
    private final Embedding idEmbedding;
    private final List<Branch> branches = new ArrayList<>();
    private final CsrMatrix graph;

    public Mmgcn(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = ModalityFeatures.require(data, NAME);
        this.config = config;
        this.users = data.users();
        this.items = data.items();
        this.graph = graph(data.train(), config.aggrMode());
        // MMRec's order: v_gcn, t_gcn, then id_embedding.
        for (FeatureMatrix f : modalities) {
            branches.add(register(new Branch(f, users, config, f.name().equals(config.visualModality()), rng)));
        }
        this.idEmbedding = register(new Embedding("id_embedding", Init.xavierNormal(users + items, config.dim(), rng)));
    }

    /**
     * The (U+I)×(U+I) graph of the training pairs in both directions (MMRec's
     * {@code cat(edge_index, edge_index[[1, 0]])}), as PyG's {@code MessagePassing} aggregates at a
     * node the messages x_j of its in-edges: "mean" puts 1/deg(i) on each edge of row i, "add" 1.
     */
    public static CsrMatrix graph(Interactions train, String aggr) {
        int u = train.users();
        int[] pu = train.pairUsers();
        int[] pi = train.pairItems();
        int e = pu.length;
        int[] r = new int[2 * e];
        int[] c = new int[2 * e];
        float[] v = new float[2 * e];
        for (int k = 0; k < e; k++) {
            r[k] = pu[k];
            c[k] = u + pi[k];
            r[e + k] = u + pi[k];
            c[e + k] = pu[k];
        }
        for (int k = 0; k < 2 * e; k++) {
            int node = r[k];
            int deg = node < u ? train.userDegree(node) : train.itemDegree(node - u);
            v[k] = aggr.equals("mean") ? 1f / deg : 1f;
        }
        int n = u + train.items();
        return CsrMatrix.fromCoo(n, n, r, c, v, CsrMatrix.Duplicates.SUM);
    }

    @Override
    public String name() {
        return NAME;
    }

    private static final float SLOPE = 0.01f;
    private static final float EPS = 1e-12f;

    /** The ID or a preference table: trained, or held at its start as the references' plain tensors are. */
    private Var table(Tape tape, Parameter p) {
        return config.trainEmbeddings() ? tape.param(p) : tape.constant(p.value());
    }

    /** One modality's GCN output, (U+I)×d. */
    private Var branch(Tape tape, Branch b, Var id) {
        Var f = tape.constant(b.features);
        Var feats = b.mlp == null ? f : b.mlp.forward(tape, f);
        Var x = tape.rowL2Normalize(tape.concatRows(table(tape, b.preference), feats), EPS);
        for (int l = 0; l < config.nLayers(); l++) {
            Var h = tape.leakyRelu(tape.spmm(graph, tape.matmul(x, tape.param(b.conv.get(l)))), SLOPE);
            Var xHat = tape.leakyRelu(b.linear.get(l).forward(tape, x), SLOPE);
            if (config.hasId()) {
                xHat = tape.add(xHat, id);
            }
            x = config.concate()
                    ? tape.leakyRelu(b.g.get(l).forward(tape, tape.concatCols(h, xHat)), SLOPE)
                    : tape.leakyRelu(tape.add(b.g.get(l).forward(tape, h), xHat), SLOPE);
        }
        return x;
    }

    /** MMGCN's {@code forward}: the mean over modalities of their GCN outputs, (U+I)×d. */
    public Var representation(Tape tape, Var id) {
        Var sum = null;
        for (Branch b : branches) {
            Var r = branch(tape, b, id);
            sum = sum == null ? r : tape.add(sum, r);
        }
        return branches.size() == 1 ? sum : tape.scale(sum, 1f / branches.size());
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Var id = table(tape, idEmbedding.parameter());
        Var out = representation(tape, id);
        int[] pos = Indices.offset(b.positives(), users);
        int[] neg = Indices.offset(b.negatives(), users);
        Var bpr = Losses.bpr(tape, tape.gatherRows(out, b.users()), tape.gatherRows(out, pos), tape.gatherRows(out, neg),
                b.size());
        // (id[user_tensor]² + id[item_tensor]²).mean() over 2B×d: users count twice.
        float rows = 2f * b.size() * config.dim();
        Var idReg = tape.scale(tape.add(tape.scale(Losses.squaredNorm(tape, tape.gatherRows(id, b.users())), 2f),
                Losses.squaredNorm(tape, tape.gatherRows(id, pos), tape.gatherRows(id, neg))), 1f / rows);
        for (Branch br : branches) {
            if (br.visual) {
                idReg = tape.add(idReg, tape.mean(tape.square(table(tape, br.preference))));
            }
        }
        Var reg = tape.scale(idReg, config.regWeight());
        return LossTerms.of(tape.add(bpr, reg), "bpr", bpr, "reg", reg);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var out = representation(tape, tape.constant(idEmbedding.value()));
            return new EmbeddingScorer(tape.sliceRows(out, 0, users).value().copy(),
                    tape.sliceRows(out, users, users + items).value().copy());
        });
    }

    @Override
    public void close() {
        for (Branch b : branches) {
            b.features.close();
        }
    }
}
