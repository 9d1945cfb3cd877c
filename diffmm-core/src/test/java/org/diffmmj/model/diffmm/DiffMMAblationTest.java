package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.TestData;
import org.diffmmj.diffusion.DiffusionSchedule;
import org.diffmmj.diffusion.GaussianDiffusion;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.model.Ablation;
import org.diffmmj.model.EpochContext;
import org.diffmmj.model.LossTerms;
import org.diffmmj.model.PhaseTimer;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.TripleBatch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

/**
 * The ablation switches: each is off-by-default-to-nothing (the defaults and presets are the full
 * model) and, when set, removes exactly its part: the MSI term from the denoisers' gradient, the
 * contrastive term from the batch loss, the denoisers and their graphs (the views then propagate
 * over the training graph), the features (the model then cannot see them).
 */
class DiffMMAblationTest {

    private static final Dataset TINY = TestData.synthetic(30, 20, 4);
    private static final TripleBatch BATCH = new TripleBatch(new int[] {0, 3, 3, 7}, new int[] {1, 2, 5, 0},
            new int[] {4, 6, 9, 11});

    private static DiffMMConfig tinyConfig(Object... keysAndValues) {
        Map<String, Object> values = new LinkedHashMap<>(Map.of("dim", 4, "dims", "6", "keepRate", 1,
                "diffusion_batch", 16, "cl_method", 1, "ssl_reg", 0.3, "e_loss", 0.5));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return DiffMM.DEFINITION.config(null, values);
    }

    private static EpochContext context(PhaseTimer timer) {
        return new EpochContext(0, new Rng(1), 8, new Tapes(), timer);
    }

    @Test
    void defaultsAndPresetsAreTheFullModelAndEachVariantChangesOneKey() {
        for (String preset : new String[] {null, "tiktok", "baby", "sports"}) {
            DiffMMConfig c = DiffMM.DEFINITION.config(preset, Map.of());
            assertThat(List.of(c.msi(), c.cl(), c.diffusionGraphs(), c.modalityFeatures())).containsOnly(true);
        }
        List<Ablation> variants = DiffMMConfig.ABLATIONS;
        assertThat(variants.get(0).overrides()).isEmpty();
        assertThat(variants).extracting(Ablation::label)
                .containsExactly("DiffMM", "w/o MSI", "w/o CL", "w/o diffusion graphs", "w/o modality features");
        Map<String, Object> full = DiffMM.DEFINITION.toMap(DiffMM.DEFINITION.config("tiktok", Map.of()));
        for (Ablation a : variants.subList(1, variants.size())) {
            Map<String, Object> v = DiffMM.DEFINITION.toMap(DiffMM.DEFINITION.config("tiktok", a.overrides()));
            List<String> changed = full.keySet().stream().filter(k -> !java.util.Objects.deepEquals(full.get(k), v.get(k)))
                    .toList();
            assertThat(changed).as(a.id()).containsExactlyElementsOf(a.overrides().keySet());
            assertThat(v.get(changed.get(0))).isEqualTo(false);
        }
    }

    @Test
    void aVariantKeepsItsKeysInTheOrderGiven() {
        // The ablation table's Keys column lists them; Map.copyOf's order changes from one JVM to the next.
        Map<String, Object> keys = new LinkedHashMap<>();
        for (String k : List.of("msi", "cl", "diffusion_graphs", "modality_features", "e_loss", "ssl_reg")) {
            keys.put(k, false);
        }
        Ablation a = new Ablation("diffmm-wo-many", "w/o many", "several parts at once", keys);
        assertThat(a.overrides().keySet())
                .containsExactly("msi", "cl", "diffusion_graphs", "modality_features", "e_loss", "ssl_reg");
    }

    /** The denoisers' gradients of the whole batch loss: one flat array per parameter. */
    private static List<float[]> denoiserGradients(DiffMM model, java.util.function.Function<Tape, Var> loss) {
        List<Parameter> ps = model.auxiliaryParameters();
        ps.forEach(Parameter::zeroGrad);
        try (Tape tape = new Tapes().recording()) {
            tape.backward(loss.apply(tape));
        }
        List<float[]> grads = new ArrayList<>();
        ps.forEach(p -> grads.add(p.grad().toArray()));
        return grads;
    }

    @Test
    void withoutMsiTheDenoiserGradientIsThatOfTheDiffusionLossAlone() {
        int[] users = {0, 2, 5, 9, 11, 17, 23};
        CsrMatrix rows = InteractionGraphs.interactionMatrix(TINY.train());
        for (boolean msi : new boolean[] {false, true}) {
            try (DiffMM model = new DiffMM(tinyConfig("msi", msi), TINY, new Rng(3))) {
                List<org.diffmmj.tensor.Tensor> features;
                try (Tape detached = new Tapes().noGrad()) {
                    features = model.signalInjectionFeatures(detached);
                }
                assertThat(features == null).isEqualTo(!msi);
                List<float[]> model1 = denoiserGradients(model, tape -> model.denoiserLoss(tape, users, features,
                        model.itemEmbeddingTable(), new Rng(42)).total());
                // The diffusion loss alone, by the diffusion code directly, with the same draws.
                GaussianDiffusion diffusion = new GaussianDiffusion(new DiffusionSchedule(5, 0.1, 1e-4, 0.02));
                List<float[]> alone = denoiserGradients(model, tape -> {
                    Var x0 = tape.denseRows(rows, users);
                    Rng rng = new Rng(42);
                    Var sum = null;
                    for (var d : model.denoisers()) {
                        Var l = diffusion.trainingLoss(tape, d, x0, rng).loss();
                        sum = sum == null ? l : tape.add(sum, l);
                    }
                    return sum;
                });
                assertThat(model1).hasSize(alone.size()).isNotEmpty();
                boolean allEqual = true;
                for (int k = 0; k < alone.size(); k++) {
                    allEqual &= java.util.Arrays.equals(model1.get(k), alone.get(k));
                }
                // Without MSI exactly the diffusion gradient; with it (e_loss 0.5) a different one.
                assertThat(allEqual).as("msi=" + msi).isEqualTo(!msi);
                Map<String, Double> epoch = model.beforeEpoch(context(new PhaseTimer()));
                assertThat(epoch.containsKey("msi")).isEqualTo(msi);
                assertThat(epoch).containsKey("diffusion");
            }
        }
    }

    @Test
    void withoutClTheBatchLossIsBprPlusRegularisation() {
        try (DiffMM full = new DiffMM(tinyConfig(), TINY, new Rng(3));
             DiffMM noCl = new DiffMM(tinyConfig("cl", false), TINY, new Rng(3));
             Tape tape = new Tapes().noGrad()) {
            LossTerms f = full.batchLoss(tape, BATCH, context(new PhaseTimer()));
            LossTerms n = noCl.batchLoss(tape, BATCH, context(new PhaseTimer()));
            assertThat(f.parts()).containsKey("cl");
            assertThat(f.partValues().get("cl")).isPositive();
            assertThat(n.parts()).containsOnlyKeys("bpr", "reg");
            // Same seed, same weights and graphs: the same BPR and L2 terms, the CL term gone.
            assertThat(n.partValues().get("bpr")).isEqualTo(f.partValues().get("bpr"));
            assertThat(n.partValues().get("reg")).isEqualTo(f.partValues().get("reg"));
            assertThat((double) n.total().value().get(0, 0))
                    .isCloseTo(n.partValues().get("bpr") + n.partValues().get("reg"), org.assertj.core.api.Assertions.within(1e-6));
        }
    }

    @Test
    void withoutDiffusionGraphsTheViewsUseTheTrainingGraphAndNoDenoiserExists() {
        float[][] a = InteractionGraphs.withSelfLoops(TINY.train()).toDense();
        try (DiffMM model = new DiffMM(tinyConfig("diffusion_graphs", false), TINY, new Rng(3))) {
            assertThat(model.denoisers()).isEmpty();
            assertThat(model.auxiliaryParameters()).isEmpty();
            assertThat(model.auxiliaryOptimizers()).isEmpty();
            List<CsrMatrix> graphs = model.modalityGraphs();
            assertThat(graphs).hasSize(TINY.modalities().size());
            for (CsrMatrix g : graphs) {
                assertThat(g.toDense()).isDeepEqualTo(a); // keepRate 1: Â itself
            }
            PhaseTimer timer = new PhaseTimer();
            assertThat(model.beforeEpoch(context(timer))).isEmpty();
            assertThat(timer.seconds()).doesNotContainKey("diffusion_training");
        }
        // With edge dropout: each view an independently dropped copy of Â, kept values divided by keepRate.
        try (DiffMM model = new DiffMM(tinyConfig("diffusion_graphs", false, "keepRate", 0.5), TINY, new Rng(3))) {
            model.beforeEpoch(context(new PhaseTimer()));
            List<float[][]> dense = model.modalityGraphs().stream().map(CsrMatrix::toDense).toList();
            int kept = 0;
            int total = 0;
            for (float[][] g : dense) {
                for (int r = 0; r < a.length; r++) {
                    for (int c = 0; c < a.length; c++) {
                        if (a[r][c] != 0) {
                            total++;
                        }
                        if (g[r][c] != 0) {
                            kept++;
                            assertThat(g[r][c]).isEqualTo(a[r][c] / 0.5f);
                        }
                    }
                }
            }
            assertThat(kept).isBetween(total / 4, 3 * total / 4);
            assertThat(dense.get(0)).isNotEqualTo(dense.get(1));
        }
    }

    /** TINY with every feature value replaced by other random values: the same interactions. */
    private static Dataset otherFeatures() {
        Map<String, FeatureMatrix> m = new LinkedHashMap<>();
        Rng rng = new Rng(77);
        for (FeatureMatrix f : TINY.modalities().values()) {
            float[] v = new float[f.rows() * f.cols()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rng.nextGaussian();
            }
            m.put(f.name(), new FeatureMatrix(f.name(), f.rows(), f.cols(), v));
        }
        return new Dataset(TINY.name(), TINY.train(), TINY.validation(), TINY.test(), m, TINY.userIds(), TINY.itemIds());
    }

    private static double lossAfterAnEpoch(DiffMMConfig config, Dataset data) {
        try (DiffMM model = new DiffMM(config, data, new Rng(3));
             Tape tape = new Tapes().noGrad()) {
            model.beforeEpoch(context(new PhaseTimer()));
            return model.batchLoss(tape, BATCH, context(new PhaseTimer())).total().value().get(0, 0);
        }
    }

    @Test
    void withoutModalityFeaturesTheModelCannotSeeThem() {
        DiffMMConfig noFeatures = tinyConfig("modality_features", false);
        try (DiffMM model = new DiffMM(noFeatures, TINY, new Rng(3))) {
            assertThat(model.parameters()).extracting(Parameter::name).noneMatch(n -> n.contains(".trans"));
            assertThat(model.denoisers()).hasSize(TINY.modalities().size());
            assertThat(model.beforeEpoch(context(new PhaseTimer()))).containsOnlyKeys("diffusion");
        }
        // Other feature values change nothing, diffusion training included; in the full model they do.
        assertThat(lossAfterAnEpoch(noFeatures, otherFeatures())).isEqualTo(lossAfterAnEpoch(noFeatures, TINY));
        assertThat(lossAfterAnEpoch(tinyConfig(), otherFeatures())).isNotEqualTo(lossAfterAnEpoch(tinyConfig(), TINY));
    }

    /** Finite differences of the batch loss where the item embeddings stand in for the features. */
    @Test
    void batchLossGradientsWithoutFeaturesMatchFiniteDifferences() {
        for (int clMethod : new int[] {0, 1}) {
            try (DiffMM model = new DiffMM(tinyConfig("modality_features", false, "cl_method", clMethod, "reg", 1e-2),
                    TINY, new Rng(3))) {
                GradCheck.check(model.parameters(), tape -> model.batchLoss(tape, BATCH, context(new PhaseTimer())).total(),
                        2e-3f, 3e-2);
            }
        }
    }

    @Test
    void everyVariantTrainsEndToEnd() {
        TrainingConfig training = TrainingConfig.builder().epochs(2).batchSize(64).learningRate(5e-3).seed(2).build();
        Map<String, List<String>> expectedLosses = Map.of(
                "diffmm", List.of("diffusion", "msi", "loss", "bpr", "reg", "cl"),
                "diffmm-wo-msi", List.of("diffusion", "loss", "bpr", "reg", "cl"),
                "diffmm-wo-cl", List.of("diffusion", "msi", "loss", "bpr", "reg"),
                "diffmm-wo-diffusion", List.of("loss", "bpr", "reg", "cl"),
                "diffmm-wo-features", List.of("diffusion", "loss", "bpr", "reg", "cl"));
        for (Ablation a : DiffMMConfig.ABLATIONS) {
            Map<String, Object> values = new LinkedHashMap<>(Map.of("dim", 8, "dims", "16", "keepRate", 0.5));
            values.putAll(a.overrides());
            try (DiffMM model = new DiffMM(DiffMM.DEFINITION.config("tiktok", values), TINY, new Rng(2))) {
                TrainingHistory h = new Trainer(training).fit(model, TINY, Map.of(), null);
                assertThat(h.epochs().get(1).losses()).as(a.id()).containsOnlyKeys(expectedLosses.get(a.id()));
                assertThat(h.bestValidationEpoch().test().get("recall@20")).isBetween(0.0, 1.0);
            }
        }
    }
}
