package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.Interactions;
import org.diffmmj.data.TestData;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * What neither the contract suite nor {@code HccfParityTest} reaches: the TF original's LeakyReLU
 * (the {@code leaky} key; the torch code applies none), by hand; the keepRate-0.5 masks replayed
 * from the context's stream and absent from scoring; the defaults and the TikTok preset against
 * Params.py and the README.
 */
class HccfTest {

    private static final Dataset DATA = TestData.synthetic(20, 16, 3);

    private static EpochContext context(long seed) {
        return new EpochContext(0, new Rng(seed), 8, new Tapes(), new PhaseTimer());
    }

    private static double loss(Hccf m, Batch batch, long seed) {
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            return m.batchLoss(tape, batch, context(seed)).total().value().get(0, 0);
        }
    }

    private static Hccf model(float keepRate, float leaky) {
        return new Hccf(DATA.train(), new Hccf.Config(4, 2, 3, 1e-2f, 0.3f, 0.5f, keepRate, leaky), new Rng(5));
    }

    /** torchVersion/Params.py's defaults; amazon and yelp are the README's torch lines; tiktok the tuned trial. */
    @Test
    void defaultsAreParamsPyAndThePresetsAreTheReadmesLinesAndTheTunedTrial() {
        Hccf.Config d = Hccf.Config.DEFAULTS;
        assertThat(new Object[] {d.latdim(), d.gnnLayer(), d.hyperNum(), d.reg(), d.sslReg(), d.temp(), d.keepRate()})
                .containsExactly(32, 2, 128, 1e-7f, 1e-3f, 1f, 0.5f);
        assertThat(d.leaky()).as("identity: the torch code applies no activation").isEqualTo(1f);
        Hccf.Config a = Hccf.DEFINITION.config("amazon", java.util.Map.of());
        assertThat(new Object[] {a.reg(), a.sslReg(), a.temp(), a.keepRate(), a.latdim(), a.hyperNum()})
                .containsExactly(1e-6f, 0.2f, 0.1f, 0.5f, 32, 128);
        Hccf.Config y = Hccf.DEFINITION.config("yelp", java.util.Map.of());
        assertThat(new Object[] {y.reg(), y.sslReg(), y.temp(), y.keepRate()}).containsExactly(0f, 0.2f, 0.1f, 1f);
        Hccf.Config t = Hccf.DEFINITION.config("tiktok", java.util.Map.of());
        assertThat(new Object[] {t.reg(), t.sslReg(), t.temp(), t.keepRate(), t.latdim(), t.hyperNum()})
                .containsExactly(7.65616e-4f, 0.033816814f, 0.2f, 1f, 64, 128);
        assertThat(Hccf.DEFINITION.trainingDefaults()).containsEntry("batch", 4096);
    }

    @Test
    void uniqueIdsAreSortedAsTorchUnique() {
        assertThat(Hccf.sortedUnique(new int[] {4, 0, 6, 4, 2, 6})).containsExactly(0, 2, 4, 6);
    }

    /**
     * One layer with leaky 0.5 (the TF original's slope) on 2 users × 2 items, computed by hand:
     * G = lrelu(Â·E), Γ_side = lrelu(H·lrelu(Hᵀ·E_side)), H = E_side·W_side, final = E + G + Γ.
     */
    @Test
    void leakyReluGoesAfterTheGcnAndBothHypergraphProducts() {
        Interactions train = Interactions.fromPairs(2, 2, new int[] {0, 0, 1}, new int[] {0, 1, 1});
        Hccf m = new Hccf(train, new Hccf.Config(2, 1, 2, 0f, 0f, 1f, 1f, 0.5f), new Rng(1));
        float[][] e = {{0.5f, -1f}, {-0.3f, 0.2f}, {1f, 0.4f}, {-0.6f, -0.8f}}; // u0, u1, i0, i1
        float[][] wu = {{1f, -0.5f}, {0.25f, 2f}};
        float[][] wi = {{-1f, 0.5f}, {0.75f, 1f}};
        Parameter[] p = m.parameters().toArray(new Parameter[0]);
        p[0].value().copyFrom(Tensor.fromArray(2, 2, new float[] {e[0][0], e[0][1], e[1][0], e[1][1]}));
        p[1].value().copyFrom(Tensor.fromArray(2, 2, new float[] {e[2][0], e[2][1], e[3][0], e[3][1]}));
        p[2].value().copyFrom(Tensor.fromArray(2, 2, new float[] {wu[0][0], wu[0][1], wu[1][0], wu[1][1]}));
        p[3].value().copyFrom(Tensor.fromArray(2, 2, new float[] {wi[0][0], wi[0][1], wi[1][0], wi[1][1]}));
        // Degrees: u0 2, u1 1, i0 1, i1 2; Â entries 1/√(d_u d_i).
        double[][] a = new double[4][4];
        a[0][2] = a[2][0] = 1 / Math.sqrt(2 * 1);
        a[0][3] = a[3][0] = 1 / Math.sqrt(2 * 2);
        a[1][3] = a[3][1] = 1 / Math.sqrt(1 * 2);
        double[][] expected = new double[4][2];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 2; c++) {
                double g = 0;
                for (int k = 0; k < 4; k++) {
                    g += a[r][k] * e[k][c];
                }
                expected[r][c] = e[r][c] + lrelu(g);
            }
        }
        for (int side = 0; side < 2; side++) {
            float[][] w = side == 0 ? wu : wi;
            double[][] h = new double[2][2]; // rows of this side × hyperedges
            for (int r = 0; r < 2; r++) {
                for (int j = 0; j < 2; j++) {
                    h[r][j] = e[2 * side + r][0] * w[0][j] + e[2 * side + r][1] * w[1][j];
                }
            }
            double[][] lat = new double[2][2]; // hyperedges × d
            for (int j = 0; j < 2; j++) {
                for (int c = 0; c < 2; c++) {
                    lat[j][c] = lrelu(h[0][j] * e[2 * side][c] + h[1][j] * e[2 * side + 1][c]);
                }
            }
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 2; c++) {
                    expected[2 * side + r][c] += lrelu(h[r][0] * lat[0][c] + h[r][1] * lat[1][c]);
                }
            }
        }
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            Tensor got = m.forward(tape, Hccf.NONE).embeds().value();
            for (int r = 0; r < 4; r++) {
                for (int c = 0; c < 2; c++) {
                    assertThat((double) got.get(r, c)).as("row %d col %d", r, c).isCloseTo(expected[r][c], within(1e-6));
                }
            }
        }
    }

    private static double lrelu(double x) {
        return x > 0 ? x : 0.5 * x;
    }

    /**
     * The edge and incidence masks come from the context's stream, so a fresh context replays them,
     * and the loss with them is differentiated correctly.
     */
    @Test
    void keepRateMasksAreReplayedFromTheContextAndDifferentiable() {
        Hccf m = model(0.5f, 1f);
        Batch batch = m.batchSource(DATA.train()).epoch(8, new Rng(2)).get(0);
        assertThat(loss(m, batch, 7)).isEqualTo(loss(m, batch, 7));
        assertThat(loss(m, batch, 7)).isNotEqualTo(loss(m, batch, 8));
        assertThat(loss(m, batch, 7)).isNotEqualTo(loss(model(1f, 1f), batch, 7));
        // Without the contrastive term: it detaches the GCN view (their .detach()), so its analytic
        // gradient is by design not the derivative of its value (HccfParityTest pins it against theirs).
        // With the TF original's LeakyReLU (0.5), so that its path is differentiated too.
        Hccf noSsl = new Hccf(DATA.train(), new Hccf.Config(4, 2, 3, 1e-2f, 0f, 0.5f, 0.5f, 0.5f), new Rng(5));
        GradCheck.check(noSsl.parameters(), tape -> noSsl.batchLoss(tape, batch, context(7)).total(), 2e-3f, 3e-2);
    }

    /** keepRate ≥ 1 draws nothing; below it, kept edges are scaled by 1/keep. */
    @Test
    void droppingAtKeepOneIsTheIdentity() {
        assertThat(Hccf.dropping(1f, new Rng(1))).isSameAs(Hccf.NONE);
        Hccf m = model(0.5f, 1f);
        CsrMatrix full = m.graph();
        CsrMatrix kept = Hccf.dropping(0.5f, new Rng(1)).graph(0, full);
        assertThat(kept.nnz()).isLessThan(full.nnz()).isPositive();
        float[][] f = full.toDense();
        float[][] k = kept.toDense();
        for (int r = 0; r < f.length; r++) {
            for (int c = 0; c < f.length; c++) {
                assertThat(k[r][c]).isIn(0f, f[r][c] * 2f);
            }
        }
    }

    /** Scoring is their predict (keepRate 1): the training keepRate does not change the scores. */
    @Test
    void scoringDropsNothing() {
        try (EmbeddingScorer a = model(0.5f, 1f).scorer(); EmbeddingScorer b = model(1f, 1f).scorer()) {
            assertThat(a.userEmbeddings().toArray()).containsExactly(b.userEmbeddings().toArray());
            assertThat(a.itemEmbeddings().toArray()).containsExactly(b.itemEmbeddings().toArray());
        }
    }
}
