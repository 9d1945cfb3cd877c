package org.diffmmj.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.Interactions;
import org.diffmmj.graph.InteractionGraphs;
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
 * FREEDOM (Zhou, Shen, "A Tale of Two Graphs: Freezing and Denoising Graph Structures for
 * Multimodal Recommendation", ACM MM 2023) as enoche/FREEDOM@6f896e2 {@code src/models/freedom.py}
 * computes it; MMRec's copy (enoche/MMRec@e775373 {@code src/models/freedom.py}) is the same file
 * apart from its header line, and so are the two {@code FREEDOM.yaml}s (checked with diff). Pinned
 * by {@code FreedomParityTest}.
 *
 * <ul>
 * <li><b>Frozen item–item graph</b> ({@code get_knn_adj_mat}, {@code compute_normalized_laplacian}):
 * per modality, the cosine similarities of the raw features, each item's {@code knn_k} most
 * similar items (itself included) as 1-valued edges, D^-½AD^-½ with D the row sums (each is k);
 * the modalities' graphs mixed by weight into A_mm, built once.</li>
 * <li><b>Degree-sensitive edge pruning</b> ({@code pre_epoch_processing}): before each epoch,
 * int(|E|·(1 − dropout)) training edges are drawn without replacement with probability ∝
 * 1/√(d_u·d_i) (torch.multinomial's sequential draw; ours by Efraimidis–Spirakis keys
 * log(U)/w, the same distribution), and the kept edges are re-normalised as D^-½AD^-½ of the
 * kept bipartite graph. {@code dropout} is the share of edges <em>dropped</em>.</li>
 * <li><b>Forward</b>: h = A_mm^{n_mm_layers}·e_item; LightGCN's mean over layers
 * 0..n_ui_layers on the pruned graph (scoring: the full graph); item = LightGCN item + h.</li>
 * <li><b>Loss</b>: BPR (−mean log σ, F.logsigmoid as theirs) on the final rows + reg_weight ·
 * Σ_m BPR(u, trs_m(x_m)[pos], trs_m(x_m)[neg]), u the propagated user rows, x_m the modality's
 * feature table, <b>fine-tuned</b> as theirs ({@code nn.Embedding.from_pretrained(freeze=False)}),
 * and trs_m a Linear to d with PyTorch's default initialisation; user and item ID tables
 * Xavier-uniform. With reg_weight 0 (the default) these terms are multiplied by 0 in theirs, so
 * their feature tables and projections get zero gradients and Adam leaves them as they are;
 * here the terms are then not built and those tables are not parameters (the same training,
 * without the dead work; the projections' initial draws are still taken, so the ID tables do not
 * depend on reg_weight).</li>
 * </ul>
 *
 * <p>Any number of modalities (theirs: image and/or text). The mixing weights generalise
 * {@code mm_image_weight}: it is the weight of the modality named {@code image} (their v_feat), and
 * the other modalities share 1 − mm_image_weight equally; a dataset with one modality uses its
 * graph alone (weight 1, as theirs with one feature file), and one with several but no
 * {@code image} weighs them equally. On image + text this is theirs exactly (0.1·image +
 * 0.9·text); on TikTok (audio, image) audio takes text's 0.9.
 *
 * <p>Departures: a feature row of norm 0 gives zero similarities here (cosine with eps 1e-8)
 * where theirs divides by 0 (NaN); ties among equal similarities go to the lower item index
 * (torch.topk's order among ties is unspecified); the degrees' +1e-7 is left out (1/(k+1e-7)
 * vs 1/k, a relative 1e-8); the graph is not cached to a {@code .pt} file; the feature
 * projections run on the batch's rows only (row-wise, so the same values and gradients). Unused
 * keys of their YAML and constructor ({@code feat_embed_dim}, which must equal
 * {@code embedding_size} because the projected features meet the user embeddings in a dot
 * product, {@code lambda_coeff}, {@code cf_model}, {@code weight_size}, {@code degree_ratio})
 * are not keys here. Their edge draws come from torch's generator and ours from ours, so the
 * pruned graphs match in distribution, not draw for draw ({@code FreedomTest} checks the
 * frequencies and the re-normalisation by hand).
 *
 * <p>Defaults: {@code FREEDOM.yaml} ({@code embedding_size 64}, {@code knn_k 10},
 * {@code n_mm_layers 1}, {@code n_ui_layers 2}, {@code mm_image_weight 0.1}; the grids
 * {@code dropout [0.8, 0.9]} and {@code reg_weight [0.0, 1e-5, 1e-4, 1e-3]} give their first
 * values, 0.8 and 0.0 — with reg_weight 0 the modality BPR terms vanish and the feature tables
 * and projections stay as initialised) and {@code overall.yaml} (Adam, lr 1e-3, batch 2048).
 * The {@code tiktok} preset is those reference defaults: FREEDOM's paper has no TikTok experiment.
 */
public final class Freedom extends Module implements Recommender {

    public static final String NAME = "freedom";

    /** FREEDOM's settings, its names (embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (FREEDOM's embedding_size, also the features' projected width)", min = 1) int dim,
            @Key(doc = "Neighbours per item in each modality's frozen item-item kNN graph", min = 1) int knnK,
            @Key(doc = "Propagations of the item ID embeddings over the item-item graph", min = 0) int nMmLayers,
            @Key(doc = "LightGCN layers over the user-item graph", min = 0) int nUiLayers,
            @Key(doc = "Weight of the 'image' modality's kNN graph; the others share the rest equally", min = 0, max = 1) float mmImageWeight,
            @Key(doc = "Share of user-item edges dropped each epoch by degree-sensitive pruning", min = 0, max = 1, maxExclusive = true) double dropout,
            @Key(doc = "Weight of the modality BPR terms (user vs projected features)", min = 0) float regWeight) {
        public static final Config DEFAULTS = new Config(64, 10, 1, 2, 0.1f, 0.8, 0f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "FREEDOM (Zhou & Shen 2023): frozen feature kNN item graph, degree-sensitive pruning of the user-item graph",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of()), (config, data, rng) -> new Freedom(data, config, rng))
            .withTrainingDefaults(Map.of("batch", 2048));

    private final Config config;
    private final int users;
    private final int items;
    private final Embedding userEmbedding;
    private final Embedding itemIdEmbedding;
    private final List<Embedding> featureTables = new ArrayList<>();
    private final List<Linear> projections = new ArrayList<>();
    private final CsrMatrix normAdj;
    private final CsrMatrix mmAdj;
    private final int[] edgeUsers;
    private final int[] edgeItems;
    private final double[] edgeValues;
    private CsrMatrix maskedAdj;

    public Freedom(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = ModalityFeatures.require(data, NAME);
        this.config = config;
        this.users = data.users();
        this.items = data.items();
        Interactions train = data.train();
        this.normAdj = InteractionGraphs.withoutSelfLoops(train);
        this.edgeUsers = train.pairUsers();
        this.edgeItems = train.pairItems();
        this.edgeValues = new double[edgeUsers.length];
        for (int e = 0; e < edgeUsers.length; e++) {
            edgeValues[e] = 1 / Math.sqrt((double) train.userDegree(edgeUsers[e]) * train.itemDegree(edgeItems[e]));
        }
        // Their order: user_embedding, item_id_embedding, then per modality its table and trs.
        this.userEmbedding = register(new Embedding("user_embedding", Init.xavierUniform(users, config.dim(), rng)));
        this.itemIdEmbedding = register(new Embedding("item_id_embedding", Init.xavierUniform(items, config.dim(), rng)));
        List<CsrMatrix> graphs = new ArrayList<>();
        for (FeatureMatrix f : modalities) {
            Tensor raw = ModalityFeatures.tensor(f);
            graphs.add(knnGraph(raw, config.knnK()));
            Linear trs = Linear.pytorchDefault(f.name() + "_trs", f.cols(), config.dim(), rng);
            if (config.regWeight() > 0) {
                featureTables.add(register(new Embedding(f.name() + "_embedding", raw)));
                projections.add(register(trs));
            } else {
                raw.close();
            }
        }
        this.mmAdj = weightedSum(graphs, mixingWeights(modalities.stream().map(FeatureMatrix::name).toList(),
                config.mmImageWeight()));
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * The modalities' weights in the item–item mix: {@code imageWeight} for a modality named
     * {@code image} and (1 − imageWeight)/(M − 1) for each other; 1 for a lone modality; 1/M each
     * when none is named image.
     */
    public static float[] mixingWeights(List<String> modalities, float imageWeight) {
        int m = modalities.size();
        float[] w = new float[m];
        int image = modalities.indexOf("image");
        if (m == 1) {
            w[0] = 1f;
        } else if (image < 0) {
            Arrays.fill(w, 1f / m);
        } else {
            Arrays.fill(w, (1f - imageWeight) / (m - 1));
            w[image] = imageWeight;
        }
        return w;
    }

    /**
     * {@code get_knn_adj_mat}: cosine similarities of the rows, each row's k largest as 1-valued
     * edges (ties to the lower column), then D^-½AD^-½ over the row sums.
     */
    public static CsrMatrix knnGraph(Tensor features, int k) {
        return Tapes.inference(tape -> {
            Var f = tape.constant(features);
            CsrMatrix top = CsrMatrix.topKPerRow(tape.cosineSimilarity(f, f).value(), k);
            float[] ones = new float[top.nnz()];
            Arrays.fill(ones, 1f);
            return top.withValues(ones).symmetricNormalized();
        });
    }

    /** Σ_m w_m·A_m over the union of the patterns (torch's sparse sum). */
    static CsrMatrix weightedSum(List<CsrMatrix> graphs, float[] weights) {
        if (graphs.size() == 1 && weights[0] == 1f) {
            return graphs.get(0);
        }
        int n = graphs.get(0).rows();
        int nnz = graphs.stream().mapToInt(CsrMatrix::nnz).sum();
        int[] r = new int[nnz];
        int[] c = new int[nnz];
        float[] v = new float[nnz];
        int k = 0;
        for (int g = 0; g < graphs.size(); g++) {
            CsrMatrix a = graphs.get(g);
            int[] rows = a.rowIdx();
            for (int p = 0; p < a.nnz(); p++, k++) {
                r[k] = rows[p];
                c[k] = a.colIdx()[p];
                v[k] = weights[g] * a.values()[p];
            }
        }
        return CsrMatrix.fromCoo(n, graphs.get(0).cols(), r, c, v, CsrMatrix.Duplicates.SUM);
    }

    /** The frozen item–item graph A_mm. */
    public CsrMatrix itemGraph() {
        return mmAdj;
    }

    /** The full normalised user–item graph (scoring's). */
    public CsrMatrix normalizedGraph() {
        return normAdj;
    }

    /** The graph the current epoch trains on: the pruned one once an epoch has begun, else the full one. */
    public CsrMatrix trainingGraph() {
        return maskedAdj == null ? normAdj : maskedAdj;
    }

    @Override
    public Map<String, Double> beforeEpoch(EpochContext context) {
        Rng rng = context.rng().split();
        context.timer().time("edge_pruning", () -> {
            maskedAdj = prune(rng);
        });
        return Map.of();
    }

    /** The training edges kept by one degree-sensitive draw (indices into the user-major pairs). */
    public int[] keptEdges(Rng rng) {
        int total = edgeValues.length;
        int keep = (int) (total * (1. - config.dropout()));
        // Efraimidis–Spirakis: the `keep` largest log(U)/w are a weighted draw without replacement.
        double[] keys = new double[total];
        Integer[] order = new Integer[total];
        for (int e = 0; e < total; e++) {
            keys[e] = Math.log(1 - rng.nextDouble()) / edgeValues[e];
            order[e] = e;
        }
        Arrays.sort(order, (a, b) -> Double.compare(keys[b], keys[a]));
        int[] kept = new int[keep];
        for (int j = 0; j < keep; j++) {
            kept[j] = order[j];
        }
        Arrays.sort(kept);
        return kept;
    }

    private CsrMatrix prune(Rng rng) {
        if (config.dropout() <= 0) {
            return normAdj;
        }
        return graphOfEdges(keptEdges(rng));
    }

    /**
     * The sampling weights 1/√(d_u·d_i) of the training edges, aligned with the training split's
     * {@code pairUsers()}/{@code pairItems()} (their {@code get_edge_info}).
     */
    public double[] edgeWeights() {
        return edgeValues.clone();
    }

    /** D^-½AD^-½ of the bipartite graph of the given training edges (indices as {@link #edgeWeights()}). */
    public CsrMatrix graphOfEdges(int[] kept) {
        int[] u = new int[kept.length];
        int[] i = new int[kept.length];
        for (int j = 0; j < kept.length; j++) {
            u[j] = edgeUsers[kept[j]];
            i[j] = edgeItems[kept[j]];
        }
        return CsrMatrix.normalizedBipartiteNoSelfLoops(users, items, u, i);
    }

    /** Trains on {@code graph} (a (U+I)×(U+I) user–item graph) until the next epoch prunes anew. */
    public void useTrainingGraph(CsrMatrix graph) {
        int n = users + items;
        if (graph.rows() != n || graph.cols() != n) {
            throw new IllegalArgumentException("need a " + n + "×" + n + " graph, got " + graph.rows() + "×" + graph.cols());
        }
        maskedAdj = graph;
    }

    /** LightGCN's mean over layers 0..n_ui_layers of [users; item IDs] on {@code adj}. */
    private Var propagate(Tape tape, CsrMatrix adj, Var userIds, Var itemIds) {
        return GraphPropagation.layerMean(tape, adj, tape.concatRows(userIds, itemIds), config.nUiLayers());
    }

    /** h = A_mm^{n_mm_layers}·e_item. */
    private Var itemSide(Tape tape, Var itemIds) {
        Var h = itemIds;
        for (int l = 0; l < config.nMmLayers(); l++) {
            h = tape.spmm(mmAdj, h);
        }
        return h;
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Var itemIds = itemIdEmbedding.all(tape);
        Var all = propagate(tape, trainingGraph(), userEmbedding.all(tape), itemIds);
        Var h = itemSide(tape, itemIds);
        Var u = tape.gatherRows(all, b.users());
        Var p = tape.add(tape.gatherRows(all, Indices.offset(b.positives(), users)), tape.gatherRows(h, b.positives()));
        Var n = tape.add(tape.gatherRows(all, Indices.offset(b.negatives(), users)), tape.gatherRows(h, b.negatives()));
        Var bpr = Losses.bpr(tape, u, p, n, b.size());
        Var mm = null;
        for (int m = 0; m < featureTables.size(); m++) {
            Linear trs = projections.get(m);
            Var fp = trs.forward(tape, featureTables.get(m).rows(tape, b.positives()));
            Var fn = trs.forward(tape, featureTables.get(m).rows(tape, b.negatives()));
            Var term = Losses.bpr(tape, u, fp, fn, b.size());
            mm = mm == null ? term : tape.add(mm, term);
        }
        if (mm == null) {
            return LossTerms.of(bpr, "bpr", bpr);
        }
        Var reg = tape.scale(mm, config.regWeight());
        return LossTerms.of(tape.add(bpr, reg), "bpr", bpr, "mm", reg);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var itemIds = tape.constant(itemIdEmbedding.value());
            Var all = propagate(tape, normAdj, tape.constant(userEmbedding.value()), itemIds);
            Var itemsOut = tape.add(tape.sliceRows(all, users, users + items), itemSide(tape, itemIds));
            return new EmbeddingScorer(tape.sliceRows(all, 0, users).value().copy(), itemsOut.value().copy());
        });
    }
}
