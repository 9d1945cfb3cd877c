package org.diffmmj.model.diffmm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.Interactions;
import org.diffmmj.diffusion.Denoiser;
import org.diffmmj.diffusion.DiffusionSchedule;
import org.diffmmj.diffusion.GaussianDiffusion;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.Losses;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.Recommender;
import org.diffmmj.nn.Embedding;
import org.diffmmj.nn.Indices;
import org.diffmmj.nn.Init;
import org.diffmmj.nn.Module;
import org.diffmmj.nn.Tapes;
import org.diffmmj.optim.Adam;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * DiffMM (Jiang et al., ACM MM 2024) as the authors' code computes it (HKUDS/DiffMM: Model.py,
 * Main.py, Params.py): per epoch, the per-modality denoisers are trained on users' interaction
 * rows (with modality-aware signal injection) and regenerate the modality-aware graphs; then
 * BPR + L2 + cross-modal contrastive learning train the embeddings through modality-aware and
 * multi-modal graph aggregation. The algorithm document (shared/docs/diffmm-algorithm.md) states
 * every step; the BPR term is divided by the nominal batch size, as their code divides by
 * {@code args.batch}. One departure in how, not what: their contrastive loss averages over the
 * batch's anchors with repeats; {@link ContrastiveObjective} computes each distinct node once,
 * weighted by its count, which is the same mean summed in another order (float rounding only), at
 * about half the cost on TikTok. A second: graph generation runs the reverse process in the
 * denoiser's hidden space ({@link org.diffmmj.diffusion.GaussianDiffusion#inHiddenSpace}), where
 * their p_sample multiplies back and forth through the item dimension at every step; the same
 * mathematics with the products associated differently (float rounding only), at about a fifth
 * of the work.
 *
 * <p>Ablation switches ({@link DiffMMConfig}, all {@code true} by default, which is the model above
 * unchanged; {@link DiffMMConfig#ABLATIONS} lists the variants):
 * <ul>
 * <li>{@code msi: false} (the paper's "w/o MSI"): the denoisers' loss is the diffusion loss alone;
 *     the MSI term is not computed and no {@code msi} loss is reported.</li>
 * <li>{@code cl: false} ("w/o CL"): no contrastive term and no contrastive views are built; the
 *     loss is BPR + L2 (as {@code ssl_reg: 0}, which the authors' code also allows).</li>
 * <li>{@code diffusion_graphs: false} ("w/o diffusion graphs"): every modality graph A^m is built
 *     from the training interactions R instead of a generated edge list, the same way (bipartite,
 *     self loops, symmetric normalisation, then edge dropout drawn afresh each epoch as the
 *     generated graphs are), so only the diffusion is removed; with {@code keepRate: 1} A^m is Â
 *     itself. No denoisers exist, so none is trained or run and none is checkpointed.</li>
 * <li>{@code modality_features: false} ("w/o modality features"): the features and their
 *     transforms are gone; in each modality view the item ID embedding E_i takes the place of G_m
 *     (e_m = Â·[E_u; N(E_i)] + …, z_m = A^m·[E_u; N(E_i)] with the aggregator unchanged). What
 *     remains of a view is its own diffusion-generated graph A^m, its softmax weight and its
 *     contrastive view: one view per modality of the dataset, differing only in A^m. MSI needs
 *     the features it injects, so it is off too; the denoisers learn from the diffusion loss.</li>
 * </ul>
 */
public final class DiffMM extends Module implements Recommender {

    public static final String NAME = "diffmm";

    public static final ModelDefinition<DiffMMConfig> DEFINITION = ModelDefinition.of(NAME,
            "DiffMM (Jiang et al. 2024): diffusion-generated modality graphs, multi-modal aggregation, cross-modal contrast",
            DiffMMConfig.class, DiffMMConfig.DEFAULTS, DiffMMConfig.PRESETS, DiffMM::new);

    private final DiffMMConfig config;
    private final Interactions train;
    /** R, users × items: the denoisers' input rows. */
    private final CsrMatrix trainRows;
    private final int users;
    private final int items;
    private final Embedding userEmbeddings;
    private final Embedding itemEmbeddings;
    private final Parameter modalityWeights;
    /** The dataset's modalities, in order: one view each, whatever the switches. */
    private final List<String> modalities;
    private final List<ModalityTransform> transforms = new ArrayList<>();
    private final List<Denoiser> denoisers = new ArrayList<>();
    private final List<Adam> denoiserOptimizers = new ArrayList<>();
    private final GaussianDiffusion diffusion;
    private final ModalityGraphGenerator generator;
    private final MultiModalAggregator aggregator;
    private final ContrastiveObjective contrastive;
    private final Rng initialGraphRng;
    /** Â: the main propagation graph, and every modality graph's source without diffusion. */
    private final CsrMatrix interactionGraph;
    private List<CsrMatrix> modalityGraphs;

    public DiffMM(DiffMMConfig config, Dataset data, Rng rng) {
        if (data.modalities().isEmpty()) {
            throw new IllegalArgumentException("DiffMM needs at least one item-feature modality; dataset '"
                    + data.name() + "' has none");
        }
        this.config = config;
        this.train = data.train();
        this.trainRows = InteractionGraphs.interactionMatrix(train);
        this.users = data.users();
        this.items = data.items();
        this.userEmbeddings = register(new Embedding("user_embeddings", Init.xavierUniform(users, config.dim(), rng)));
        this.itemEmbeddings = register(new Embedding("item_embeddings", Init.xavierUniform(items, config.dim(), rng)));
        this.modalities = List.copyOf(data.modalities().keySet());
        if (config.modalityFeatures()) {
            for (FeatureMatrix features : data.modalities().values()) {
                transforms.add(register(new ModalityTransform(features, config.dim(),
                        ModalityTransform.kindFor(config.trans(), features.name()), rng)));
            }
        }
        int m = modalities.size();
        float[] w = new float[m];
        java.util.Arrays.fill(w, 1f / m);
        this.modalityWeights = parameter("modality_weights", Tensor.fromArray(1, m, w));
        this.diffusion = new GaussianDiffusion(new DiffusionSchedule(config.steps(), config.noiseScale(),
                config.noiseMin(), config.noiseMax()));
        if (config.diffusionGraphs()) {
            for (String modality : modalities) {
                Denoiser d = new Denoiser(modality, items, config.denoiserDims(), config.timeEmbeddingDim(),
                        config.denoiserDropout(), rng);
                denoisers.add(d);
                denoiserOptimizers.add(new Adam(d.parameters(), config.denoiserLearningRate()));
            }
        }
        this.generator = new ModalityGraphGenerator(diffusion, config.rebuildK(), config.diffusionBatch());
        CsrMatrix graph = InteractionGraphs.withSelfLoops(train);
        this.interactionGraph = graph;
        this.aggregator = new MultiModalAggregator(graph, users, config.gnnLayers(), config.risLambda(),
                config.risAdjLambda());
        this.contrastive = new ContrastiveObjective(config.clMethod(), config.temperature(), users);
        this.initialGraphRng = rng.split();
    }

    public DiffMMConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Parameter> auxiliaryParameters() {
        List<Parameter> ps = new ArrayList<>();
        denoisers.forEach(d -> ps.addAll(d.parameters()));
        return ps;
    }

    @Override
    public List<Adam> auxiliaryOptimizers() {
        return List.copyOf(denoiserOptimizers);
    }

    /** E_i, the MSI target's item side (a constant there). */
    Tensor itemEmbeddingTable() {
        return itemEmbeddings.value();
    }

    public List<Denoiser> denoisers() {
        return List.copyOf(denoisers);
    }

    @Override
    public Map<String, Double> beforeEpoch(EpochContext context) {
        Rng diffusionRng = context.rng().split();
        Rng graphRng = context.rng().split();
        Tapes tapes = context.tapes();
        if (!config.diffusionGraphs()) {
            // No diffusion: only the edge dropout of the interaction-graph copies is drawn again.
            context.timer().time("graph_generation", () -> regenerateGraphs(tapes, graphRng));
            return Map.of();
        }
        Map<String, Double> losses = context.timer().time("diffusion_training",
                () -> trainDenoisers(tapes, diffusionRng));
        tapes.releaseTemporaries(); // the next phase uses other shapes
        context.timer().time("graph_generation", () -> regenerateGraphs(tapes, graphRng));
        tapes.releaseTemporaries();
        return losses;
    }

    /** One pass of the denoisers over all users in shuffled batches; returns mean losses. */
    Map<String, Double> trainDenoisers(Tapes tapes, Rng rng) {
        int[] order = new int[users];
        for (int u = 0; u < users; u++) {
            order[u] = u;
        }
        rng.shuffle(order);
        double diffSum = 0;
        double msiSum = 0;
        int batches = 0;
        try (Tape detached = tapes.noGrad()) {
            List<Tensor> features = signalInjectionFeatures(detached);
            Tensor itemEmb = itemEmbeddings.value();
            for (int start = 0; start < users; start += config.diffusionBatch()) {
                int size = Math.min(config.diffusionBatch(), users - start);
                int[] batch = java.util.Arrays.copyOfRange(order, start, start + size);
                try (Tape tape = tapes.recording()) {
                    DenoiserLoss loss = denoiserLoss(tape, batch, features, itemEmb, rng);
                    for (int m = 0; m < loss.diffusion().length; m++) {
                        diffSum += loss.diffusion()[m];
                        msiSum += loss.msi()[m];
                    }
                    denoiserOptimizers.forEach(Adam::zeroGrad);
                    tape.backward(loss.total());
                    denoiserOptimizers.forEach(Adam::step);
                }
                batches++;
            }
        }
        Map<String, Double> losses = new LinkedHashMap<>();
        losses.put("diffusion", diffSum / batches);
        if (injectsSignal()) {
            losses.put("msi", msiSum / batches);
        }
        return losses;
    }

    /** Whether the denoisers' loss has the MSI term: the switch is on and there are features to inject. */
    boolean injectsSignal() {
        return config.msi() && config.modalityFeatures();
    }

    /**
     * MSI targets: each modality's transformed features with the current transforms, detached;
     * null when there is no MSI term.
     */
    List<Tensor> signalInjectionFeatures(Tape detached) {
        if (!injectsSignal()) {
            return null;
        }
        List<Tensor> features = new ArrayList<>();
        transforms.forEach(t -> features.add(t.apply(detached).value()));
        return features;
    }

    /** The denoisers' loss on one batch and its parts per modality (msi 0 when absent). */
    record DenoiserLoss(Var total, double[] diffusion, double[] msi) {
    }

    /**
     * Σ_m (diff_m + e_loss·msi_m) over the batch's users (section 3), or Σ_m diff_m without MSI;
     * {@code features} from {@link #signalInjectionFeatures} and the item embeddings are constants.
     */
    DenoiserLoss denoiserLoss(Tape tape, int[] batch, List<Tensor> features, Tensor itemEmb, Rng rng) {
        Var x0 = tape.denseRows(trainRows, batch);
        Var x0ItemEmb = features == null ? null : tape.matmul(x0, tape.constant(itemEmb));
        Var loss = null;
        double[] diff = new double[denoisers.size()];
        double[] msiValues = new double[denoisers.size()];
        for (int m = 0; m < denoisers.size(); m++) {
            GaussianDiffusion.Training step = diffusion.trainingLoss(tape, denoisers.get(m), x0, rng);
            Var lm = step.loss();
            diff[m] = step.loss().value().get(0, 0);
            if (features != null) {
                Var msi = signalInjectionLoss(tape, step.predicted(), tape.constant(features.get(m)), x0ItemEmb);
                lm = tape.add(lm, tape.scale(msi, config.eLoss()));
                msiValues[m] = msi.value().get(0, 0);
            }
            loss = loss == null ? lm : tape.add(loss, lm);
        }
        return new DenoiserLoss(loss, diff, msiValues);
    }

    /**
     * Modality-aware signal injection (MSI): mean over batch × d of (x̂_0·G_m − x_0·E_i)², with
     * G_m the modality's transformed features and x_0·E_i computed once per batch (both detached).
     */
    public static Var signalInjectionLoss(Tape tape, Var predicted, Var modalityFeatures, Var x0ItemEmbeddings) {
        Var injected = tape.matmul(predicted, modalityFeatures);
        return tape.mean(tape.square(tape.sub(injected, x0ItemEmbeddings)));
    }

    void regenerateGraphs(Tapes tapes, Rng rng) {
        List<CsrMatrix> graphs = new ArrayList<>();
        if (config.diffusionGraphs()) {
            for (Denoiser d : denoisers) {
                graphs.add(generator.generate(d, train, tapes, config.keepRate(), rng.split()));
            }
        } else {
            for (int m = 0; m < modalities.size(); m++) {
                graphs.add(interactionGraph.edgeDropout(config.keepRate(), rng.split()));
            }
        }
        modalityGraphs = graphs;
    }

    private List<CsrMatrix> graphs() {
        if (modalityGraphs == null) {
            Tapes tapes = new Tapes();
            try {
                regenerateGraphs(tapes, initialGraphRng);
            } finally {
                tapes.releaseTemporaries();
            }
        }
        return modalityGraphs;
    }

    public List<CsrMatrix> modalityGraphs() {
        return graphs();
    }

    /**
     * Replaces the modality-aware graphs (one (U+I)×(U+I) matrix per modality, in modality order)
     * until the next regeneration, e.g. to evaluate the batch loss on given graphs.
     */
    public void useModalityGraphs(List<CsrMatrix> graphs) {
        int n = users + items;
        if (graphs.size() != modalities.size()
                || graphs.stream().anyMatch(g -> g.rows() != n || g.cols() != n)) {
            throw new IllegalArgumentException("need " + modalities.size() + " graphs of " + n + "×" + n);
        }
        modalityGraphs = List.copyOf(graphs);
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch triples, EpochContext context) {
        TripleBatch batch = triples.as(TripleBatch.class);
        Var userEmb = userEmbeddings.all(tape);
        Var itemEmb = itemEmbeddings.all(tape);
        List<Var> features = modalityInputs(tape, itemEmb);
        List<CsrMatrix> graphs = graphs();
        Var main = aggregator.mainView(tape, userEmb, itemEmb, features, graphs, tape.param(modalityWeights));
        int[] posRows = Indices.offset(batch.positives(), users);
        Var bpr = Losses.bpr(tape, tape.gatherRows(main, batch.users()), tape.gatherRows(main, posRows),
                tape.gatherRows(main, Indices.offset(batch.negatives(), users)), context.nominalBatchSize());
        Var reg = tape.scale(Losses.squaredNorm(tape, userEmb, itemEmb), config.reg());
        Map<String, Var> parts = new LinkedHashMap<>();
        parts.put("bpr", bpr);
        parts.put("reg", reg);
        Var total = tape.add(bpr, reg);
        if (config.cl() && config.sslReg() != 0 && contrastive.needsContrastiveViews(features.size())) {
            List<Var> views = new ArrayList<>();
            for (int m = 0; m < features.size(); m++) {
                views.add(aggregator.contrastiveView(tape, userEmb, features.get(m), graphs.get(m)));
            }
            Var cl = tape.scale(contrastive.loss(tape, main, views, batch.users(), batch.positives()), config.sslReg());
            parts.put("cl", cl);
            total = tape.add(total, cl);
        }
        return new LossTerms(total, parts);
    }

    /**
     * Each modality view's item-side input G_m: the transformed features, or without modality
     * features the item ID embeddings (the same Var for every view).
     */
    private List<Var> modalityInputs(Tape tape, Var itemEmb) {
        List<Var> inputs = new ArrayList<>();
        if (config.modalityFeatures()) {
            transforms.forEach(t -> inputs.add(t.apply(tape)));
        } else {
            modalities.forEach(m -> inputs.add(itemEmb));
        }
        return inputs;
    }

    @Override
    public EmbeddingScorer scorer() {
        List<CsrMatrix> graphs = graphs();
        return Tapes.inference(tape -> {
            Var itemEmb = tape.constant(itemEmbeddings.value());
            List<Var> features = modalityInputs(tape, itemEmb);
            Var main = aggregator.mainView(tape, tape.constant(userEmbeddings.value()),
                    itemEmb, features, graphs, tape.constant(modalityWeights.value()));
            return EmbeddingScorer.split(tape, main, users);
        });
    }

    @Override
    public void close() {
        transforms.forEach(ModalityTransform::close);
    }
}
