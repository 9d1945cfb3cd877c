package org.diffmmj.model;

import java.util.ArrayList;
import java.util.Arrays;
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
import org.diffmmj.nn.GraphPropagation;
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
 * LATTICE (Zhang, Zhu, Liu, Wu, Wang, Wang, "Mining Latent Structures for Multimedia
 * Recommendation", ACM MM 2021) as MMRec implements it, enoche/MMRec@e775373
 * {@code src/models/lattice.py} ({@code __init__}, {@code get_adj_mat}, {@code forward},
 * {@code bpr_loss}, {@code calculate_loss}, {@code full_sort_predict}) with
 * {@code src/utils/utils.py} ({@code build_sim}, {@code build_knn_neighbourhood},
 * {@code compute_normalized_laplacian}); the authors' CRIPAC-DIG/LATTICE@1b72fe7
 * {@code codes/Models.py} computes the same forward (checked by reading), so the two agree except
 * for the defaults (below). Pinned by {@code LatticeParityTest}.
 *
 * <ul>
 * <li><b>Frozen graphs</b>: per modality, the cosine similarities of the raw features, each
 * item's {@code knn_k} largest kept <em>with their values</em>, D^-½SD^-½ over the row sums.</li>
 * <li><b>Learned graph</b>, rebuilt with gradients at the first batch of each epoch and detached
 * for the epoch's other batches (their {@code build_item_graph} flag; here: the first batch of
 * each {@link EpochContext}, with the kNN entries chosen in {@link #beforeEpoch} from the same
 * weights): per modality P_m = trs_m(x_m), x_m the fine-tuned feature table
 * ({@code from_pretrained(freeze=False)}); the kNN of P_m's cosine similarities with their values;
 * mixed by w = softmax(modal_weight): L = D^-½(Σ w_m S_m)D^-½; the item graph
 * A = (1 − λ)·L + λ·Σ w_m·A_m^orig (the frozen graphs mixed by the same learned weights).</li>
 * <li><b>Forward</b> (cf_model lightgcn): h = A^{n_layers}·e_item; LightGCN's mean over
 * len(weight_size) layers on D⁻¹(A_ui + I) (row-normalised with self loops, their
 * {@code get_adj_mat}); item = LightGCN item + h/‖h‖. cf_model mf: user = e_user, item = e_item +
 * h/‖h‖. (Their ngcf variant is not ported.) Scoring rebuilds the learned graph from the current
 * weights, as their {@code full_sort_predict}.</li>
 * <li><b>Loss</b>: BPR (−mean log σ) + reg_weight · (½Σu² + ½Σp² + ½Σn²) / train_batch_size on
 * the final rows, the nominal batch size as theirs ({@link EpochContext#nominalBatchSize()}).</li>
 * </ul>
 *
 * <p>Any number of modalities: theirs takes image and/or text, with {@code modal_weight} two
 * entries [0.5, 0.5]; ours has one entry per modality, each 0.5 (softmax: equal weights). A lone
 * modality gets weight softmax([0.5]) = 1, theirs' unweighted single graph.
 *
 * <p>Departures: the similarities of the kept kNN entries are computed as dot products of the
 * normalised rows for those entries only (their dense product, restricted to the kept entries:
 * the same values and gradients, since the dropped entries are zero in theirs and carry no
 * gradient); the selection of the neighbours is made on a no-gradient copy of the same
 * similarities, ties to the lower index (torch.topk's order among ties is unspecified). The graphs
 * are sparse rather than dense. A zero feature row gives NaN in theirs (division by a zero norm)
 * and zero similarities here (eps 1e-12). Their D^-½ guard against an infinite value only
 * applies to an all-zero row, which cannot occur (each row keeps its own similarity 1 unless the
 * row's features are zero). MMRec's {@code learning_rate_scheduler [0.96, 50]} (lr ×
 * 0.96^(epoch/50)) is not applied: the training loop has no schedule (a factor 0.89 at epoch 150).
 * {@code feat_embed_dim} must equal {@code embedding_size} for h to meet the ID embeddings, so it
 * is not a separate key; only the length of {@code weight_size} is read with cf_model lightgcn
 * (as theirs).
 *
 * <p>Defaults: MMRec's {@code LATTICE.yaml} ({@code embedding_size 64}, {@code weight_size
 * [64, 64]}, {@code lambda_coeff 0.9}, {@code cf_model lightgcn}, {@code n_layers 1},
 * {@code knn_k 10}; the grids {@code reg_weight [0.0, 1e-5, 1e-4, 1e-3]} and
 * {@code learning_rate [1e-4, 5e-4, 1e-3, 5e-3]} give their first values, 0.0 and 1e-4) and
 * {@code overall.yaml} (batch 2048). The authors' {@code parser.py} defaults differ: lr 5e-4,
 * {@code regs[0]} 1e-5, batch 1024. The {@code tiktok} preset is MMRec's defaults but for the learning
 * rate (the LATTICE paper has no TikTok experiment): it trains at 5e-4, the authors' default and the
 * second value of MMRec's grid, because at 1e-4 LATTICE learns too slowly on TikTok to be compared
 * (seed 421: test Recall@20 0.016 at its validation-selected epoch 11, stopped by patience at 26,
 * loss 0.69 → 0.55), while at 5e-4 it passes 0.075 within 150–200 epochs (README, "Results").
 */
public final class Lattice extends Module implements Recommender {

    public static final String NAME = "lattice";

    /** LATTICE's settings, MMRec's names (embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (MMRec's embedding_size, also the projected feature width)", min = 1) int dim,
            @Key(doc = "LightGCN layer widths; only the number of layers is used with cf_model lightgcn", min = 1) int[] weightSize,
            @Key(doc = "Neighbours per item in the frozen and the learned item-item kNN graphs", min = 1) int knnK,
            @Key(doc = "Weight lambda of the frozen graph in the item graph (1 - lambda on the learned one)", min = 0, max = 1) float lambdaCoeff,
            @Key(doc = "Propagations of the item ID embeddings over the item-item graph", min = 0) int nLayers,
            @Key(doc = "Collaborative part: lightgcn (theirs by default) or mf", choices = {"lightgcn", "mf"}) String cfModel,
            @Key(doc = "L2 weight on the batch's final rows (sum of squares / 2 / nominal batch)", min = 0) float regWeight) {

        public static final Config DEFAULTS = new Config(64, new int[] {64, 64}, 10, 0.9f, 1, "lightgcn", 0f);

        public Config {
            weightSize = weightSize.clone();
        }

        @Override
        public int[] weightSize() {
            return weightSize.clone();
        }
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "LATTICE (Zhang et al. 2021): learned item-item kNN graphs from projected features, mixed with the frozen ones",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of()), (config, data, rng) -> new Lattice(data, config, rng))
            // LATTICE.yaml's learning_rate grid starts at 1e-4; overall.yaml's batch 2048.
            .withTrainingDefaults(Map.of("lr", 1e-4, "batch", 2048))
            // TikTok: lr 5e-4, where 1e-4 barely moves in 26 epochs (class Javadoc)
            .withPresetTraining("tiktok", Map.of("lr", 5e-4));

    private static final float NORMALIZE_EPS = 1e-12f;

    private final Config config;
    private final int users;
    private final int items;
    private final Embedding userEmbedding;
    private final Embedding itemIdEmbedding;
    private final List<Embedding> featureTables = new ArrayList<>();
    private final List<Linear> projections = new ArrayList<>();
    private final Parameter modalWeight;
    private final List<CsrMatrix> originalGraphs = new ArrayList<>();
    private final CsrMatrix normAdj;
    /** Which entries each modality's learned kNN graph keeps, chosen at the start of the epoch. */
    private List<CsrMatrix> learnedPatterns;
    /** The item graph of the current epoch, detached, and the context it was built in. */
    private CsrMatrix itemGraph;
    private EpochContext builtFor;

    public Lattice(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = ModalityFeatures.require(data, NAME);
        this.config = config;
        this.users = data.users();
        this.items = data.items();
        this.normAdj = rowNormalizedWithSelfLoops(data.train());
        // Their order: user_embedding, item_id_embedding, the feature tables, the trs layers, modal_weight.
        this.userEmbedding = register(new Embedding("user_embedding", Init.xavierUniform(users, config.dim(), rng)));
        this.itemIdEmbedding = register(new Embedding("item_id_embedding", Init.xavierUniform(items, config.dim(), rng)));
        for (FeatureMatrix f : modalities) {
            Tensor raw = ModalityFeatures.tensor(f);
            originalGraphs.add(frozenGraph(raw, config.knnK()));
            featureTables.add(register(new Embedding(f.name() + "_embedding", raw)));
        }
        for (FeatureMatrix f : modalities) {
            projections.add(register(Linear.pytorchDefault(f.name() + "_trs", f.cols(), config.dim(), rng)));
        }
        float[] half = new float[modalities.size()];
        Arrays.fill(half, 0.5f);
        this.modalWeight = parameter("modal_weight", Tensor.fromArray(1, half.length, half));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** D⁻¹(A + I) over the (U+I)-node bipartite graph (their {@code get_adj_mat}). */
    static CsrMatrix rowNormalizedWithSelfLoops(Interactions train) {
        int n = train.users() + train.items();
        int e = train.size();
        int[] pu = train.pairUsers();
        int[] pi = train.pairItems();
        int[] r = new int[2 * e + n];
        int[] c = new int[2 * e + n];
        float[] v = new float[2 * e + n];
        Arrays.fill(v, 1f);
        for (int k = 0; k < e; k++) {
            r[2 * k] = pu[k];
            c[2 * k] = train.users() + pi[k];
            r[2 * k + 1] = train.users() + pi[k];
            c[2 * k + 1] = pu[k];
        }
        for (int i = 0; i < n; i++) {
            r[2 * e + i] = i;
            c[2 * e + i] = i;
        }
        return CsrMatrix.fromCoo(n, n, r, c, v, CsrMatrix.Duplicates.SUM).rowNormalized();
    }

    /** The kNN pattern (k largest cosine similarities per row, ties to the lower column) of the rows of x. */
    private static CsrMatrix knnPattern(Tensor x, int k) {
        return Tapes.inference(tape -> {
            Var v = tape.constant(x);
            return CsrMatrix.topKPerRow(tape.cosineSimilarity(v, v, NORMALIZE_EPS).value(), k);
        });
    }

    /** A frozen graph: the kNN similarities of the raw features with their values, D^-½SD^-½. */
    public static CsrMatrix frozenGraph(Tensor features, int k) {
        return knnPattern(features, k).symmetricNormalized();
    }

    /** The union of same-shape patterns, and each part's entry positions in it. */
    private record Union(CsrMatrix structure, int[][] positions) {
        static Union of(List<CsrMatrix> parts) {
            CsrMatrix first = parts.get(0);
            int nnz = parts.stream().mapToInt(CsrMatrix::nnz).sum();
            int[] r = new int[nnz];
            int[] c = new int[nnz];
            int k = 0;
            for (CsrMatrix p : parts) {
                System.arraycopy(p.rowIdx(), 0, r, k, p.nnz());
                System.arraycopy(p.colIdx(), 0, c, k, p.nnz());
                k += p.nnz();
            }
            CsrMatrix u = CsrMatrix.fromCoo(first.rows(), first.cols(), r, c, new float[nnz], CsrMatrix.Duplicates.SUM);
            int[][] positions = new int[parts.size()][];
            for (int j = 0; j < parts.size(); j++) {
                CsrMatrix p = parts.get(j);
                int[] rows = p.rowIdx();
                int[] pos = new int[p.nnz()];
                for (int e = 0; e < pos.length; e++) {
                    int row = rows[e];
                    pos[e] = Arrays.binarySearch(u.colIdx(), u.rowPtr()[row], u.rowPtr()[row + 1], p.colIdx()[e]);
                }
                positions[j] = pos;
            }
            return new Union(u, positions);
        }
    }

    /** A sparse graph with differentiable values (nnz × 1, in the structure's storage order). */
    private record Graph(CsrMatrix structure, Var values) {
    }

    /**
     * The item graph A = (1 − λ)·L + λ·Σ w_m A_m^orig of the current weights, recorded on
     * {@code tape} (with gradients when it records).
     */
    private Graph buildItemGraph(Tape tape, List<CsrMatrix> givenPatterns) {
        int m = featureTables.size();
        Var w = tape.softmax(tape.param(modalWeight));
        List<CsrMatrix> patterns = new ArrayList<>();
        List<Var> sims = new ArrayList<>();
        for (int j = 0; j < m; j++) {
            Var p = projections.get(j).forward(tape, featureTables.get(j).all(tape));
            Var normalized = tape.rowL2Normalize(p, NORMALIZE_EPS);
            CsrMatrix knn = givenPatterns != null ? givenPatterns.get(j) : knnPattern(p.value(), config.knnK());
            patterns.add(knn);
            sims.add(tape.rowDot(tape.gatherRows(normalized, knn.rowIdx()), tape.gatherRows(normalized, knn.colIdx())));
        }
        // L = D^-½ (Σ w_m S_m) D^-½ over the union of the learned patterns
        Union learned = Union.of(patterns);
        int nnzL = learned.structure().nnz();
        Var mixed = null;
        for (int j = 0; j < m; j++) {
            Var part = tape.mul(tape.scatterAddRows(sims.get(j), learned.positions()[j], nnzL), tape.sliceCols(w, j, j + 1));
            mixed = mixed == null ? part : tape.add(mixed, part);
        }
        int[] rowsL = learned.structure().rowIdx();
        Var dInvSqrt = tape.rsqrt(tape.scatterAddRows(mixed, rowsL, items));
        Var laplacian = tape.mul(tape.mul(tape.gatherRows(dInvSqrt, rowsL), mixed),
                tape.gatherRows(dInvSqrt, learned.structure().colIdx()));
        // A over the union of L's pattern and the frozen graphs'
        List<CsrMatrix> all = new ArrayList<>();
        all.add(learned.structure());
        all.addAll(originalGraphs);
        Union union = Union.of(all);
        int nnz = union.structure().nnz();
        Var values = tape.scale(tape.scatterAddRows(laplacian, union.positions()[0], nnz), 1f - config.lambdaCoeff());
        for (int j = 0; j < m; j++) {
            CsrMatrix g = originalGraphs.get(j);
            Var frozen = tape.scatterAddRows(tape.constant(g.nnz(), 1, g.values()), union.positions()[j + 1], nnz);
            values = tape.add(values, tape.mul(tape.scale(frozen, config.lambdaCoeff()), tape.sliceCols(w, j, j + 1)));
        }
        return new Graph(union.structure(), values);
    }

    /**
     * Chooses the learned graphs' kNN entries from the current weights, which are the weights of
     * the epoch's first batch, where theirs chooses them: the same entries, with the selection
     * (piecewise constant in the weights) kept out of the batch loss's recorded computation.
     */
    @Override
    public Map<String, Double> beforeEpoch(EpochContext context) {
        context.timer().time("knn_selection", () -> {
            learnedPatterns = Tapes.inference(tape -> {
                List<CsrMatrix> patterns = new ArrayList<>();
                for (int j = 0; j < featureTables.size(); j++) {
                    Var p = projections.get(j).forward(tape, tape.constant(featureTables.get(j).value()));
                    patterns.add(knnPattern(p.value(), config.knnK()));
                }
                return patterns;
            });
        });
        return Map.of();
    }

    /** The item graph the given context trains on: built (with gradients) at its first batch, then detached. */
    private Graph itemGraph(Tape tape, EpochContext context) {
        if (context != builtFor || itemGraph == null) {
            Graph g = buildItemGraph(tape, learnedPatterns);
            itemGraph = g.structure().withValues(g.values().value().toArray());
            builtFor = context;
            return g;
        }
        return new Graph(itemGraph, tape.constant(itemGraph.nnz(), 1, itemGraph.values()));
    }

    /** The current epoch's item graph (detached), or null before the first batch. */
    public CsrMatrix currentItemGraph() {
        return itemGraph;
    }

    /** The user–item graph propagated over, D⁻¹(A + I). */
    public CsrMatrix normalizedGraph() {
        return normAdj;
    }

    /** [users; items] final rows: LightGCN (or the ID tables for mf) plus normalize(A^n·e_item) on the items. */
    private Var forward(Tape tape, Graph graph, Var userIds, Var itemIds) {
        Var h = itemIds;
        for (int l = 0; l < config.nLayers(); l++) {
            h = tape.spmm(graph.structure(), graph.values(), h);
        }
        h = tape.rowL2Normalize(h, NORMALIZE_EPS);
        Var ego = tape.concatRows(userIds, itemIds);
        Var cf = config.cfModel().equals("mf") ? ego
                : GraphPropagation.layerMean(tape, normAdj, ego, config.weightSize().length);
        return tape.concatRows(tape.sliceRows(cf, 0, users), tape.add(tape.sliceRows(cf, users, users + items), h));
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Graph graph = itemGraph(tape, context);
        Var all = forward(tape, graph, userEmbedding.all(tape), itemIdEmbedding.all(tape));
        Var u = tape.gatherRows(all, b.users());
        Var p = tape.gatherRows(all, Indices.offset(b.positives(), users));
        Var n = tape.gatherRows(all, Indices.offset(b.negatives(), users));
        Var bpr = Losses.bpr(tape, u, p, n, b.size());
        Var reg = tape.scale(Losses.squaredNorm(tape, u, p, n), config.regWeight() / (2f * context.nominalBatchSize()));
        return LossTerms.of(tape.add(bpr, reg), "bpr", bpr, "reg", reg);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Graph graph = buildItemGraph(tape, null);
            Var all = forward(tape, graph, tape.constant(userEmbedding.value()), tape.constant(itemIdEmbedding.value()));
            return EmbeddingScorer.split(tape, all, users);
        });
    }
}
