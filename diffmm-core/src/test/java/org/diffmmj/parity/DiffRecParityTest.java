package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.diffmmj.parity.Fixture.assertClose;
import static org.diffmmj.parity.Fixture.load;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.diffusion.Denoiser;
import org.diffmmj.diffusion.DiffusionSchedule;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.model.diffrec.DiffRec;
import org.diffmmj.model.diffrec.TimestepSampler;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

/**
 * DiffRec against YiyanXu/DiffRec ({@code DiffRec/models/DNN.py}, {@code gaussian_diffusion.py},
 * {@code main.py}; see tools/parity/README.md) at the fixture's weights: main.py's defaults, the
 * schedule, the DNN forward, {@code training_losses} at the timesteps and noise it drew (uniform
 * while the loss history fills, then importance-sampled with the division by p_t; and with the
 * eps mean type), the loss history it leaves, the gradients, and {@code p_sample}'s denoised rows
 * (x0 and eps). Tolerances as in
 * {@link DiffMMParityTest}: |ours − theirs| ≤ 1e-6 + 1e-5·|theirs| per value, relative 1e-5 on
 * losses, gradients and the 100-step reverse process to 1e-5 of the array's largest magnitude.
 */
class DiffRecParityTest {

    private static final double RTOL = 1e-5;
    private static final double ATOL = 1e-6;

    private final Fixture fx = new Fixture("diffrec");
    private final int users = fx.integer("users");
    private final int items = fx.integer("items");
    private final int steps = fx.integer("steps");

    /** main.py's defaults with --dims [6]: the model main.py builds ({@code dnn}). */
    private DiffRec model() {
        DiffRec m = new DiffRec(fx.interactions(users, items), DiffRec.DEFINITION.config("dims", fx.meta().get("dims").toString()), new Rng(1));
        fx.loadDenoiser(m.denoiser(), "dnn", items);
        return m;
    }

    /** --dims [6,3] --emb_size 7 --norm: the fixture's {@code deep} DNN. */
    private DiffRec deepModel() {
        DiffRec m = new DiffRec(fx.interactions(users, items), DiffRec.DEFINITION.config("dims", fx.meta().get("deep_dims").toString(),
                "emb_size", fx.integer("deep_emb_size"), "norm", true), new Rng(1));
        fx.loadDenoiser(m.denoiser(), "deep", items);
        return m;
    }

    private Tensor rows(int[] batch) {
        try (Tape tape = new Tape(new BufferPool())) {
            return tape.denseRows(InteractionGraphs.interactionMatrix(fx.interactions(users, items)), batch).value().copy();
        }
    }

    private static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int k = 0; k < f.length; k++) {
            d[k] = f[k];
        }
        return d;
    }

    // ---- defaults and schedule -----------------------------------------------------------------

    @Test
    void defaultsAreMainPys() {
        JsonNode main = fx.meta().get("main_defaults");
        DiffRec.Config c = DiffRec.Config.DEFAULTS;
        assertThat(Arrays.toString(c.dims()).replace(" ", "")).isEqualTo(main.get("dims").asText());
        assertThat(c.embSize()).isEqualTo(main.get("emb_size").asInt());
        assertThat(c.norm()).isEqualTo(main.get("norm").asBoolean());
        assertThat(c.meanType()).isEqualTo(main.get("mean_type").asText());
        assertThat(c.steps()).isEqualTo(main.get("steps").asInt());
        assertThat(c.noiseSchedule()).isEqualTo(main.get("noise_schedule").asText());
        assertThat(c.noiseScale()).isEqualTo(main.get("noise_scale").asDouble());
        assertThat(c.noiseMin()).isEqualTo(main.get("noise_min").asDouble());
        assertThat(c.noiseMax()).isEqualTo(main.get("noise_max").asDouble());
        assertThat(c.samplingSteps()).isEqualTo(main.get("sampling_steps").asInt());
        assertThat(c.samplingNoise()).isEqualTo(main.get("sampling_noise").asBoolean());
        assertThat(c.reweight()).isEqualTo(main.get("reweight").asBoolean());
        // DNN.__init__'s default, which main.py does not override.
        assertThat(c.dropout()).isEqualTo(0.5f);
        assertThat(main.get("weight_decay").asDouble()).as("AdamW without decay is Adam").isZero();
        assertThat(DiffRec.DEFINITION.trainingDefaults()).containsEntry("lr", main.get("lr").asDouble())
                .containsEntry("batch", main.get("batch_size").asInt())
                // main.py: `if epoch % 5 == 0: evaluate`, `if epoch - best_epoch >= 20: break`
                .containsEntry("eval_every", 5).containsEntry("patience", 20);
    }

    @Test
    void scheduleIsGaussianDiffusionsInFloat64() {
        DiffusionSchedule s = DiffusionSchedule.diffRec(steps, 0.1, 1e-4, 0.02, true);
        DiffusionSchedule linear = DiffusionSchedule.diffRec(steps, 0.1, 1e-4, 0.02, false);
        double[] betas = new double[steps];
        double[] linearBetas = new double[steps];
        double[] cumprod = new double[steps];
        double[] c1 = new double[steps];
        double[] c2 = new double[steps];
        double[] std = new double[steps];
        double[] expectedStd = fx.array("posterior_log_variance_clipped").values().clone();
        for (int t = 0; t < steps; t++) {
            betas[t] = s.beta(t);
            linearBetas[t] = linear.beta(t);
            cumprod[t] = s.alphaCumprod(t);
            c1[t] = s.posteriorCoef1(t);
            c2[t] = s.posteriorCoef2(t);
            std[t] = s.posteriorStd(t);
            expectedStd[t] = Math.exp(0.5 * expectedStd[t]);
        }
        assertThat(betas[0]).as("beta_fixed").isEqualTo(1e-5);
        assertClose64("betas", betas, fx.array("betas").values());
        assertClose64("linear betas", linearBetas, fx.array("linear_betas").values());
        assertClose64("alphas_cumprod", cumprod, fx.array("alphas_cumprod").values());
        assertClose64("posterior_mean_coef1", c1, fx.array("posterior_mean_coef1").values());
        assertClose64("posterior_mean_coef2", c2, fx.array("posterior_mean_coef2").values());
        assertClose64("posterior std (clipped)", std, expectedStd);
    }

    private static void assertClose64(String what, double[] ours, double[] theirs) {
        assertThat(ours).hasSameSizeAs(theirs);
        for (int k = 0; k < ours.length; k++) {
            assertThat(Math.abs(ours[k] - theirs[k])).as("%s[%d]: ours %s, theirs %s", what, k, ours[k], theirs[k])
                    .isLessThanOrEqualTo(1e-12 * Math.abs(theirs[k]) + 1e-15);
        }
    }

    // ---- (a) the DNN ----------------------------------------------------------------------------

    @Test
    void dnnForwardMatchesTheirs() {
        for (var c : List.of(Map.entry("dnn", model()), Map.entry("deep", deepModel()))) {
            try (Tape tape = new Tape(new BufferPool())) {
                Var x = tape.constant(fx.tensor("a_x_t"));
                assertClose("(a) " + c.getKey() + " forward", c.getValue().denoiser().forward(tape, x, fx.ints("a_t"),
                        false, null).value(), fx.array("a_" + c.getKey()), RTOL, ATOL);
            }
        }
    }

    // ---- (b, c) training_losses, the loss history and the gradients ----------------------------

    @Test
    void uniformPhaseLossHistoryAndGradientsMatchTheirs() {
        DiffRec m = model();
        int[] t = fx.ints("b_t");
        try (Tape tape = new Tape(new BufferPool())) {
            Var x0 = tape.constant(rows(fx.ints("b_batch_users")));
            Var rowLosses = m.rowLosses(tape, x0, t, tape.constant(fx.tensor("b_noise")), false, null);
            assertClose("(b) weighted row losses", rowLosses.value(), fx.array("b_loss_rows"), RTOL, ATOL);
            double[] ones = new double[t.length];
            Arrays.fill(ones, 1);
            Var loss = DiffRec.divideAndAverage(tape, rowLosses, ones);
            assertClose("(b) loss", loss.value().get(0, 0), fx.scalar("b_loss"), RTOL);
            m.denoiser().parameters().forEach(Parameter::zeroGrad);
            tape.backward(loss);
            fx.assertDenoiserGradients(m.denoiser(), "b_grad", items);

            TimestepSampler sampler = new TimestepSampler("x.", steps);
            sampler.record(t, rowLosses.value().toArray());
            assertClose("(b) Lt_history", sampler.history().value(), fx.array("b_lt_history"), RTOL, ATOL);
            assertClose("(b) Lt_count", sampler.count().value(), fx.array("b_lt_count"), 0, 0);
            assertThat(sampler.full()).isFalse();
        }
    }

    @Test
    void importancePhaseProbabilitiesLossHistoryAndGradientsMatchTheirs() {
        DiffRec m = model();
        TimestepSampler sampler = new TimestepSampler("x.", steps);
        sampler.history().value().copyFrom(fx.tensor("c_lt_history_before"));
        sampler.count().value().fill(TimestepSampler.HISTORY);
        assertThat(sampler.full()).isTrue();
        double[] p = sampler.probabilities();
        double[] expected = fx.array("c_pt_all").values();
        for (int s = 0; s < steps; s++) {
            // float32 history, float64 arithmetic on both sides
            assertThat(Math.abs(p[s] - expected[s])).as("p_%d", s).isLessThanOrEqualTo(1e-12 * expected[s]);
        }
        int[] t = fx.ints("c_t");
        double[] pt = fx.array("c_pt").values();
        for (int b = 0; b < t.length; b++) {
            assertThat(p[t[b]] * steps).as("p_t·T of row %d", b).isCloseTo(pt[b], org.assertj.core.api.Assertions.within(1e-12 * pt[b]));
        }
        try (Tape tape = new Tape(new BufferPool())) {
            Var x0 = tape.constant(rows(fx.ints("b_batch_users")));
            Var rowLosses = m.rowLosses(tape, x0, t, tape.constant(fx.tensor("c_noise")), false, null);
            assertClose("(c) weighted row losses", rowLosses.value(), fx.array("c_weighted_rows"), RTOL, ATOL);
            Var loss = DiffRec.divideAndAverage(tape, rowLosses, pt);
            assertClose("(c) loss / p_t, mean", loss.value().get(0, 0), fx.scalar("c_loss"), RTOL);
            double[] divided = fx.array("c_loss_rows").values();
            float[] ours = rowLosses.value().toArray();
            for (int b = 0; b < t.length; b++) {
                assertClose("(c) row " + b + " / p_t", ours[b] / pt[b], divided[b], RTOL);
            }
            m.denoiser().parameters().forEach(Parameter::zeroGrad);
            tape.backward(loss);
            fx.assertDenoiserGradients(m.denoiser(), "c_grad", items);

            sampler.record(t, ours);
            assertClose("(c) Lt_history after", sampler.history().value(), fx.array("c_lt_history_after"), RTOL, ATOL);
        }
    }

    // ---- (e, f) the eps mean type ---------------------------------------------------------------

    private DiffRec epsModel() {
        DiffRec m = new DiffRec(fx.interactions(users, items), DiffRec.DEFINITION.config("dims", fx.meta().get("dims").toString(),
                "mean_type", "eps"), new Rng(1));
        fx.loadDenoiser(m.denoiser(), "dnn", items);
        return m;
    }

    @Test
    void epsMeanTypeLossWithItsFirstStepLikelihoodAndGradientsMatchTheirs() {
        DiffRec m = epsModel();
        int[] t = fx.ints("e_t");
        assertThat(t).contains(0);
        try (Tape tape = new Tape(new BufferPool())) {
            Var x0 = tape.constant(rows(fx.ints("b_batch_users")));
            Var rowLosses = m.rowLosses(tape, x0, t, tape.constant(fx.tensor("e_noise")), false, null);
            assertClose("(e) eps weighted row losses", rowLosses.value(), fx.array("e_loss_rows"), RTOL, ATOL);
            // The t = 0 row is the likelihood term, ~1e-5 of the others: held on its own scale too.
            int first = Arrays.stream(t).boxed().toList().indexOf(0);
            assertClose("(e) eps t = 0 likelihood row", rowLosses.value().get(first, 0),
                    fx.array("e_loss_rows").values()[first], RTOL);
            double[] ones = new double[t.length];
            Arrays.fill(ones, 1);
            Var loss = DiffRec.divideAndAverage(tape, rowLosses, ones);
            assertClose("(e) eps loss", loss.value().get(0, 0), fx.scalar("e_loss"), RTOL);
            m.denoiser().parameters().forEach(Parameter::zeroGrad);
            tape.backward(loss);
            fx.assertDenoiserGradients(m.denoiser(), "e_grad", items);
        }
    }

    @Test
    void epsMeanTypeDenoisedRowsArePSamples() {
        int[] all = new int[users];
        for (int u = 0; u < users; u++) {
            all[u] = u;
        }
        float[] out = new float[users * items];
        try (var scorer = epsModel().scorer()) {
            scorer.score(all, out);
        }
        double[] theirs = fx.array("f_eps_denoised").values();
        double scale = Arrays.stream(theirs).map(Math::abs).max().orElseThrow();
        assertClose("(f) eps p_sample", out, theirs, 0, RTOL * scale);
    }

    // ---- (d) p_sample ------------------------------------------------------------------------------

    @Test
    void denoisedRowsArePSamples() {
        int[] all = new int[users];
        for (int u = 0; u < users; u++) {
            all[u] = u;
        }
        for (var c : List.of(Map.entry("d_denoised", model()), Map.entry("d_deep_denoised", deepModel()))) {
            float[] out = new float[users * items];
            try (var scorer = c.getValue().scorer()) {
                scorer.score(all, out);
            }
            double[] theirs = fx.array(c.getKey()).values();
            double scale = Arrays.stream(theirs).map(Math::abs).max().orElseThrow();
            assertClose("(d) " + c.getKey(), out, theirs, 0, RTOL * scale);
            // Scored in a batch of another size and order, a user's row is the same up to the
            // matrix product's blocking (float rounding).
            float[] part = new float[3 * items];
            try (var scorer = c.getValue().scorer()) {
                scorer.score(new int[] {5, 0, 3}, part);
            }
            for (int i = 0; i < items; i++) {
                assertThat(part[items + i]).isCloseTo(out[i], org.assertj.core.api.Assertions.within(1e-6f));
            }
        }
    }
}
