package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.diffusion.Denoiser;
import org.diffmmj.diffusion.DiffusionSchedule;
import org.diffmmj.diffusion.GaussianDiffusion;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;
import org.diffmmj.sampling.TripleBatch;

class DiffMMTest {

    private static final Dataset TINY = TestData.synthetic(30, 20, 4);

    /** A tiny DiffMM config: the given keys over dim 4, one hidden layer of 6, no edge dropout. */
    private static DiffMMConfig tinyConfig(Object... keysAndValues) {
        Map<String, Object> values = new java.util.LinkedHashMap<>(Map.of("dim", 4, "dims", "6", "keepRate", 1,
                "diffusion_batch", 16));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return DiffMM.DEFINITION.config(null, values);
    }

    private static EpochContext context(int nominalBatch) {
        return new EpochContext(0, new Rng(1), nominalBatch, new Tapes(), new PhaseTimer());
    }

    /** Finite differences of the full batch loss (BPR + L2 + both CL variants) on a tiny model. */
    @Test
    void batchLossGradientsMatchFiniteDifferences() {
        for (int clMethod : new int[] {0, 1}) {
            for (int trans : new int[] {0, 1}) {
                DiffMMConfig config = tinyConfig("cl_method", clMethod, "trans", trans, "reg", 1e-2, "ssl_reg", 0.3);
                DiffMM model = new DiffMM(config, TINY, new Rng(3));
                TripleBatch batch = new TripleBatch(new int[] {0, 3, 3, 7}, new int[] {1, 2, 5, 0}, new int[] {4, 6, 9, 11});
                List<Parameter> params = model.parameters();
                // A small step: the leaky-ReLU transform has a kink that a large step would straddle.
                GradCheck.check(params, tape -> model.batchLoss(tape, batch, context(8)).total(), 2e-3f, 3e-2);
                model.close();
            }
        }
    }

    /** Finite differences of the diffusion + MSI loss with respect to every denoiser parameter. */
    @Test
    void diffusionLossGradientsMatchFiniteDifferences() {
        Denoiser denoiser = new Denoiser("image", 20, new int[] {6}, 10, 0.5f, new Rng(5));
        GaussianDiffusion diffusion = new GaussianDiffusion(new DiffusionSchedule(5, 0.1, 1e-4, 0.02));
        Rng data = new Rng(9);
        Tensor x0 = Tensor.zeros(5, 20);
        for (int r = 0; r < 5; r++) {
            for (int k = 0; k < 4; k++) {
                x0.set(r, data.nextInt(20), 1f);
            }
        }
        Tensor features = Tensor.zeros(20, 3);
        data.fillNormal(features, 0, 1);
        Tensor itemEmb = Tensor.zeros(20, 3);
        data.fillNormal(itemEmb, 0, 1);
        GradCheck.check(denoiser.parameters(), tape -> {
            Var x = tape.constant(x0);
            Var target = tape.matmul(x, tape.constant(itemEmb));
            // A fresh generator per evaluation: the same timesteps, noise and dropout mask.
            GaussianDiffusion.Training step = diffusion.trainingLoss(tape, denoiser, x, new Rng(42));
            Var msi = DiffMM.signalInjectionLoss(tape, step.predicted(), tape.constant(features), target);
            return tape.add(step.loss(), tape.scale(msi, 0.1f));
        }, 1e-2f, 3e-2);
    }

    @Test
    void generatedGraphHasOneEdgePerUserAndSelfLoops() {
        DiffMM model = new DiffMM(tinyConfig(), TINY, new Rng(1));
        for (CsrMatrix g : model.modalityGraphs()) {
            int n = TINY.users() + TINY.items();
            assertThat(g.rows()).isEqualTo(n);
            float[][] d = g.toDense();
            for (int u = 0; u < TINY.users(); u++) {
                int itemEdges = 0;
                for (int i = 0; i < TINY.items(); i++) {
                    if (d[u][TINY.users() + i] != 0) {
                        itemEdges++;
                        assertThat(d[TINY.users() + i][u]).isEqualTo(d[u][TINY.users() + i]);
                    }
                }
                assertThat(itemEdges).isEqualTo(1);
                assertThat(d[u][u]).isGreaterThan(0f);
            }
        }
        model.close();
    }

    @Test
    void trainsEndToEndWithEveryPhaseTimed() {
        DiffMMConfig config = tinyConfig("dim", 16, "dims", "32", "keepRate", 0.5);
        TrainingConfig training = TrainingConfig.builder().epochs(5).batchSize(64).learningRate(5e-3).seed(2).build();
        try (DiffMM model = new DiffMM(config, TINY, new Rng(2))) {
            TrainingHistory h = new Trainer(training).fit(model, TINY, Map.of(), null);
            var first = h.epochs().get(0);
            assertThat(first.seconds()).containsKeys("diffusion_training", "graph_generation",
                    "recommendation_training", "evaluation");
            assertThat(first.losses()).containsKeys("diffusion", "msi", "bpr", "reg", "cl");
            double firstLoss = h.epochs().get(0).losses().get("bpr");
            double lastLoss = h.epochs().get(4).losses().get("bpr");
            assertThat(lastLoss).isLessThan(firstLoss);
            assertThat(h.bestValidationEpoch().test().get("recall@20")).isBetween(0.0, 1.0);
        }
    }

    @Test
    void presetsApplyTheAuthorsOverrides() {
        // The authors' README flags per dataset.
        DiffMMConfig t = DiffMM.DEFINITION.config("tiktok", Map.of());
        assertThat(t.reg()).isEqualTo(1e-4f);
        assertThat(t.sslReg()).isEqualTo(1e-2f);
        assertThat(t.trans()).isEqualTo(1);
        assertThat(t.clMethod()).isEqualTo(1);
        assertThat(t.keepRate()).isEqualTo(0.5f);
        DiffMMConfig s = DiffMM.DEFINITION.config("sports", Map.of());
        assertThat(s.temperature()).isEqualTo(0.1f);
        assertThat(s.keepRate()).isEqualTo(1f);
        assertThat(s.risLambda()).isEqualTo(0.1f);
        DiffMMConfig b = DiffMM.DEFINITION.config("baby", Map.of());
        assertThat(b.eLoss()).isEqualTo(0.01f);
        assertThat(b.trans()).isZero();
    }

    @Test
    void denoiserRowsAreExactlyTheUsersTrainingItems() {
        CsrMatrix r = org.diffmmj.graph.InteractionGraphs.interactionMatrix(TINY.train());
        try (org.diffmmj.autograd.Tape tape = new Tapes().noGrad()) {
            Tensor rows = tape.denseRows(r, new int[] {3, 0}).value();
            for (int k = 0; k < 2; k++) {
                int user = k == 0 ? 3 : 0;
                List<Integer> items = new ArrayList<>();
                for (int i = 0; i < TINY.items(); i++) {
                    float v = rows.get(k, i);
                    assertThat(v).isIn(0f, 1f);
                    if (v == 1f) {
                        items.add(i);
                    }
                }
                assertThat(items).containsExactlyElementsOf(java.util.Arrays.stream(TINY.train().itemsOf(user)).boxed().toList());
            }
        }
    }
}
