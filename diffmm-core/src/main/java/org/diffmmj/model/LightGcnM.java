package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
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
 * LightGCN-M ("LGCN-M" in DiffMM's Table 1, "LightGCN-M" in MMSSL's): LightGCN (He et al., SIGIR
 * 2020) whose item ego embeddings also carry the item's projected multi-modal features. No
 * reference code or written definition exists (HKUDS' MMSSL and DiffMM repositories only name it in
 * a results table; see shared/docs/baselines.md), so the form is ours, stated exactly:
 *
 * <pre>
 *   E_u^(0) = e_u                                   (free, d wide)
 *   E_i^(0) = e_i + W·[f_i^1 ; … ; f_i^M] + b       (free ID embedding + one Linear of the
 *                                                    concatenated features of every modality)
 *   E^(l+1) = D^-½ A D^-½ · E^(l),   E = mean_{l=0..L} E^(l),   score(u, i) = ⟨E_u, E_i⟩
 *   loss    = BPR(E_u, E_p, E_n) + reg_weight · (‖E_u^(0)‖ + ‖E_p^(0)‖ + ‖E_n^(0)‖) / B
 * </pre>
 *
 * One Linear on the concatenation equals a sum of per-modality projections (with one shared
 * bias), the form VBPR's MMRec code uses for its item side ({@link Vbpr}); any number of
 * modalities, one alone included, in the dataset's order.
 *
 * <p>Everything else is MMRec's LightGCN, enoche/MMRec@e775373 {@code src/models/lightgcn.py}
 * ({@code get_norm_adj_mat}, {@code forward}, {@code calculate_loss}) with
 * {@code src/common/loss.py}: the symmetric normalised graph without self loops, the mean over
 * layers 0..L, BPR on the propagated rows, and {@code EmbLoss} (unsquared Frobenius norms / B) on
 * the batch's ego rows — here the whole ego rows E^(0), projection included, as VBPR's
 * {@code EmbLoss} covers its projected half. Initialisation: the ID tables Xavier-uniform
 * (MMRec's LightGCN), the projection Xavier-normal with zero bias (MMRec's
 * {@code xavier_normal_initialization}, as its VBPR's {@code item_linear}). The parity test
 * ({@code LightGcnMParityTest}) pins the whole model against MMRec's LightGCN class as published,
 * subclassed in tools/parity/lgcnm_fixtures.py only to add the projection to its ego item rows
 * and to take EmbLoss over those rows (for that part there is no reference to test against).
 *
 * <p>Departures: BPR is −mean log σ(Δ), MMRec's −mean log(1e-10 + σ(Δ)) (see {@link Ngcf}); the
 * degree's +1e-7 is left out (a relative 5e-8 change on a weight). Unlike this project's
 * {@code lightgcn} (the paper's squared L2), the reg term is MMRec's, since MMRec is the toolkit
 * its multi-modal baselines are compared in. Defaults: MMRec's {@code LightGCN.yaml} grids
 * {@code n_layers [1, 2, 3, 4]} and {@code reg_weight [1e-2, …, 1e-6]} give their first values,
 * 1 and 1e-2; {@code embedding_size 64}; {@code overall.yaml}'s Adam, lr 1e-3, batch 2048. The
 * {@code tiktok} preset is those reference defaults with lr 5e-3 (no paper gives LGCN-M's
 * settings): at lr 1e-3 the projected features' large initial scores (BPR 3.36 at epoch 0) take
 * the whole budget to unlearn on TikTok (seed 421: test Recall@20 0.0568, stopped at epoch 175, below
 * DiffMM's Table 1 row 0.0679); at 5e-3 (the top of the learning-rate grids MMRec searches for its
 * multi-modal models, e.g. LATTICE.yaml's {@code [1e-4, 5e-4, 1e-3, 5e-3]}; its LightGCN uses
 * overall.yaml's 1e-3) three seeds reach 0.0673 ± 0.0031 (validation-selected, seeds 421, 7, 2024).
 */
public final class LightGcnM extends Module implements Recommender {

    public static final String NAME = "lgcn-m";

    /** LGCN-M's settings, MMRec's LightGCN names (its embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (MMRec's embedding_size)", min = 1) int dim,
            @Key(doc = "Propagation layers L", min = 0) int nLayers,
            @Key(doc = "Weight of MMRec's EmbLoss (unsquared norms / batch) on the batch's ego rows", min = 0) float regWeight) {
        public static final Config DEFAULTS = new Config(64, 1, 1e-2f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "LightGCN-M: LightGCN whose item ego embeddings add a linear projection of the item features",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of()), (config, data, rng) -> new LightGcnM(data, config, rng))
            .withTrainingDefaults(Map.of("batch", 2048))
            // TikTok: lr 5e-3, where 1e-3 leaves the projection unlearned (class Javadoc)
            .withPresetTraining("tiktok", Map.of("lr", 5e-3));

    private final Config config;
    private final int users;
    private final Embedding userEmbedding;
    private final Embedding itemEmbedding;
    private final Linear itemLinear;
    private final Tensor features;
    private final CsrMatrix graph;

    public LightGcnM(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = ModalityFeatures.require(data, NAME);
        this.config = config;
        this.users = data.users();
        this.userEmbedding = register(new Embedding("user_emb", Init.xavierUniform(data.users(), config.dim(), rng)));
        this.itemEmbedding = register(new Embedding("item_emb", Init.xavierUniform(data.items(), config.dim(), rng)));
        this.features = ModalityFeatures.concatenated(modalities);
        this.itemLinear = register(new Linear("item_linear", Init.xavierNormal(features.cols(), config.dim(), rng),
                Tensor.zeros(1, config.dim())));
        this.graph = InteractionGraphs.withoutSelfLoops(data.train());
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The normalised user–item graph D^-½AD^-½ propagated over. */
    public CsrMatrix graph() {
        return graph;
    }

    /** [E_u^(0); E_i^(0)]: user IDs over item IDs plus the projected features. */
    private Var ego(Tape tape, Var userIds, Var itemIds) {
        Var items = tape.add(itemIds, itemLinear.forward(tape, tape.constant(features)));
        return tape.concatRows(userIds, items);
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Var ego = ego(tape, userEmbedding.all(tape), itemEmbedding.all(tape));
        Var all = GraphPropagation.layerMean(tape, graph, ego, config.nLayers());
        int[] pos = Indices.offset(b.positives(), users);
        int[] neg = Indices.offset(b.negatives(), users);
        Var bpr = Losses.bpr(tape, tape.gatherRows(all, b.users()), tape.gatherRows(all, pos), tape.gatherRows(all, neg),
                b.size());
        Var reg = tape.scale(Losses.embLoss(tape, b.size(), tape.gatherRows(ego, b.users()), tape.gatherRows(ego, pos),
                tape.gatherRows(ego, neg)), config.regWeight());
        return LossTerms.of(tape.add(bpr, reg), "bpr", bpr, "reg", reg);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var ego = ego(tape, tape.constant(userEmbedding.value()), tape.constant(itemEmbedding.value()));
            return EmbeddingScorer.split(tape, GraphPropagation.layerMean(tape, graph, ego, config.nLayers()), users);
        });
    }

    @Override
    public void close() {
        features.close();
    }
}
