package org.diffmmj.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.cluster.KMeans;
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
import org.diffmmj.tensor.Tensor;

/**
 * NCL (Lin, Tian, Hou, Zhao, "Improving Graph Collaborative Filtering with Neighborhood-enriched
 * Contrastive Learning", WWW 2022), as RecBole implements it: {@code
 * recbole/model/general_recommender/ncl.py} ({@code NCL.forward}, {@code calculate_loss}, {@code
 * ssl_layer_loss}, {@code ProtoNCE_loss}, {@code e_step}, {@code run_kmeans}, {@code
 * get_norm_adj_mat}), {@code recbole/model/loss.py} ({@code BPRLoss}, {@code EmbLoss}), the E-step
 * schedule and warm-up of {@code NCLTrainer} ({@code recbole/trainer/trainer.py}: {@code fit},
 * {@code _train_epoch}) and the defaults of {@code recbole/properties/model/NCL.yaml}
 * (RUCAIBox/RecBole@7b02be5; pinned by {@code NclParityTest}). The authors' RUCAIBox/NCL@0aaf7c8
 * ({@code ncl.py}, {@code trainer.py}, {@code properties/NCL.yaml}) is the same code.
 *
 * <p>Forward: LightGCN on D^-½·A·D^-½ (no self loops), layers E_0 … E_m with m = max(n_layers,
 * 2·hyper_layers); the representation is the mean of E_0 … E_{n_layers}. Loss of a (user, pos,
 * neg) batch of size B, as {@code calculate_loss} and {@code _train_epoch} add it up:
 * <ul>
 * <li>BPR on the representation, plus reg_weight·(‖U₀‖ + ‖P₀‖ + ‖N₀‖)/B on the batch's ego (layer
 * 0) rows: RecBole's {@code EmbLoss}, unsquared Frobenius norms;</li>
 * <li>structural InfoNCE, summed over the batch: anchors the normalised layer-2·hyper_layers rows
 * of the batch's users (its positive items), positives their own normalised layer-0 rows,
 * candidates every user's (item's) normalised layer-0 row, temperature ssl_temp; ssl_reg·(users +
 * alpha·items);</li>
 * <li>ProtoNCE, summed over the batch: anchors the normalised layer-0 rows of the batch's users
 * (positive items), candidates the row-normalised k-means centroids of all users (items), the
 * positive each node's own cluster; proto_reg·(users + items). Left out of the loss (and of the
 * logged terms) in epochs before warm_up_step, as {@code _train_epoch} drops the last term.</li>
 * </ul>
 * E-step ({@link #beforeEpoch}): in epochs where epoch % m_step == 0, k-means of the user ego
 * table and of the item ego table into num_clusters groups each ({@link KMeans}: faiss' {@code
 * Kmeans(d, k).train} with its 25 iterations and random initialisation), centroids then
 * L2-normalised as {@code run_kmeans} does. Centroids and clusters are checkpointed
 * ({@link #auxiliaryParameters}), so {@code --resume} continues with the prototypes of the last
 * E-step even where m_step &gt; 1.
 *
 * <p>Departures (the first changes nothing, the second only float rounding and BPR's far tail, the
 * last two what is trained):
 * <ul>
 * <li>E-steps whose prototypes no epoch would use (epoch + m_step ≤ warm_up_step: the proto term
 * is still off until the next E-step) are skipped; {@code NCLTrainer} runs them and discards the
 * result;</li>
 * <li>BPR is −mean log σ(Δ) where RecBole's {@code BPRLoss} is −mean log(1e-10 + σ(Δ)) (as in
 * {@link Ngcf}); InfoNCE is the max-shifted log-sum-exp ({@code Tape.infoNce}), RecBole's is
 * −log(exp(pos/τ)/Σexp(·/τ)): equal up to float rounding; RecBole's +1e-7 on the degrees is
 * dropped (as in {@link Ngcf});</li>
 * <li>k-means draws from this run's random stream (a split of the epoch's) where faiss reseeds
 * with its fixed seed 1234 at every call, and runs on the CPU where the reference hard-codes
 * {@code gpu=True} (same algorithm; see {@link KMeans} for its own departures);</li>
 * <li>num_clusters above the number of users (items) is capped at that number, where faiss
 * refuses to cluster fewer points than centroids (NCL's 1000 would not run on small data).</li>
 * </ul>
 * Training defaults: lr 1e-3 (both repositories) and batch 4096, the authors' {@code
 * properties/overall.yaml} ({@code train_batch_size}), not RecBole's 2048: the two contrastive
 * terms are sums over the batch and the BPR term a mean, so their weights ssl_reg and proto_reg
 * were tuned for 4096. The {@code tiktok} preset is the reference defaults: the paper and both
 * repositories give no TikTok setting, and NCL.yaml's values are also the authors' ml-1m ones
 * ({@code properties/ml-1m.yaml}), their dataset closest to TikTok in size.
 */
public final class Ncl extends Module implements Recommender {

    public static final String NAME = "ncl";

    /** F.normalize's default eps. */
    private static final float NORMALIZE_EPS = 1e-12f;

    /** NCL's settings, named and defaulted as NCL.yaml (embedding_size is {@code dim}). */
    public record Config(
            @Key(doc = "Embedding size d (RecBole's embedding_size)", min = 1) int dim,
            @Key(doc = "LightGCN layers averaged into the representation (layers 0..n_layers)", min = 0) int nLayers,
            @Key(doc = "Weight of RecBole's EmbLoss (unsquared norms / batch) on the batch's ego rows", min = 0) float regWeight,
            @Key(doc = "Temperature of the structural and the prototype InfoNCE", min = 0, minExclusive = true) float sslTemp,
            @Key(doc = "Weight of the structural InfoNCE (summed over the batch)", min = 0) float sslReg,
            @Key(doc = "The structural InfoNCE contrasts layer 2*hyper_layers with layer 0", min = 0) int hyperLayers,
            @Key(doc = "Weight of the item part of the structural InfoNCE", min = 0) float alpha,
            @Key(doc = "Weight of the prototype InfoNCE (summed over the batch)", min = 0) float protoReg,
            @Key(doc = "k-means prototypes of users and of items (capped at their numbers)", min = 1) int numClusters,
            @Key(doc = "Epochs per E-step: k-means runs before epochs where epoch % m_step == 0", min = 1) int mStep,
            @Key(doc = "Epochs (from 0) trained without the prototype term", min = 0) int warmUpStep,
            @Key(name = "kmeans_niter", doc = "Lloyd iterations of each k-means (faiss' niter)", min = 0) int kmeansIterations) {

        public static final Config DEFAULTS = new Config(64, 3, 1e-4f, 0.1f, 1e-7f, 1, 1f, 8e-8f, 1000, 1, 20,
                KMeans.FAISS_ITERATIONS);
    }

    /** The reference defaults, spelled out (the authors' ml-1m values are the same; see the class doc). */
    private static final Map<String, Object> TIKTOK = Map.of("n_layers", 3, "reg_weight", 1e-4, "ssl_temp", 0.1,
            "ssl_reg", 1e-7, "hyper_layers", 1, "alpha", 1.0, "proto_reg", 8e-8, "num_clusters", 1000, "m_step", 1,
            "warm_up_step", 20);

    public static final ModelDefinition<Config> DEFINITION = ModelDefinition.of(NAME,
            "NCL (Lin et al. 2022): LightGCN with structural and k-means prototype InfoNCE (RecBole's port)",
            Config.class, Config.DEFAULTS, Map.of("tiktok", TIKTOK), (config, data, rng) -> new Ncl(data.train(), config, rng))
            .withTrainingDefaults(Map.of("batch", 4096));

    private final Embedding userEmbeddings;
    private final Embedding itemEmbeddings;
    private final CsrMatrix graph;
    private final Config config;
    private final int users;
    private final int items;
    /** Normalised centroids (k × d) and each node's cluster (1 × nodes, as floats) of the last E-step. */
    private final Parameter userCentroids;
    private final Parameter userClusters;
    private final Parameter itemCentroids;
    private final Parameter itemClusters;

    public Ncl(Interactions train, Config config, Rng rng) {
        this.users = train.users();
        this.items = train.items();
        this.config = config;
        this.userEmbeddings = register(new Embedding("user_embedding", Init.xavierUniform(users, config.dim(), rng)));
        this.itemEmbeddings = register(new Embedding("item_embedding", Init.xavierUniform(items, config.dim(), rng)));
        this.graph = InteractionGraphs.withoutSelfLoops(train);
        this.userCentroids = new Parameter("user_centroids", Tensor.zeros(Math.min(config.numClusters(), users), config.dim()));
        this.userClusters = new Parameter("user_2cluster", Tensor.zeros(1, users));
        this.itemCentroids = new Parameter("item_centroids", Tensor.zeros(Math.min(config.numClusters(), items), config.dim()));
        this.itemClusters = new Parameter("item_2cluster", Tensor.zeros(1, items));
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The normalised graph propagated over (D^-½·A·D^-½ of the training interactions). */
    public CsrMatrix graph() {
        return graph;
    }

    public Config config() {
        return config;
    }

    /** E_0 … E_m, m = max(n_layers, 2·hyper_layers), over [users; items] ({@code forward}'s embeddings_list). */
    private List<Var> layers(Tape tape, Var ego) {
        List<Var> out = new ArrayList<>();
        out.add(ego);
        Var e = ego;
        for (int l = 0; l < Math.max(config.nLayers(), 2 * config.hyperLayers()); l++) {
            e = tape.spmm(graph, e);
            out.add(e);
        }
        return out;
    }

    /** Whether the prototype term is in the loss in this epoch ({@code _train_epoch}'s warm-up). */
    public boolean prototypesActive(int epoch) {
        return epoch >= config.warmUpStep();
    }

    /** Whether {@link #beforeEpoch} runs an E-step before this epoch (see the class doc). */
    public boolean runsEStep(int epoch) {
        return epoch % config.mStep() == 0 && epoch + config.mStep() > config.warmUpStep();
    }

    @Override
    public Map<String, Double> beforeEpoch(EpochContext context) {
        if (runsEStep(context.epoch())) {
            Rng rng = context.rng().split();
            context.timer().time("kmeans", () -> eStep(rng));
        }
        return Map.of();
    }

    /** {@code e_step}: k-means of the user and of the item ego tables, centroids normalised. */
    public void eStep(Rng rng) {
        KMeans.Result u = KMeans.fit(userEmbeddings.value(), userCentroids.value().rows(), config.kmeansIterations(), rng);
        KMeans.Result i = KMeans.fit(itemEmbeddings.value(), itemCentroids.value().rows(), config.kmeansIterations(), rng);
        setPrototypes(u.centroids(), u.assignments(), i.centroids(), i.assignments());
    }

    /**
     * Sets the prototypes from raw k-means output as {@code run_kmeans} returns them: centroids
     * (k × d, row-major) L2-normalised per row ({@code F.normalize}), each node's cluster as given.
     */
    public void setPrototypes(float[] userCentroidsRaw, int[] userAssignments, float[] itemCentroidsRaw,
                              int[] itemAssignments) {
        storeNormalised(userCentroids, userCentroidsRaw);
        storeClusters(userClusters, userAssignments, userCentroids.value().rows());
        storeNormalised(itemCentroids, itemCentroidsRaw);
        storeClusters(itemClusters, itemAssignments, itemCentroids.value().rows());
    }

    private static void storeNormalised(Parameter target, float[] raw) {
        Tensor t = target.value();
        Tapes.inference(tape -> {
            t.copyFrom(tape.rowL2Normalize(tape.constant(t.rows(), t.cols(), raw), NORMALIZE_EPS).value());
            return null;
        });
    }

    private static void storeClusters(Parameter target, int[] assignments, int k) {
        float[] v = new float[assignments.length];
        for (int n = 0; n < v.length; n++) {
            if (assignments[n] < 0 || assignments[n] >= k) {
                throw new IllegalArgumentException("cluster " + assignments[n] + " of node " + n + " is not one of " + k);
            }
            v[n] = assignments[n];
        }
        target.value().copyFrom(v);
    }

    /** The clusters of the given nodes (from the float row they are kept in). */
    private static int[] clustersOf(Parameter clusters, int[] nodes) {
        int[] out = new int[nodes.length];
        for (int b = 0; b < nodes.length; b++) {
            out[b] = (int) clusters.value().get(0, nodes[b]);
        }
        return out;
    }

    @Override
    public LossTerms batchLoss(Tape tape, Batch batch, EpochContext context) {
        TripleBatch b = batch.as(TripleBatch.class);
        int size = b.size();
        Var userEgo = userEmbeddings.all(tape);
        Var itemEgo = itemEmbeddings.all(tape);
        List<Var> layers = layers(tape, tape.concatRows(userEgo, itemEgo));
        Var sum = layers.get(0);
        for (int l = 1; l <= config.nLayers(); l++) {
            sum = tape.add(sum, layers.get(l));
        }
        Var all = tape.scale(sum, 1f / (config.nLayers() + 1));
        int[] positiveRows = Indices.offset(b.positives(), users);

        Var u = tape.gatherRows(all, b.users());
        Var p = tape.gatherRows(all, positiveRows);
        Var n = tape.gatherRows(all, Indices.offset(b.negatives(), users));
        Var bpr = Losses.bpr(tape, u, p, n, size);
        Var userRows = tape.gatherRows(userEgo, b.users());
        Var positiveEgo = tape.gatherRows(itemEgo, b.positives());
        Var norms = tape.add(tape.add(frobenius(tape, userRows), frobenius(tape, positiveEgo)),
                frobenius(tape, tape.gatherRows(itemEgo, b.negatives())));
        Var reg = tape.scale(norms, config.regWeight() / size);

        // ssl_layer_loss(context = E_{2·hyper_layers}, previous = E_0)
        Var context2 = layers.get(2 * config.hyperLayers());
        float tau = config.sslTemp();
        Var sslUser = summedInfoNce(tape, tape.gatherRows(context2, b.users()), tape.rowL2Normalize(userEgo, NORMALIZE_EPS),
                b.users(), tau);
        Var sslItem = summedInfoNce(tape, tape.gatherRows(context2, positiveRows), tape.rowL2Normalize(itemEgo, NORMALIZE_EPS),
                b.positives(), tau);
        Var ssl = tape.scale(tape.add(sslUser, tape.scale(sslItem, config.alpha())), config.sslReg());

        Var total = tape.add(tape.add(bpr, reg), ssl);
        if (!prototypesActive(context.epoch())) {
            return LossTerms.of(total, "bpr", bpr, "reg", reg, "ssl", ssl);
        }
        // ProtoNCE_loss(E_0): normalised ego rows against all normalised centroids
        Var protoUser = summedInfoNce(tape, userRows, tape.constant(userCentroids.value()),
                clustersOf(userClusters, b.users()), tau);
        Var protoItem = summedInfoNce(tape, positiveEgo, tape.constant(itemCentroids.value()),
                clustersOf(itemClusters, b.positives()), tau);
        Var proto = tape.scale(tape.add(protoUser, protoItem), config.protoReg());
        return LossTerms.of(tape.add(total, proto), "bpr", bpr, "reg", reg, "ssl", ssl, "proto", proto);
    }

    /**
     * Σ_b −log( exp(⟨â_b, c_{pos_b}⟩/τ) / Σ_r exp(⟨â_b, c_r⟩/τ) ), â_b = anchors_b/‖anchors_b‖;
     * {@code candidates} are already normalised.
     */
    private static Var summedInfoNce(Tape tape, Var anchors, Var candidates, int[] positives, float tau) {
        Var mean = tape.infoNce(tape.rowL2Normalize(anchors, NORMALIZE_EPS), candidates, positives, tau);
        return tape.scale(mean, positives.length);
    }

    /** ‖x‖_F, unsquared (torch.norm in RecBole's EmbLoss). */
    private static Var frobenius(Tape tape, Var x) {
        return tape.sqrt(tape.sum(tape.square(x)));
    }

    @Override
    public List<Parameter> auxiliaryParameters() {
        return List.of(userCentroids, userClusters, itemCentroids, itemClusters);
    }

    @Override
    public EmbeddingScorer scorer() {
        return Tapes.inference(tape -> {
            Var ego = tape.concatRows(tape.constant(userEmbeddings.value()), tape.constant(itemEmbeddings.value()));
            return EmbeddingScorer.split(tape, GraphPropagation.layerMean(tape, graph, ego, config.nLayers()), users);
        });
    }
}
