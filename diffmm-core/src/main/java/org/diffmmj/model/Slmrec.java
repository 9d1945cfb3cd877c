package org.diffmmj.model;

import java.util.ArrayList;
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
import org.diffmmj.nn.Indices;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Linear;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.BatchSource;
import org.diffmmj.sampling.BatchSources;
import org.diffmmj.sampling.PositiveBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * SLMRec (Tao, Liu, Xia, Wang, Yang, Huang, Chua, "Self-supervised Learning for Multimedia
 * Recommendation", IEEE TMM 2022) with its fine-and-coarse-grained (FAC) task (default) or its
 * feature-dropout (FD) task, as enoche/MMRec@e775373 {@code src/models/slmrec.py} computes it ({@code compute},
 * {@code infonce}, {@code fac}, {@code calculate_loss}) and, where MMRec drops a modality, as the
 * authors' zltao/SLMRec@0c05a1d {@code models/SLMRec.py} does. Pinned by {@code SlmrecParityTest}
 * (MMRec's file, image + text) and {@code SlmrecAuthorsParityTest} (the authors' file, image + audio + text).
 *
 * <ul>
 * <li><b>Per-input LightGCN</b> ({@code compute}): one propagation per item input, the item ID
 * table and, per modality m, dense_m(normalize(x_m)) (a Linear to d of the row-normalised,
 * fixed features), each beside the same user table; LightGCN's mean over layers 0..layer_num on
 * D^-½AD^-½ (their {@code adj_type 'pre'}, no self-loops).</li>
 * <li><b>Fusion</b> ({@code mm_fusion} 'concat'): users = Linear([id; m_1; …; m_M] user rows)→d,
 * items likewise with their own Linear.</li>
 * <li><b>Main loss</b> ({@code infonce}): in-batch softmax cross-entropy of the batch's normalised
 * users against the batch's normalised positive items, logits / temp, the diagonal the target.
 * No BPR and no negatives (the positives-only batch source; MMRec's loader still draws a negative
 * column, which SLMRec never reads).</li>
 * <li><b>FAC</b> ({@code fac}): a hierarchy over the batch's positive items' per-input
 * representations (the propagated rows before fusion). The ID side is carried down a chain of
 * Linears, x_1 = g_i_iv(i), x_2 = g_iv_iva(x_1), x_3 = g_iva_ivat(x_2) (width d/2), and stage k
 * contrasts x_k with its modality's g_k(m_k) by in-batch softmax cross-entropy at ssl_temp (no
 * normalisation, as theirs). The stages are the authors': image (v), audio (a), text (t).</li>
 * <li><b>FD</b> ({@code ssl_task FD}, the authors' {@code feature_dropout}; MMRec's copy cannot run
 * it, see below): two views of every input's propagation with dropout (dropout_rate) after each
 * layer, fused by the same Linears, normalised; in-batch InfoNCE at ssl_temp between the views'
 * users plus between their items. As theirs, view 1 averages the start with view 2's chain of
 * layers and vice versa (crossed lists: alike in distribution). No FAC maps are built then.</li>
 * <li><b>Loss</b> = main + ssl_alpha · ssl, plus Adam's weight_decay (below).</li>
 * </ul>
 *
 * <p><b>Any number of modalities.</b> MMRec keeps image and text and drops audio (its
 * {@code self.a_feat = None}; the audio stage is commented out but g_iv_iva still sits in the
 * chain before the text stage); the authors use all three. Here the stages are the authors'
 * slots: a modality named {@code image} takes stage 1, {@code audio} stage 2, {@code text}
 * stage 3, and any other modality a further stage (width d/2, with a d/2→d/2 chain link) in the
 * dataset's order; a slot without a modality has no term, but its chain link stays (MMRec's path
 * for image + text exactly: v_loss + t_loss through g_iv_iva). On TikTok (audio, image) this is
 * the authors' FAC without its text stage: v_loss + a_loss. The fusion concatenates the inputs
 * in the same order (id, then the stages' modalities), MMRec's [i, v, t] and the authors' [i, v, a, t].
 *
 * <p><b>weight_decay</b> is MMRec's and the authors' Adam weight decay (torch's coupled form,
 * grad + wd·θ on every parameter). Our loop's Adam has none, so the loss carries
 * (wd/2)·Σ‖θ‖² over all parameters: the same gradient, so the same updates; the logged loss is
 * theirs plus that term (logged apart as {@code weight_decay}).
 *
 * <p>Departures: FAC and FD only (MMRec's FD and FM branches read the config key
 * {@code data.input.dataset}, which MMRec does not provide, so they fail there; FD follows the
 * authors' file, pinned by {@code SlmrecAuthorsParityTest}; the authors' FM and FD+FM, which mask a
 * random input with numpy's generator, are not ported); their {@code mm_fusion_mode 'mean'} is not
 * offered (in both repositories it feeds d-wide rows into the (M+1)·d-wide fusion Linear and fails); scores are the dot products
 * (theirs apply a sigmoid: the same ranking) of the <em>current</em> parameters, where MMRec's
 * {@code full_sort_predict} reads the tables cached by the last training batch's forward (one
 * Adam step behind); the fusion Linears run on the batch rows only (row-wise: the same values and
 * gradients); the degrees' +1e-8 is left out. The authors' TikTok text input (a word-embedding
 * table averaged by torch_scatter) is not available: our TikTok has no text.
 *
 * <p>Defaults: MMRec's {@code SLMRec.yaml} ({@code recdim 64}, {@code layer_num 3},
 * {@code temp 0.2}, {@code weight_decay 1e-4}, {@code ssl_task FAC}, {@code dropout_rate 0.3},
 * {@code init xavier}, {@code adj_type pre}; the
 * grids {@code ssl_alpha [0.01, …]}, {@code ssl_temp [0.1, …]}, {@code learning_rate [0.0001, …]}
 * give their first values; {@code reg} is a grid key its code never reads) and {@code overall.yaml}
 * (batch 2048). The {@code tiktok} preset is the authors' {@code conf/SLMRec.properties}, which
 * their README runs on TikTok as is: ssl_alpha 0.1, ssl_temp 0.2 (temp 0.2, layer_num 3,
 * weight_decay 1e-4, recdim 64 as the defaults) and its lr 0.01 (a loop key the preset sets
 * through {@code withPresetTraining}).
 */
public final class Slmrec extends Module implements Recommender {

    public static final String NAME = "slmrec";

    /** The authors' stage slots: v, a, t. */
    private static final List<String> SLOTS = PerInputLightGcn.SLOTS;
    private static final String[] SLOT_LETTER = PerInputLightGcn.SLOT_LETTER;
    private static final String[] CHAIN = {"g_i_iv", "g_iv_iva", "g_iva_ivat"};
    private static final String[] STAGE = {"g_v_iv", "g_a_iva", "g_t_ivat"};

    /** SLMRec's settings, its names (recdim is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (SLMRec's recdim); the third and later FAC stages are d/2 wide", min = 2) int dim,
            @Key(doc = "LightGCN layers of each input's propagation", min = 0) int layerNum,
            @Key(doc = "Temperature of the main in-batch InfoNCE", min = 0, minExclusive = true) float temp,
            @Key(doc = "Temperature of the FAC InfoNCE terms", min = 0, minExclusive = true) float sslTemp,
            @Key(doc = "Weight of the FAC self-supervised loss", min = 0) float sslAlpha,
            @Key(doc = "Adam's weight decay (as (wd/2)·Σ‖θ‖² in the loss: the same gradient)", min = 0) float weightDecay,
            @Key(doc = "Self-supervised task: FAC (fine and coarse modality contrast) or FD (feature dropout views)",
                    choices = {"FAC", "FD"}) String sslTask,
            @Key(doc = "Dropout rate of the FD task's views", min = 0, max = 1, maxExclusive = true) float dropoutRate) {
        public static final Config DEFAULTS = new Config(64, 3, 0.2f, 0.1f, 0.01f, 1e-4f, "FAC", 0.3f);
    }

    /** Applies one dropout of the FD task's views (training: inverted dropout from the epoch's stream). */
    @FunctionalInterface
    public interface Dropper {
        Var apply(Tape tape, Var x);
    }

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "SLMRec (Tao et al. 2022): per-modality LightGCN, in-batch InfoNCE, fine-and-coarse modality contrast",
            Config.class, Config.DEFAULTS, Map.of("tiktok", Map.of("ssl_alpha", 0.1, "ssl_temp", 0.2)),
            (config, data, rng) -> new Slmrec(data, config, rng))
            // MMRec: learning_rate grid [0.0001, ...] (first value), overall.yaml batch 2048.
            .withTrainingDefaults(Map.of("lr", 1e-4, "batch", 2048))
            // the authors' conf/SLMRec.properties learning rate, with the rest of the tiktok preset
            .withPresetTraining("tiktok", Map.of("lr", 0.01));

    /** One modality's input: its normalised features, its dense projection, its FAC stage (0-based) and map. */
    private record Input(String name, Tensor features, Linear dense, int stage, Linear stageMap) {
    }

    private final Config config;
    private final int users;
    private final int items;
    private final CsrMatrix normAdj;
    private final Embedding embeddingUser;
    private final Embedding embeddingItem;
    private final List<Input> inputs = new ArrayList<>();
    private final List<Linear> chain = new ArrayList<>();
    private final Linear userAfterGcn;
    private final Linear itemAfterGcn;

    public Slmrec(Dataset data, Config config, Rng rng) {
        List<FeatureMatrix> modalities = PerInputLightGcn.slotOrder(ModalityFeatures.require(data, NAME));
        this.config = config;
        this.users = data.users();
        this.items = data.items();
        Interactions train = data.train();
        this.normAdj = InteractionGraphs.withoutSelfLoops(train);
        int d = config.dim();
        int half = d / 2;
        this.embeddingUser = register(new Embedding("embedding_user", Init.xavierUniform(users, d, rng)));
        this.embeddingItem = register(new Embedding("embedding_item", Init.xavierUniform(items, d, rng)));
        int extra = SLOTS.size();
        int lastStage = -1;
        List<int[]> stages = new ArrayList<>();
        for (FeatureMatrix f : modalities) {
            int slot = SLOTS.indexOf(f.name());
            int stage = slot >= 0 ? slot : extra++;
            stages.add(new int[] {stage});
            lastStage = Math.max(lastStage, stage);
        }
        boolean fac = config.sslTask().equals("FAC");
        for (int k = 0; fac && k <= lastStage; k++) {
            String name = k < CHAIN.length ? CHAIN[k] : "g_chain_" + (k + 1);
            int in = k <= 2 ? d : half;
            chain.add(register(PerInputLightGcn.xavierLinear(name, in, width(k, d), rng)));
        }
        for (int m = 0; m < modalities.size(); m++) {
            FeatureMatrix f = modalities.get(m);
            int stage = stages.get(m)[0];
            String letter = stage < SLOT_LETTER.length ? SLOT_LETTER[stage] : f.name();
            Linear dense = register(PerInputLightGcn.xavierLinear(letter + "_dense", f.cols(), d, rng));
            String mapName = stage < STAGE.length ? STAGE[stage] : "g_" + f.name() + "_" + (stage + 1);
            Linear map = fac ? register(PerInputLightGcn.xavierLinear(mapName, d, width(stage, d), rng)) : null;
            inputs.add(new Input(f.name(), PerInputLightGcn.rowNormalized(f), dense, stage, map));
        }
        int fused = d * (inputs.size() + 1);
        this.itemAfterGcn = register(PerInputLightGcn.xavierLinear("embedding_item_after_GCN", fused, d, rng));
        this.userAfterGcn = register(PerInputLightGcn.xavierLinear("embedding_user_after_GCN", fused, d, rng));
    }

    /** Width of FAC stage k (0-based): d for the first two, d/2 from the third on (theirs: v d, a d, t d/2). */
    private static int width(int stage, int d) {
        return stage < 2 ? d : d / 2;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The modalities in the order of their FAC stages and of the fusion's concatenation. */
    public List<String> modalities() {
        return inputs.stream().map(Input::name).toList();
    }

    /** The normalised user–item graph. */
    public CsrMatrix normalizedGraph() {
        return normAdj;
    }

    @Override
    public BatchSource batchSource(Interactions train) {
        return BatchSources.positives(train);
    }

    /** compute_graph for every input: [id, modalities...], each a (U+I)×d layer mean. */
    private List<Var> propagated(Tape tape, Var userTable, Var itemTable) {
        List<Var> out = new ArrayList<>();
        out.add(PerInputLightGcn.propagate(tape, normAdj, userTable, itemTable, config.layerNum()));
        for (Input in : inputs) {
            Var dense = in.dense().forward(tape, tape.constant(in.features()));
            out.add(PerInputLightGcn.propagate(tape, normAdj, userTable, dense, config.layerNum()));
        }
        return out;
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        Rng rng = context.rng();
        float p = config.dropoutRate();
        return batchLoss(tape, batch.as(PositiveBatch.class), (t, x) -> p > 0 ? t.dropout(x, p, rng) : x);
    }

    /**
     * The batch loss with the FD task's dropouts applied by {@code dropper} (in their order: per
     * input — ID, then the modalities in stage order — per layer, view 1's then view 2's); FAC draws nothing.
     */
    public LossTerms batchLoss(Tape tape, PositiveBatch b, Dropper dropper) {
        Var userTable = embeddingUser.all(tape);
        Var itemTable = embeddingItem.all(tape);
        List<Var> all = propagated(tape, userTable, itemTable);
        int[] itemRows = Indices.offset(b.positives(), users);
        int[] diagonal = PerInputLightGcn.identity(b.size());
        Var u = PerInputLightGcn.fused(tape, userAfterGcn, all, b.users());
        Var p = PerInputLightGcn.fused(tape, itemAfterGcn, all, itemRows);
        Var main = tape.infoNce(tape.rowL2Normalize(u, 1e-12f), tape.rowL2Normalize(p, 1e-12f), diagonal, config.temp());
        Var ssl = config.sslTask().equals("FAC") ? fac(tape, all, itemRows, diagonal)
                : featureDropout(tape, userTable, itemTable, b, itemRows, diagonal, dropper);
        Var sslTerm = tape.scale(ssl, config.sslAlpha());
        Var total = tape.add(main, sslTerm);
        if (config.weightDecay() > 0) {
            Var decay = Losses.adamWeightDecay(tape, parameters(), config.weightDecay());
            return LossTerms.of(tape.add(total, decay), "infonce", main, "ssl", sslTerm, "weight_decay", decay);
        }
        return LossTerms.of(total, "infonce", main, "ssl", sslTerm);
    }

    /** fac: the ID side down the chain, each present stage against its modality. */
    private Var fac(Tape tape, List<Var> all, int[] itemRows, int[] diagonal) {
        Var x = tape.gatherRows(all.get(0), itemRows);
        Var ssl = null;
        for (int k = 0; k < chain.size(); k++) {
            x = chain.get(k).forward(tape, x);
            for (int m = 0; m < inputs.size(); m++) {
                Input in = inputs.get(m);
                if (in.stage() == k) {
                    Var y = in.stageMap().forward(tape, tape.gatherRows(all.get(m + 1), itemRows));
                    Var term = tape.infoNce(x, y, diagonal, config.sslTemp());
                    ssl = ssl == null ? term : tape.add(ssl, term);
                }
            }
        }
        return ssl;
    }

    /**
     * feature_dropout: two views of every input's propagation with dropout after each layer, fused
     * as the main path; in-batch InfoNCE between the views' normalised users and between their
     * items. As theirs, view 1 averages the start with view 2's chain of layers and vice versa
     * (their lists are crossed; the two chains are alike in distribution, so this changes nothing).
     */
    private Var featureDropout(Tape tape, Var userTable, Var itemTable, PositiveBatch b, int[] itemRows,
                               int[] diagonal, Dropper dropper) {
        List<Var> starts = new ArrayList<>();
        starts.add(itemTable);
        for (Input in : inputs) {
            starts.add(in.dense().forward(tape, tape.constant(in.features())));
        }
        List<Var> users1 = new ArrayList<>();
        List<Var> users2 = new ArrayList<>();
        List<Var> items1 = new ArrayList<>();
        List<Var> items2 = new ArrayList<>();
        float scale = 1f / (config.layerNum() + 1);
        for (Var x : starts) {
            Var start = tape.concatRows(userTable, x);
            Var chain1 = start;
            Var chain2 = start;
            Var sum1 = start;
            Var sum2 = start;
            for (int l = 0; l < config.layerNum(); l++) {
                chain1 = dropper.apply(tape, tape.spmm(normAdj, chain1));
                chain2 = dropper.apply(tape, tape.spmm(normAdj, chain2));
                sum2 = tape.add(sum2, chain1);
                sum1 = tape.add(sum1, chain2);
            }
            Var view1 = tape.scale(sum1, scale);
            Var view2 = tape.scale(sum2, scale);
            users1.add(tape.gatherRows(view1, b.users()));
            users2.add(tape.gatherRows(view2, b.users()));
            items1.add(tape.gatherRows(view1, itemRows));
            items2.add(tape.gatherRows(view2, itemRows));
        }
        Var u1 = tape.rowL2Normalize(PerInputLightGcn.fused(tape, userAfterGcn, users1, null), 1e-12f);
        Var u2 = tape.rowL2Normalize(PerInputLightGcn.fused(tape, userAfterGcn, users2, null), 1e-12f);
        Var i1 = tape.rowL2Normalize(PerInputLightGcn.fused(tape, itemAfterGcn, items1, null), 1e-12f);
        Var i2 = tape.rowL2Normalize(PerInputLightGcn.fused(tape, itemAfterGcn, items2, null), 1e-12f);
        return tape.add(tape.infoNce(u1, u2, diagonal, config.sslTemp()), tape.infoNce(i1, i2, diagonal, config.sslTemp()));
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            List<Var> all = propagated(tape, tape.constant(embeddingUser.value()), tape.constant(embeddingItem.value()));
            return PerInputLightGcn.fusedScorer(tape, all, users, items, userAfterGcn, itemAfterGcn);
        });
    }

    @Override
    public void close() {
        inputs.forEach(in -> in.features().close());
    }
}
