package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.load;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.diffusion.Denoiser;
import org.diffmmj.diffusion.DiffusionSchedule;
import org.diffmmj.diffusion.GaussianDiffusion;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.model.EmbeddingScorer;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.diffmm.DiffMM;
import org.diffmmj.model.diffmm.DiffMMConfig;
import org.diffmmj.model.diffmm.ModalityGraphGenerator;
import org.diffmmj.model.diffmm.ModalityTransform;
import org.diffmmj.model.diffmm.MultiModalAggregator;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;
import org.diffmmj.tensor.TopK;
import org.diffmmj.sampling.TripleBatch;

/**
 * DiffMM against the authors' PyTorch code (HKUDS/DiffMM, see tools/parity/README.md) at the
 * fixture's weights: the denoiser, the diffusion + MSI loss, graph generation and the
 * recommendation batch loss. Tolerances: |ours − theirs| ≤ 1e-6 + 1e-5·|theirs| per value
 * (numpy's allclose with rtol 1e-5, atol 1e-6), a relative 1e-5 on every loss, and for the
 * reverse process (c) 1e-5 of the array's largest magnitude (see there).
 */
class DiffMMParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("diffmm");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");
    private final int dim = fx.integer("dim");
    private final JsonArgs args = new JsonArgs();

    /** The authors' Params as the fixture recorded them. */
    private final class JsonArgs {
        final double eLoss = fx.meta().get("args").get("e_loss").asDouble();
        final int steps = fx.meta().get("args").get("steps").asInt();
        final double noiseScale = fx.meta().get("args").get("noise_scale").asDouble();
        final double noiseMin = fx.meta().get("args").get("noise_min").asDouble();
        final double noiseMax = fx.meta().get("args").get("noise_max").asDouble();
        final int timeDim = fx.meta().get("args").get("d_emb_size").asInt();
        final int rebuildK = fx.meta().get("args").get("rebuild_k").asInt();
    }

    private FeatureMatrix features(String modality) {
        Fixture.Array a = fx.array(modality + "_features");
        return new FeatureMatrix(modality, a.rows(), a.cols(), a.floats());
    }

    private GaussianDiffusion diffusion() {
        return new GaussianDiffusion(new DiffusionSchedule(args.steps, args.noiseScale, args.noiseMin, args.noiseMax));
    }

    private Denoiser denoiser(String modality) {
        Denoiser d = new Denoiser(modality, items, new int[] {6}, args.timeDim, 0.5f, new Rng(1));
        fx.loadDenoiser(d, "denoiser_" + modality, items);
        return d;
    }

    private ModalityTransform transform(String modality) {
        ModalityTransform t = new ModalityTransform(features(modality), dim, ModalityTransform.Kind.LINEAR, new Rng(1));
        Map<String, Parameter> p = Fixture.byName(t.parameters());
        load(p.get(modality + ".trans.weight"), fx.transposed(modality + "_trans_weight"));
        load(p.get(modality + ".trans.bias"), fx.tensor(modality + "_trans_bias"));
        return t;
    }

    /** Dense interaction rows of the given users, in that order. */
    private Tensor rows(Interactions train, int[] batchUsers) {
        Tensor x = Tensor.zeros(batchUsers.length, items);
        for (int r = 0; r < batchUsers.length; r++) {
            for (int i : train.itemsOf(batchUsers[r])) {
                x.set(r, i, 1f);
            }
        }
        return x;
    }

    // ---- (a) the denoiser ----------------------------------------------------------------------

    @Test
    void denoiserForwardMatchesTheirs() {
        Denoiser d = denoiser("image");
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            Var x = tape.constant(fx.tensor("a_x_t"));
            assertClose("(a) denoiser, mixed timesteps", d.forward(tape, x, fx.ints("a_t_mixed"), false, null).value(),
                    fx.array("a_image_mixed"), RTOL, ATOL);
            // one shared timestep takes our broadcast path
            assertClose("(a) denoiser, shared timestep", d.forward(tape, x, fx.ints("a_t_shared"), false, null).value(),
                    fx.array("a_image_shared"), RTOL, ATOL);
        }
    }

    /**
     * Their {@code --dims [6,3]}: out_dims = dims + [items], in_dims = out_dims reversed, so the
     * layers are items+emb → 3 → 6 → 3 → items; with an odd time-embedding width (7).
     */
    @Test
    void deeperDenoiserWithOddTimeEmbeddingMatchesTheirs() {
        // their --dims value as the authors write it, through our config key of the same name
        DiffMMConfig config = DiffMM.DEFINITION.config(null, Map.of("dims", fx.meta().get("denoiser_deep_dims").toString()));
        Denoiser d = new Denoiser("deep", items, config.denoiserDims(), fx.integer("denoiser_deep_emb"), 0.5f, new Rng(1));
        fx.loadDenoiser(d, "denoiser_deep", items);
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            Var x = tape.constant(fx.tensor("a_x_t"));
            assertClose("(a) deep denoiser, odd embedding", d.forward(tape, x, fx.ints("a_t_mixed"), false, null).value(),
                    fx.array("a_deep_mixed"), RTOL, ATOL);
        }
    }

    // ---- (b) diffusion loss and modality signal injection ------------------------------------

    @Test
    void diffusionAndSignalInjectionLossesMatchTheirs() {
        Interactions train = fx.interactions(users, items);
        GaussianDiffusion diffusion = diffusion();
        int[] batchUsers = fx.ints("b_batch_users");
        Tensor itemEmb = fx.tensor("item_embeddings");
        double total = 0;
        for (String m : List.of("image", "text")) {
            Denoiser d = denoiser(m);
            try (ModalityTransform transform = transform(m); Tape tape = new Tape(new BufferPool())) {
                Var x0 = tape.constant(rows(train, batchUsers));
                GaussianDiffusion.Training step = diffusion.trainingLoss(tape, d, x0, fx.ints("b_" + m + "_t"),
                        fx.tensor("b_" + m + "_noise"), false, null);
                assertClose("(b) " + m + " predicted x0", step.predicted().value(), fx.array("b_" + m + "_predicted"),
                        RTOL, ATOL);
                Var features = tape.constant(transform.apply(tape).value());
                Var msi = DiffMM.signalInjectionLoss(tape, step.predicted(), features,
                        tape.matmul(x0, tape.constant(itemEmb)));
                double diff = step.loss().value().get(0, 0);
                double gc = msi.value().get(0, 0);
                assertClose("(b) " + m + " diffusion loss", diff, fx.scalar("b_" + m + "_diff_loss"), RTOL);
                assertClose("(b) " + m + " MSI loss", gc, fx.scalar("b_" + m + "_gc_loss"), RTOL);
                double lm = diff + args.eLoss * gc;
                assertClose("(b) " + m + " diff + e_loss·MSI", lm, fx.scalar("b_" + m + "_loss"), RTOL);
                total += lm;
                d.parameters().forEach(Parameter::zeroGrad);
                tape.backward(tape.add(step.loss(), tape.scale(msi, (float) args.eLoss)));
                fx.assertDenoiserGradients(d, "b_" + m + "_grad", items);
            }
        }
        assertClose("(b) summed over modalities", total, fx.scalar("b_total_loss"), RTOL);
    }

    // ---- (c) graph generation -----------------------------------------------------------------

    @Test
    void reverseProcessTopKAndGeneratedGraphsMatchTheirs() {
        Interactions train = fx.interactions(users, items);
        GaussianDiffusion diffusion = diffusion();
        int[] order = fx.ints("b_batch_users");
        for (String m : List.of("image", "text")) {
            Denoiser d = denoiser(m);
            BufferPool pool = new BufferPool();
            try (Tape tape = Tape.noGrad(pool)) {
                int[] all = java.util.stream.IntStream.range(0, users).toArray();
                Var denoised = diffusion.reverse(tape, d, tape.constant(rows(train, all)));
                // Five chained denoiser calls with 8x input weights amplify float32 rounding (their own
                // float32 result is 1.2e-6 off their float64 one), so this case is held to 1e-5 of the
                // array's largest magnitude, against their float64 run and their float32 run.
                Fixture.Array exact = fx.array("c_" + m + "_denoised_f64");
                double scale = java.util.Arrays.stream(exact.values()).map(Math::abs).max().orElseThrow();
                assertClose("(c) " + m + " p_sample vs their float64", denoised.value(), exact, 0, RTOL * scale);
                assertClose("(c) " + m + " p_sample vs their float32", denoised.value(),
                        fx.array("c_" + m + "_denoised"), 0, RTOL * scale);
                assertThat(TopK.rows(denoised.value(), 3)).as("(c) %s top-3 items per user", m)
                        .containsExactly(fx.ints("c_" + m + "_top3"));
            }
            // Their edge list runs over the diffusion loader's (shuffled) batch; ours is user-major.
            int[][] edges = new ModalityGraphGenerator(diffusion, args.rebuildK, 1024).edges(d, train, new Tapes(pool));
            int[] theirUsers = fx.ints("c_" + m + "_edges_users");
            int[] theirItems = fx.ints("c_" + m + "_edges_items");
            assertThat(theirUsers).containsExactly(order);
            for (int k = 0; k < theirUsers.length; k++) {
                assertThat(edges[1][theirUsers[k]]).as("(c) %s edge of user %d", m, theirUsers[k])
                        .isEqualTo(theirItems[k]);
            }
            CsrMatrix graph = CsrMatrix.normalizedBipartite(users, items, edges[0], edges[1]);
            assertClose("(c) " + m + " generated graph (before dropout)", dense(graph),
                    fx.array("c_" + m + "_graph").values(), RTOL, ATOL);
            pool.clear();
        }
    }

    private static float[] dense(CsrMatrix g) {
        float[][] d = g.toDense();
        float[] flat = new float[d.length * d[0].length];
        for (int r = 0; r < d.length; r++) {
            System.arraycopy(d[r], 0, flat, r * d[0].length, d[0].length);
        }
        return flat;
    }

    // ---- (d) recommendation batch loss ------------------------------------------------------

    private Dataset dataset() {
        Map<String, FeatureMatrix> modalities = new LinkedHashMap<>();
        modalities.put("image", features("image"));
        modalities.put("text", features("text"));
        Interactions one = Interactions.fromPairs(users, items, new int[] {0}, new int[] {1});
        return new Dataset("parity", fx.interactions(users, items), one, one, modalities, IdMapping.identity(users), IdMapping.identity(items));
    }

    /** Our tiktok preset at the fixture's size; their --dims string as given. */
    private DiffMMConfig tiktokConfig() {
        return DiffMM.DEFINITION.config("tiktok", Map.of("dim", dim,
                "dims", fx.meta().get("args").get("dims").asText()));
    }

    /** The BPR divisor is the nominal batch size, their args.batch. */
    private EpochContext context() {
        return new EpochContext(0, new Rng(1), fx.meta().get("args").get("batch").asInt(), new Tapes(), new PhaseTimer());
    }

    @Test
    void mainAdjacencyMatchesTheirs() {
        assertClose("(d) normalised adjacency (A+I)", dense(InteractionGraphs.withSelfLoops(fx.interactions(users, items))),
                fx.array("adjacency_dense").values(), RTOL, ATOL);
    }

    @Test
    void batchLossMatchesTheirsWithTikTokFlags() {
        DiffMMConfig config = tiktokConfig();
        JsonArgsCheck.check(fx, config);
        try (DiffMM model = new DiffMM(config, dataset(), new Rng(5))) {
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            load(p.get("user_embeddings"), fx.tensor("user_embeddings"));
            load(p.get("item_embeddings"), fx.tensor("item_embeddings"));
            for (String m : List.of("image", "text")) {
                load(p.get(m + ".trans.weight"), fx.transposed(m + "_trans_weight"));
                load(p.get(m + ".trans.bias"), fx.tensor(m + "_trans_bias"));
            }
            load(p.get("modality_weights"), fx.tensor("modal_weight"));
            assertThat(p).hasSize(7);
            model.useModalityGraphs(List.of(fx.sparse("d_image_graph"), fx.sparse("d_text_graph")));

            try (EmbeddingScorer scorer = model.scorer()) {
                assertClose("(d) forward_MM users", scorer.userEmbeddings(), fx.array("d_main_users"), RTOL, ATOL);
                assertClose("(d) forward_MM items", scorer.itemEmbeddings(), fx.array("d_main_items"), RTOL, ATOL);
            }
            TripleBatch batch = new TripleBatch(fx.ints("d_users"), fx.ints("d_positives"), fx.ints("d_negatives"));
            try (Tape tape = new Tape(new BufferPool())) {
                LossTerms terms = model.batchLoss(tape, batch, context());
                Map<String, Double> parts = terms.partValues();
                assertClose("(d) BPR", parts.get("bpr"), fx.scalar("d_bprLoss"), RTOL);
                assertClose("(d) reg", parts.get("reg"), fx.scalar("d_regLoss"), RTOL);
                assertClose("(d) contrastive (cl_method 1)", parts.get("cl"), fx.scalar("d_clLoss"), RTOL);
                assertClose("(d) total", terms.total().value().get(0, 0), fx.scalar("d_loss"), RTOL);
                model.parameters().forEach(Parameter::zeroGrad);
                tape.backward(terms.total());
                Fixture.assertGrad(p.get("user_embeddings"), fx.tensor("d_grad_user_embeddings"));
                Fixture.assertGrad(p.get("item_embeddings"), fx.tensor("d_grad_item_embeddings"));
                for (String m : List.of("image", "text")) {
                    Fixture.assertGrad(p.get(m + ".trans.weight"), fx.transposed("d_grad_" + m + "_trans_weight"));
                    Fixture.assertGrad(p.get(m + ".trans.bias"), fx.tensor("d_grad_" + m + "_trans_bias"));
                }
                Fixture.assertGrad(p.get("modality_weights"), fx.tensor("d_grad_modal_weight"));
            }
        }
    }

    /** Their three-modality (TikTok: image, text, audio) branches of Model and Main.py, same batch. */
    @Test
    void threeModalityBatchLossMatchesTheirTikTokPath() {
        DiffMMConfig config = tiktokConfig();
        Map<String, FeatureMatrix> modalities = new LinkedHashMap<>();
        List<String> names = List.of("image", "text", "audio");
        names.forEach(m -> modalities.put(m, features(m)));
        Interactions one = Interactions.fromPairs(users, items, new int[] {0}, new int[] {1});
        Dataset data = new Dataset("parity3", fx.interactions(users, items), one, one, modalities, IdMapping.identity(users),
                IdMapping.identity(items));
        try (DiffMM model = new DiffMM(config, data, new Rng(5))) {
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            load(p.get("user_embeddings"), fx.tensor("e_user_embeddings"));
            load(p.get("item_embeddings"), fx.tensor("e_item_embeddings"));
            for (String m : names) {
                load(p.get(m + ".trans.weight"), fx.transposed("e_" + m + "_trans_weight"));
                load(p.get(m + ".trans.bias"), fx.tensor("e_" + m + "_trans_bias"));
            }
            load(p.get("modality_weights"), fx.tensor("e_modal_weight"));
            assertThat(p).hasSize(9);
            model.useModalityGraphs(names.stream().map(m -> fx.sparse("e_" + m + "_graph")).toList());
            try (EmbeddingScorer scorer = model.scorer()) {
                assertClose("(e) forward_MM users, 3 modalities", scorer.userEmbeddings(), fx.array("e_main_users"),
                        RTOL, ATOL);
                assertClose("(e) forward_MM items, 3 modalities", scorer.itemEmbeddings(), fx.array("e_main_items"),
                        RTOL, ATOL);
            }
            TripleBatch batch = new TripleBatch(fx.ints("d_users"), fx.ints("d_positives"), fx.ints("d_negatives"));
            try (Tape tape = new Tape(new BufferPool())) {
                LossTerms terms = model.batchLoss(tape, batch, context());
                Map<String, Double> parts = terms.partValues();
                assertClose("(e) BPR, 3 modalities", parts.get("bpr"), fx.scalar("e_bprLoss"), RTOL);
                assertClose("(e) reg, 3 modalities", parts.get("reg"), fx.scalar("e_regLoss"), RTOL);
                assertClose("(e) contrastive, 3 modalities", parts.get("cl"), fx.scalar("e_clLoss"), RTOL);
                assertClose("(e) total, 3 modalities", terms.total().value().get(0, 0), fx.scalar("e_loss"), RTOL);
                model.parameters().forEach(Parameter::zeroGrad);
                tape.backward(terms.total());
                Fixture.assertGrad(p.get("user_embeddings"), fx.tensor("e_grad_user_embeddings"));
                Fixture.assertGrad(p.get("item_embeddings"), fx.tensor("e_grad_item_embeddings"));
                for (String m : names) {
                    Fixture.assertGrad(p.get(m + ".trans.weight"), fx.transposed("e_grad_" + m + "_trans_weight"));
                    Fixture.assertGrad(p.get(m + ".trans.bias"), fx.tensor("e_grad_" + m + "_trans_bias"));
                }
                Fixture.assertGrad(p.get("modality_weights"), fx.tensor("e_grad_modal_weight"));
            }
        }
    }

    /**
     * Their Baby README flags: trans 0 (LeakyReLU projections, nn.Parameter already in × d) and
     * cl_method 0 (modality vs modality), on the graphs of (c) without edge dropout (keepRate 1).
     */
    @Test
    void batchLossMatchesTheirsWithBabyFlags() {
        DiffMMConfig config = DiffMM.DEFINITION.config("baby", Map.of("dim", dim,
                "dims", fx.meta().get("args").get("dims").asText()));
        var a = fx.meta().get("f_args");
        assertThat(config.trans()).isEqualTo(a.get("trans").asInt());
        assertThat(config.clMethod()).isEqualTo(a.get("cl_method").asInt());
        assertThat(config.reg()).isEqualTo((float) a.get("reg").asDouble());
        assertThat(config.sslReg()).isEqualTo((float) a.get("ssl_reg").asDouble());
        assertThat(config.keepRate()).isEqualTo((float) a.get("keepRate").asDouble());
        assertThat(config.eLoss()).isEqualTo((float) a.get("e_loss").asDouble());
        try (DiffMM model = new DiffMM(config, dataset(), new Rng(5))) {
            Map<String, Parameter> p = Fixture.byName(model.parameters());
            load(p.get("user_embeddings"), fx.tensor("f_user_embeddings"));
            load(p.get("item_embeddings"), fx.tensor("f_item_embeddings"));
            load(p.get("image.trans.weight"), fx.tensor("f_image_trans"));
            load(p.get("text.trans.weight"), fx.tensor("f_text_trans"));
            load(p.get("modality_weights"), fx.tensor("f_modal_weight"));
            assertThat(p).hasSize(5);
            model.useModalityGraphs(List.of(fx.sparse("c_image_graph"), fx.sparse("c_text_graph")));
            try (EmbeddingScorer scorer = model.scorer()) {
                assertClose("(f) forward_MM users, trans 0", scorer.userEmbeddings(), fx.array("f_main_users"), RTOL,
                        ATOL);
                assertClose("(f) forward_MM items, trans 0", scorer.itemEmbeddings(), fx.array("f_main_items"), RTOL,
                        ATOL);
            }
            TripleBatch batch = new TripleBatch(fx.ints("d_users"), fx.ints("d_positives"), fx.ints("d_negatives"));
            try (Tape tape = new Tape(new BufferPool())) {
                LossTerms terms = model.batchLoss(tape, batch, context());
                Map<String, Double> parts = terms.partValues();
                assertClose("(f) BPR, baby flags", parts.get("bpr"), fx.scalar("f_bprLoss"), RTOL);
                assertClose("(f) reg, baby flags", parts.get("reg"), fx.scalar("f_regLoss"), RTOL);
                assertClose("(f) contrastive (cl_method 0)", parts.get("cl"), fx.scalar("f_clLoss"), RTOL);
                assertClose("(f) total, baby flags", terms.total().value().get(0, 0), fx.scalar("f_loss"), RTOL);
                model.parameters().forEach(Parameter::zeroGrad);
                tape.backward(terms.total());
                Fixture.assertGrad(p.get("user_embeddings"), fx.tensor("f_grad_user_embeddings"));
                Fixture.assertGrad(p.get("item_embeddings"), fx.tensor("f_grad_item_embeddings"));
                Fixture.assertGrad(p.get("image.trans.weight"), fx.tensor("f_grad_image_trans"));
                Fixture.assertGrad(p.get("text.trans.weight"), fx.tensor("f_grad_text_trans"));
                Fixture.assertGrad(p.get("modality_weights"), fx.tensor("f_grad_modal_weight"));
            }
        }
    }

    @Test
    void contrastiveViewsMatchForwardClMM() {
        Interactions train = fx.interactions(users, items);
        MultiModalAggregator aggregator = new MultiModalAggregator(InteractionGraphs.withSelfLoops(train), users,
                fx.meta().get("args").get("gnn_layer").asInt(),
                (float) fx.meta().get("args").get("ris_lambda").asDouble(),
                (float) fx.meta().get("args").get("ris_adj_lambda").asDouble());
        for (String m : List.of("image", "text")) {
            try (ModalityTransform transform = transform(m); Tape tape = Tape.noGrad(new BufferPool())) {
                Var z = aggregator.contrastiveView(tape, tape.constant(fx.tensor("user_embeddings")), transform.apply(tape),
                        fx.sparse("d_" + m + "_graph"));
                Fixture.Array u = fx.array("d_view_" + m + "_users");
                Fixture.Array i = fx.array("d_view_" + m + "_items");
                assertClose("(d) forward_cl_MM " + m + " users", tape.sliceRows(z, 0, users).value(), u, RTOL, ATOL);
                assertClose("(d) forward_cl_MM " + m + " items", tape.sliceRows(z, users, users + items).value(), i,
                        RTOL, ATOL);
            }
        }
    }

    /** The fixture's Params (TikTok README flags) against the config the tests build. */
    private static final class JsonArgsCheck {
        static void check(Fixture fx, DiffMMConfig c) {
            var a = fx.meta().get("args");
            assertThat(c.reg()).isEqualTo((float) a.get("reg").asDouble());
            assertThat(c.sslReg()).isEqualTo((float) a.get("ssl_reg").asDouble());
            assertThat(c.temperature()).isEqualTo((float) a.get("temp").asDouble());
            assertThat(c.eLoss()).isEqualTo((float) a.get("e_loss").asDouble());
            assertThat(c.risLambda()).isEqualTo((float) a.get("ris_lambda").asDouble());
            assertThat(c.risAdjLambda()).isEqualTo((float) a.get("ris_adj_lambda").asDouble());
            assertThat(c.trans()).isEqualTo(a.get("trans").asInt());
            assertThat(c.clMethod()).isEqualTo(a.get("cl_method").asInt());
            assertThat(c.gnnLayers()).isEqualTo(a.get("gnn_layer").asInt());
            assertThat(c.steps()).isEqualTo(a.get("steps").asInt());
            assertThat(c.timeEmbeddingDim()).isEqualTo(a.get("d_emb_size").asInt());
            assertThat(c.rebuildK()).isEqualTo(a.get("rebuild_k").asInt());
        }
    }
}
