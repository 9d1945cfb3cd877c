package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.config.Key;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.Interactions;
import org.diffmmj.nn.Embedding;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.BatchSource;
import org.diffmmj.sampling.BatchSources;
import org.diffmmj.sampling.NegativesBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * CLCRec (Wei, Wang, Li, Nie, Li, Li, Chua, "Contrastive Learning for Cold-start Recommendation",
 * ACM MM 2021) as the authors' weiyinwei/CLCRec@3670e14 computes it: {@code model_CLCRec.py}
 * ({@code encoder}, {@code loss_contrastive}, {@code forward}, {@code loss}, {@code result}),
 * {@code Dataset.py} ({@code TrainingDataset}: one positive and num_neg negatives per row),
 * {@code main.py} (arguments, Adam). MMRec has no CLCRec. Pinned by {@code ClcrecParityTest}.
 *
 * <ul>
 * <li><b>Tables</b>: one ID table for users and items, (U+I)×d, Xavier-normal over its
 * (U+I, d) shape as theirs ({@code id_embedding}).</li>
 * <li><b>Content encoder</b> ({@code encoder}): the row-normalised modality features side by
 * side, Linear(→encoder_hidden; theirs writes 256 in the code, here it is a key), LeakyReLU(0.01),
 * Linear(→d); nn.Linear's default initialisation. The
 * features are fixed (theirs are tensors, not parameters).</li>
 * <li><b>Batch</b>: every training interaction once with num_neg negatives, drawn among the
 * <em>warm</em> items (those with a training interaction) the user has not interacted with in
 * training; rows [positive, negatives...] per interaction.</li>
 * <li><b>Loss</b>, with c(s) = −log(exp(s_pos) / Σ_group exp(s)) per interaction (their
 * {@code loss_contrastive}, un-shifted exp as theirs) and τ = temp_value:
 * L1 = mean c(⟨n(e_pos), n(f_j)⟩/τ), the positive item's normalised ID embedding against the
 * normalised content embeddings f of the group's items (item–item, ID vs content);
 * L2 = mean c(⟨e_u, x_j⟩/τ), the un-normalised user against the group's items, x_j the item's ID
 * embedding except for int(R·num_sample) rows drawn with replacement (R the rows of the batch)
 * whose content embedding replaces it (the hybrid user–item term);
 * loss = lr_lambda·L1 + (1 − lr_lambda)·L2 + reg_weight·(mean_r ‖e_u‖ + mean_r ‖e_j‖)/2 over all
 * R rows (users repeated per row, as theirs).</li>
 * <li><b>Scoring</b> ({@code self.result}): users' ID embeddings against the warm items' ID
 * embeddings and the <b>cold</b> items' content embeddings, so items without a training
 * interaction are ranked by their features.</li>
 * </ul>
 *
 * <p>Any number of modalities: theirs concatenates v, a, t (whichever has_v/has_a/has_t enable);
 * here every modality of the dataset, in the authors' order (image, audio, text, then any other
 * in the dataset's order). On TikTok (audio, image) that is their v, a.
 *
 * <p>Departures: the negatives are drawn with replacement (theirs: {@code random.sample},
 * distinct within a row) and exclude the user's <em>training</em> items (theirs exclude the items
 * of {@code user_item_all_dict}, validation and test included: a leak of held-out items we do
 * not copy); their unused parameters ({@code MLP}, {@code att_weight_1/2}, {@code bias},
 * {@code att_sum_layer}: never in the loss, and Adam has no weight decay, so they never move)
 * are not built; their TikTok text input (learned word embeddings averaged per item,
 * {@code is_word}) is not ported (our TikTok has no text); the encoder runs once per batch on
 * all items and is then gathered, as theirs; ranking reads the current parameters (theirs
 * reads {@code self.result}, set by the last training batch's forward: one Adam step behind).
 *
 * <p>Defaults: {@code main.py} ({@code dim_E 64}, {@code reg_weight 0.1}, {@code temp_value 1},
 * {@code lr_lambda 1}, {@code num_neg 512}, {@code num_sample 0.5}, {@code l_r 1e-3},
 * {@code batch_size 256}). With lr_lambda 1 the user–item term has weight 0 and the users learn
 * nothing but the regulariser: the README never runs it so. The {@code tiktok} preset takes the
 * README's MovieLens command (the one dataset there with visual, acoustic and textual features,
 * as TikTok): lr_lambda 0.5, temp_value 2.0, num_neg 128, reg_weight 0.1, num_sample 0.5; the
 * paper and repository give no TikTok setting.
 */
public final class Clcrec extends Module implements Recommender {

    public static final String NAME = "clcrec";

    /** CLCRec's settings, its names (dim_E is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (CLCRec's dim_E)", min = 1) int dim,
            @Key(doc = "Width of the content encoder's hidden layer (theirs: 256, written in the code)", min = 1) int encoderHidden,
            @Key(doc = "Weight of the mean row-norm regulariser", min = 0) float regWeight,
            @Key(doc = "Temperature of both contrastive terms", min = 0, minExclusive = true) float tempValue,
            @Key(doc = "Weight of the item ID-content term; the user-item term takes 1 - lr_lambda", min = 0, max = 1) float lrLambda,
            @Key(doc = "Negatives per training interaction (warm items only)", min = 1) int numNeg,
            @Key(doc = "Share of the user-item rows whose item ID embedding is swapped for its content embedding", min = 0, max = 1) float numSample) {
        public static final Config DEFAULTS = new Config(64, 256, 0.1f, 1f, 1f, 512, 0.5f);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "CLCRec (Wei et al. 2021): ID-content and user-item contrast, content encoder scores cold items",
            Config.class, Config.DEFAULTS,
            Map.of("tiktok", Map.of("lr_lambda", 0.5, "temp_value", 2.0, "num_neg", 128, "reg_weight", 0.1, "num_sample", 0.5)),
            (config, data, rng) -> new Clcrec(data, config, rng))
            // main.py: l_r 1e-3 (ours already), batch_size 256.
            .withTrainingDefaults(Map.of("batch", 256));

    private final Config config;
    private final int users;
    private final int items;
    private final Embedding idEmbedding;
    private final Linear encoderLayer1;
    private final Linear encoderLayer2;
    private final Tensor features;
    private final boolean[] cold;
    private final int[] warmItems;

    public Clcrec(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = PerInputLightGcn.slotOrder(ModalityFeatures.require(data, NAME));
        this.config = config;
        this.users = data.users();
        this.items = data.items();
        Interactions train = data.train();
        this.cold = new boolean[items];
        int warm = 0;
        for (int i = 0; i < items; i++) {
            cold[i] = train.itemDegree(i) == 0;
            warm += cold[i] ? 0 : 1;
        }
        this.warmItems = new int[warm];
        for (int i = 0, k = 0; i < items; i++) {
            if (!cold[i]) {
                warmItems[k++] = i;
            }
        }
        this.idEmbedding = register(new Embedding("id_embedding", Init.xavierNormal(users + items, config.dim(), rng)));
        this.features = ModalityFeatures.concatenated(modalities.stream().map(FeatureMatrix::rowL2Normalized).toList());
        this.encoderLayer1 = register(Linear.pytorchDefault("encoder_layer1", features.cols(), config.encoderHidden(), rng));
        this.encoderLayer2 = register(Linear.pytorchDefault("encoder_layer2", config.encoderHidden(), config.dim(), rng));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Whether item {@code i} has no training interaction (scored by its content embedding). */
    public boolean isCold(int i) {
        return cold[i];
    }

    @Override
    public BatchSource batchSource(Interactions train) {
        return BatchSources.negatives(train, config.numNeg(), warmItems);
    }

    /** The content embeddings of every item. */
    private Var encode(Tape tape) {
        Var h = tape.leakyRelu(encoderLayer1.forward(tape, tape.constant(features)), 0.01f);
        return encoderLayer2.forward(tape, h);
    }

    /** loss_contrastive: mean over groups of log Σ exp(s) − s_pos, s a column of groups × (1+k) rows. */
    private static Var groupContrast(Tape tape, Var scores, int groups, int width) {
        int rows = groups * width;
        int[] r = new int[rows];
        int[] c = new int[rows];
        float[] v = new float[rows];
        int[] first = new int[groups];
        for (int j = 0; j < rows; j++) {
            r[j] = j / width;
            c[j] = j;
            v[j] = 1f;
        }
        for (int g = 0; g < groups; g++) {
            first[g] = g * width;
        }
        CsrMatrix sum = CsrMatrix.fromCoo(groups, rows, r, c, v, CsrMatrix.Duplicates.SUM);
        Var logSums = tape.log(tape.spmm(sum, tape.exp(scores)));
        return tape.mean(tape.sub(logSums, tape.gatherRows(scores, first)));
    }

    /** mean over rows of ‖x_r‖. */
    private static Var meanRowNorm(Tape tape, Var x) {
        return tape.mean(tape.sqrt(tape.rowSum(tape.square(x))));
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        NegativesBatch b = batch.as(NegativesBatch.class);
        int rows = b.size() * (b.k() + 1);
        int draws = (int) (rows * config.numSample());
        Rng rng = context.rng();
        int[] swapped = new int[draws];
        for (int j = 0; j < draws; j++) {
            swapped[j] = rng.nextInt(rows);
        }
        return batchLoss(tape, b, swapped);
    }

    /**
     * The batch loss with the rows (of the flattened [positive, negatives...] groups) whose item
     * ID embedding is swapped for its content embedding given ({@code rand_index}; repeats allowed).
     */
    public LossTerms batchLoss(Tape tape, NegativesBatch b, int[] swapped) {
        int width = b.k() + 1;
        int rows = b.size() * width;
        int[] rowUsers = new int[rows];
        int[] rowItems = new int[rows];
        int[] rowPositives = new int[rows];
        for (int g = 0; g < b.size(); g++) {
            for (int j = 0; j < width; j++) {
                int r = g * width + j;
                rowUsers[r] = b.users()[g];
                rowItems[r] = j == 0 ? b.positives()[g] : b.negatives()[g * b.k() + j - 1];
                rowPositives[r] = b.positives()[g];
            }
        }
        float tau = config.tempValue();
        Var ids = idEmbedding.all(tape);
        Var content = tape.gatherRows(encode(tape), rowItems);
        Var user = tape.gatherRows(ids, rowUsers);
        Var item = tape.gatherRows(ids, offset(rowItems));
        // L1: the positive's normalised ID embedding against the group's normalised content embeddings.
        Var head = tape.gatherRows(tape.rowL2Normalize(tape.gatherRows(ids, offset(b.positives())), 1e-12f),
                groupIndex(b.size(), width));
        Var l1 = groupContrast(tape, tape.scale(tape.rowDot(head, tape.rowL2Normalize(content, 1e-12f)), 1f / tau),
                b.size(), width);
        // L2: users against the items, some rows' ID embeddings swapped for their content embeddings.
        float[] keep = new float[rows];
        float[] swap = new float[rows];
        java.util.Arrays.fill(keep, 1f);
        for (int r : swapped) {
            keep[r] = 0f;
            swap[r] = 1f;
        }
        Var input = tape.rowAffine(item, keep, content, swap);
        Var l2 = groupContrast(tape, tape.scale(tape.rowDot(user, input), 1f / tau), b.size(), width);
        Var reg = tape.scale(tape.add(meanRowNorm(tape, user), meanRowNorm(tape, item)), config.regWeight() / 2);
        Var cl = tape.add(tape.scale(l1, config.lrLambda()), tape.scale(l2, 1f - config.lrLambda()));
        return LossTerms.of(tape.add(cl, reg), "l1", l1, "l2", l2, "reg", reg);
    }

    private int[] offset(int[] itemIds) {
        int[] out = new int[itemIds.length];
        for (int k = 0; k < out.length; k++) {
            out[k] = users + itemIds[k];
        }
        return out;
    }

    /** Row r of the flattened groups → its group g (to repeat a per-group row over the group). */
    private static int[] groupIndex(int groups, int width) {
        int[] out = new int[groups * width];
        for (int r = 0; r < out.length; r++) {
            out[r] = r / width;
        }
        return out;
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var ids = tape.constant(idEmbedding.value());
            Var content = encode(tape);
            int[] rows = new int[items];
            for (int i = 0; i < items; i++) {
                rows[i] = cold[i] ? users + items + i : users + i;
            }
            // [ID table; content table], each item's row picked from its half.
            Var itemsOut = tape.gatherRows(tape.concatRows(ids, content), rows);
            return new EmbeddingScorer(tape.sliceRows(ids, 0, users).value().copy(), itemsOut.value().copy());
        });
    }

    @Override
    public void close() {
        features.close();
    }
}
