package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.autograd.Parameter;
import org.diffmmj.cluster.KMeans;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

/**
 * What the contract suite does not reach with NCL's defaults (its runs end inside the 20-epoch
 * warm-up, so the prototype term never enters): the E-step schedule of {@code NCLTrainer}, the
 * E-step's output, the prototype term's gradients, and a resume between E-steps (m_step 2), where
 * the prototypes must come from the checkpoint.
 */
class NclTest {

    private static final Dataset DATA = TestData.synthetic(36, 28, 11);

    @TempDir
    Path dir;

    private static Ncl.Config config(int numClusters, int mStep, int warmUp) {
        Ncl.Config d = Ncl.Config.DEFAULTS;
        // larger contrastive weights than the defaults, so that their gradients are visible
        return new Ncl.Config(4, d.nLayers(), d.regWeight(), d.sslTemp(), 0.05f, d.hyperLayers(), 0.7f, 0.03f,
                numClusters, mStep, warmUp, d.kmeansIterations());
    }

    private static Ncl model(Ncl.Config c, long seed) {
        return new Ncl(DATA.train(), c, new Rng(seed));
    }

    private static EpochContext context(int epoch, long seed) {
        return new EpochContext(epoch, new Rng(seed), 16, new Tapes(), new PhaseTimer());
    }

    /** NCLTrainer runs e_step where epoch % m_step == 0; we skip those whose prototypes are never used. */
    @Test
    void eStepsFollowNclTrainersScheduleLessTheUnusedOnes() {
        Ncl defaults = model(Ncl.Config.DEFAULTS, 1);
        List<Integer> runs = new ArrayList<>();
        for (int e = 0; e < 24; e++) {
            if (defaults.runsEStep(e)) {
                runs.add(e);
            }
            assertThat(defaults.prototypesActive(e)).isEqualTo(e >= 20);
        }
        assertThat(runs).containsExactly(20, 21, 22, 23);
        Ncl everyThird = model(config(5, 3, 20), 1);
        runs.clear();
        for (int e = 0; e < 27; e++) {
            if (everyThird.runsEStep(e)) {
                runs.add(e);
            }
        }
        // epoch 18's prototypes serve epochs 18..20, and epoch 20 is past the warm-up
        assertThat(runs).containsExactly(18, 21, 24);
    }

    /**
     * beforeEpoch at an E-step epoch: k-means (users, then items, from one split of the epoch's
     * stream) of the ego tables, centroids row-normalised, clusters as assigned; timed as "kmeans".
     */
    @Test
    void theEStepStoresNormalisedKMeansCentroidsAndClusters() {
        Ncl m = model(config(5, 1, 0), 2);
        EpochContext ctx = context(0, 9);
        m.beforeEpoch(ctx);
        assertThat(ctx.timer().seconds()).containsKey("kmeans");
        Rng expectedRng = new Rng(9).split();
        Map<String, Parameter> params = byName(m.parameters());
        KMeans.Result u = KMeans.fit(params.get("user_embedding").value(), 5, 25, expectedRng);
        KMeans.Result i = KMeans.fit(params.get("item_embedding").value(), 5, 25, expectedRng);
        Map<String, Parameter> aux = byName(m.auxiliaryParameters());
        assertNormalisedRows(aux.get("user_centroids").value().toArray(), u.centroids(), 4);
        assertNormalisedRows(aux.get("item_centroids").value().toArray(), i.centroids(), 4);
        assertThat(aux.get("user_2cluster").value().toArray()).containsExactly(floats(u.assignments()));
        assertThat(aux.get("item_2cluster").value().toArray()).containsExactly(floats(i.assignments()));
    }

    /** faiss refuses k above the number of points; we cap num_clusters at the users' and items' numbers. */
    @Test
    void numClustersIsCappedAtTheNumberOfNodes() {
        Ncl m = model(config(1000, 1, 0), 2);
        Map<String, Parameter> aux = byName(m.auxiliaryParameters());
        assertThat(aux.get("user_centroids").value().rows()).isEqualTo(36);
        assertThat(aux.get("item_centroids").value().rows()).isEqualTo(28);
        m.beforeEpoch(context(0, 3));
        // with as many clusters as points each centroid is its point, normalised
        float[] c = aux.get("item_centroids").value().toArray();
        float[] e = byName(m.parameters()).get("item_embedding").value().toArray();
        assertNormalisedRows(c, e, 4);
        assertThatThrownBy(() -> m.setPrototypes(new float[36 * 4], new int[36], new float[28 * 4], fill(28, 28)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cluster 28");
    }

    /** Past the warm-up the prototype term is in the loss, and its gradient is the finite differences'. */
    @Test
    void theLossWithPrototypesHasFiniteDifferenceGradients() {
        Ncl m = model(config(6, 1, 0), 4);
        m.beforeEpoch(context(0, 5));
        Batch batch = m.batchSource(DATA.train()).epoch(16, new Rng(2)).get(0);
        Map<String, Double> parts;
        try (var tape = new Tapes().noGrad()) {
            parts = m.batchLoss(tape, batch, context(0, 1)).partValues();
        }
        assertThat(parts).containsOnlyKeys("bpr", "reg", "ssl", "proto");
        assertThat(parts.get("proto")).isPositive();
        GradCheck.check(m.parameters(), tape -> m.batchLoss(tape, batch, context(0, 1)).total(), 2e-3f, 3e-2);
        // inside a warm-up the same weights give the same other terms and no proto term
        Ncl warm = model(config(6, 1, 1), 4);
        try (var tape = new Tapes().noGrad()) {
            Map<String, Double> w = warm.batchLoss(tape, batch, context(0, 1)).partValues();
            assertThat(w).containsOnlyKeys("bpr", "reg", "ssl");
            assertThat(w.get("ssl")).isEqualTo(parts.get("ssl"));
        }
    }

    /**
     * m_step 2 and no warm-up: E-steps before epochs 0, 2, 4; a run killed after epoch 0 resumes
     * at epoch 1 with epoch 0's prototypes, which only the checkpoint holds.
     */
    @Test
    void resumingBetweenEStepsRestoresThePrototypes() throws Exception {
        Ncl.Config c = config(6, 2, 0);
        TrainingConfig training = TrainingConfig.builder().epochs(4).batchSize(64).learningRate(5e-3).seed(5).build();
        TrainingHistory straight;
        float[] straightCentroids;
        try (Ncl m = model(c, 6)) {
            straight = new Trainer(training).withState(dir.resolve("straight.ckpt"), false).fit(m, DATA, Map.of(), null);
            straightCentroids = byName(m.auxiliaryParameters()).get("user_centroids").value().toArray();
        }
        Path state = dir.resolve("killed.ckpt");
        try (Ncl m = model(c, 6)) {
            Trainer.EpochListener kill = (record, h, model) -> {
                if (record.epoch() == 0) {
                    throw new IllegalStateException("killed");
                }
            };
            assertThatThrownBy(() -> new Trainer(training).withState(state, false).fit(m, DATA, Map.of(), kill))
                    .hasMessageContaining("killed");
        }
        try (Ncl m = model(c, 99)) {
            TrainingHistory resumed = new Trainer(training).withState(state, true).fit(m, DATA, Map.of(), null);
            for (int e = 0; e < 4; e++) {
                assertThat(resumed.epochs().get(e).losses()).isEqualTo(straight.epochs().get(e).losses());
            }
            assertThat(resumed.epochs().get(1).losses()).containsKey("proto");
            assertThat(byName(m.auxiliaryParameters()).get("user_centroids").value().toArray())
                    .containsExactly(straightCentroids);
        }
        // A model resumed without them would hold zero centroids at epoch 1: every cosine 0, so each
        // anchor's proto term log(k) and the epoch's mean proto value proto_reg·2·log k times the mean
        // batch size, not the straight run's.
        int n = DATA.train().size();
        double zeroCentroids = 0.03 * 2 * Math.log(6) * n / Math.ceil(n / 64.0);
        assertThat(straight.epochs().get(1).losses().get("proto")).isNotCloseTo(zeroCentroids, within(1e-3));
    }

    private static void assertNormalisedRows(float[] actual, float[] raw, int d) {
        assertThat(actual).hasSameSizeAs(raw);
        for (int r = 0; r < raw.length / d; r++) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                norm += (double) raw[r * d + j] * raw[r * d + j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                assertThat((double) actual[r * d + j]).isCloseTo(raw[r * d + j] / norm, within(1e-6));
            }
        }
    }

    private static float[] floats(int[] v) {
        float[] f = new float[v.length];
        for (int k = 0; k < v.length; k++) {
            f[k] = v[k];
        }
        return f;
    }

    private static int[] fill(int n, int value) {
        int[] a = new int[n];
        java.util.Arrays.fill(a, value);
        return a;
    }

    private static Map<String, Parameter> byName(List<Parameter> ps) {
        Map<String, Parameter> m = new java.util.LinkedHashMap<>();
        ps.forEach(p -> m.put(p.name(), p));
        return m;
    }
}
