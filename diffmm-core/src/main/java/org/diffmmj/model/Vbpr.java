package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.nn.Embedding;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.tensor.Tensor;

/**
 * VBPR (He, McAuley, "VBPR: Visual Bayesian Personalized Ranking from Implicit Feedback", AAAI
 * 2016) in MMRec's "recommended version": enoche/MMRec@e775373 {@code src/models/vbpr.py}
 * ({@code VBPR.__init__}, {@code forward}, {@code calculate_loss}, {@code full_sort_predict}),
 * {@code src/common/loss.py} ({@code BPRLoss}, {@code EmbLoss}), {@code src/common/init.py}; pinned
 * by {@code VbprParityTest}. No authors' code was checked (none is published with the paper).
 *
 * <p>A user is one free vector of width 2d; an item is [e_i ; W·f_i + b], its free d-wide ID
 * embedding beside a linear projection of its concatenated modality features f_i; the score is
 * their dot product. Loss: BPR on (user, pos, neg) + reg_weight · (‖U‖ + ‖P‖ + ‖N‖) / B, MMRec's
 * {@code EmbLoss} (unsquared Frobenius norms) over the batch's full 2d-wide rows, projection
 * included. Initialisation as MMRec's: both tables Xavier-uniform ({@code nn.Parameter}s, which
 * its {@code xavier_normal_initialization} does not reach), the projection's weight Xavier-normal
 * and its bias zero.
 *
 * <p>Departures, all MMRec's or ours by necessity:
 * <ul>
 * <li>No bias terms: the paper's global, user, item and visual bias terms (β_i, β'·f_i) are
 * absent from MMRec's version, which we follow; its γ_u·θ_i visual factor and γ_u·γ_i latent
 * factor are the two halves of the 2d-wide dot product.</li>
 * <li>Any number of modalities: MMRec concatenates {@code (t_feat, v_feat)} (or whichever one
 * exists); we concatenate every modality of the dataset in its order (feature files sorted by
 * name: image before text), a permutation of the projection's input columns and nothing else.
 * One modality alone works.</li>
 * <li>MMRec's {@code forward(dropout)} is only ever called with 0, so no dropout key.</li>
 * <li>BPR is −mean log σ(Δ), MMRec's −mean log(1e-10 + σ(Δ)) (see {@link Ngcf}).</li>
 * <li>The projection is applied to the batch's item rows only (it is row-wise, so values and
 * gradients equal MMRec's projection of every item followed by the gather).</li>
 * </ul>
 * Defaults: MMRec's {@code VBPR.yaml} ({@code embedding_size 64}; {@code reg_weight} is a grid
 * [2.0, 1.0, 0.1, …, 1e-5], of which the first, 2.0, is the default) and {@code overall.yaml}
 * (Adam, lr 1e-3, batch 2048). The {@code tiktok} preset is those reference defaults: neither the
 * paper nor MMRec gives TikTok settings (DiffMM's paper gives none for its baselines).
 */
public final class Vbpr extends Module implements Recommender {

    public static final String NAME = "vbpr";

    /** VBPR's settings, MMRec's names (its embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "ID embedding size d (MMRec's embedding_size); users are 2d wide", min = 1) int dim,
            @Key(doc = "Weight of MMRec's EmbLoss (unsquared norms / batch) on the batch's rows", min = 0) float regWeight) {
        public static final Config DEFAULTS = new Config(64, 2.0f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "VBPR (He & McAuley 2016, MMRec's version): ID embedding beside a linear projection of the item features",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of()), (config, data, rng) -> new Vbpr(data, config, rng))
            // MMRec's overall.yaml: Adam, lr 1e-3 (ours already), batch 2048.
            .withTrainingDefaults(Map.of("batch", 2048));

    private final Config config;
    private final Embedding userEmbedding;
    private final Embedding itemEmbedding;
    private final Linear itemLinear;
    private final Tensor features;

    public Vbpr(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = ModalityFeatures.require(data, NAME);
        this.config = config;
        // MMRec's order: u_embedding, i_embedding, item_linear.
        this.userEmbedding = register(new Embedding("u_embedding", Init.xavierUniform(data.users(), 2 * config.dim(), rng)));
        this.itemEmbedding = register(new Embedding("i_embedding", Init.xavierUniform(data.items(), config.dim(), rng)));
        this.features = ModalityFeatures.concatenated(modalities);
        this.itemLinear = register(new Linear("item_linear", Init.xavierNormal(features.cols(), config.dim(), rng),
                Tensor.zeros(1, config.dim())));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** [e_i ; W·f_i + b] for the given items. */
    private Var items(Tape tape, Var idTable, Var featureTable, int[] ids) {
        Var projected = itemLinear.forward(tape, ids == null ? featureTable : tape.gatherRows(featureTable, ids));
        return tape.concatCols(ids == null ? idTable : tape.gatherRows(idTable, ids), projected);
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        Var ids = itemEmbedding.all(tape);
        Var f = tape.constant(features);
        Var u = userEmbedding.rows(tape, b.users());
        Var p = items(tape, ids, f, b.positives());
        Var n = items(tape, ids, f, b.negatives());
        Var bpr = Losses.bpr(tape, u, p, n, b.size());
        Var reg = tape.scale(Losses.embLoss(tape, b.size(), u, p, n), config.regWeight());
        return LossTerms.of(tape.add(bpr, reg), "bpr", bpr, "reg", reg);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var items = items(tape, tape.constant(itemEmbedding.value()), tape.constant(features), null);
            return new EmbeddingScorer(userEmbedding.value().copy(), items.value().copy());
        });
    }

    @Override
    public void close() {
        features.close();
    }
}
