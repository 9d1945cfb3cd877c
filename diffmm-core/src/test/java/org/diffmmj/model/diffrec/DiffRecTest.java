package org.diffmmj.model.diffrec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.train.TrainingHistory;

/** DiffRec's importance sampling, its state across a resume, and the inference options. */
class DiffRecTest {

    private static final Dataset DATA = TestData.synthetic(36, 28, 11);

    @TempDir
    Path dir;

    private static void fill(TimestepSampler s, int step, float value, int times) {
        for (int k = 0; k < times; k++) {
            s.record(new int[] {step}, new float[] {value});
        }
    }

    @Test
    void samplingIsUniformUntilEveryStepHasTenLossesThenProportionalToTheirRootMeanSquare() {
        TimestepSampler s = new TimestepSampler("t.", 3);
        fill(s, 0, 1f, 10);
        fill(s, 1, 2f, 10);
        fill(s, 2, 0f, 9);
        assertThat(s.full()).isFalse();
        TimestepSampler.Draw uniform = s.draw(5, new Rng(1));
        assertThat(uniform.weight()).containsOnly(1.0);
        fill(s, 2, 0f, 1);
        assertThat(s.full()).isTrue();
        // √mean(L²) = 1, 2, 0 → p = (1/3, 2/3, 0)·0.999 + 0.001/3
        double[] p = s.probabilities();
        assertThat(p[0]).isCloseTo(0.333 + 0.001 / 3, within(1e-15));
        assertThat(p[1]).isCloseTo(0.666 + 0.001 / 3, within(1e-15));
        assertThat(p[2]).isCloseTo(0.001 / 3, within(1e-15));
        int n = 300_000;
        TimestepSampler.Draw d = s.draw(n, new Rng(2));
        int[] counts = new int[3];
        for (int b = 0; b < n; b++) {
            counts[d.t()[b]]++;
            assertThat(d.weight()[b]).isEqualTo(p[d.t()[b]] * 3);
        }
        for (int t = 0; t < 3; t++) {
            // five standard deviations of a binomial count
            assertThat((double) counts[t]).isCloseTo(n * p[t], within(5 * Math.sqrt(n * p[t] * (1 - p[t]))));
        }
    }

    @Test
    void aFullHistoryDropsItsOldestLosses() {
        TimestepSampler s = new TimestepSampler("t.", 2);
        for (int k = 0; k < 10; k++) {
            s.record(new int[] {1}, new float[] {k});
        }
        s.record(new int[] {1, 0, 1}, new float[] {10, 7, 11});
        float[] history = s.history().value().toArray();
        assertThat(java.util.Arrays.copyOfRange(history, 10, 20)).containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(history[0]).isEqualTo(7);
        assertThat(s.count().value().toArray()).containsExactly(1, 10);
    }

    private static TrainingConfig training(int epochs) {
        return TrainingConfig.builder().epochs(epochs).batchSize(64).learningRate(5e-3).seed(5).build();
    }

    private static DiffRec small(long seed, Object... settings) {
        Object[] base = {"dims", "8", "steps", 4};
        Object[] all = new Object[base.length + settings.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(settings, 0, all, base.length, settings.length);
        return new DiffRec(DATA.train(), DiffRec.DEFINITION.config(all), new Rng(seed));
    }

    private static List<float[]> values(DiffRec m) {
        List<Parameter> ps = new ArrayList<>(m.parameters());
        ps.addAll(m.auxiliaryParameters());
        List<float[]> out = new ArrayList<>();
        ps.forEach(p -> out.add(p.value().toArray()));
        return out;
    }

    /**
     * With 4 steps the history (40 losses) fills during the second epoch of 36 users, so the
     * epochs after the kill sample importance-weighted timesteps from the restored history.
     */
    @Test
    void aResumedRunSamplesFromTheRestoredLossHistory() throws Exception {
        TrainingHistory straight;
        List<float[]> straightValues;
        try (DiffRec m = small(6)) {
            straight = new Trainer(training(4)).withState(dir.resolve("straight.ckpt"), false).fit(m, DATA, Map.of(), null);
            straightValues = values(m);
        }
        Path state = dir.resolve("killed.ckpt");
        boolean[] fullAtKill = new boolean[1];
        try (DiffRec m = small(6)) {
            Trainer.EpochListener kill = (record, h, model) -> {
                if (record.epoch() == 1) {
                    fullAtKill[0] = m.auxiliaryParameters().get(1).value().toArray()[0] == TimestepSampler.HISTORY;
                    throw new IllegalStateException("killed");
                }
            };
            assertThatThrownBy(() -> new Trainer(training(4)).withState(state, false).fit(m, DATA, Map.of(), kill))
                    .hasMessageContaining("killed");
        }
        TrainingHistory resumed;
        List<float[]> resumedValues;
        try (DiffRec m = small(99)) {
            resumed = new Trainer(training(4)).withState(state, true).fit(m, DATA, Map.of(), null);
            resumedValues = values(m);
        }
        for (int e = 0; e < 4; e++) {
            assertThat(resumed.epochs().get(e).losses()).isEqualTo(straight.epochs().get(e).losses());
        }
        for (int p = 0; p < straightValues.size(); p++) {
            assertThat(resumedValues.get(p)).containsExactly(straightValues.get(p));
        }
        float[] counts = straightValues.get(straightValues.size() - 1);
        assertThat(counts).containsOnly((float) TimestepSampler.HISTORY);
        assertThat(fullAtKill[0]).as("step 0's history was full when the run was killed").isTrue();
    }

    @Test
    void withoutReweightingTheRowLossIsThePlainMse() {
        try (DiffRec weighted = small(3); DiffRec plain = small(3, "reweight", false);
             Tape tape = new Tape(new BufferPool())) {
            int[] t = {0, 1, 2, 3};
            Var x0 = tape.normal(4, DATA.items(), new Rng(4));
            Var noise = tape.normal(4, DATA.items(), new Rng(5));
            float[] w = weighted.rowLosses(tape, x0, t, noise, false, null).value().toArray();
            float[] p = plain.rowLosses(tape, x0, t, noise, false, null).value().toArray();
            for (int r = 0; r < 4; r++) {
                double snrWeight = r == 0 ? 1 : weighted.schedule().snr(r - 1) - weighted.schedule().snr(r);
                assertThat((double) w[r]).isCloseTo(p[r] * snrWeight, within(1e-6 * Math.abs(w[r])));
            }
        }
    }

    /** The contract suite checks x0's gradients; eps's (with its t = 0 likelihood row) here. */
    @Test
    void epsMeanTypeGradientsMatchFiniteDifferences() {
        try (DiffRec m = small(3, "mean_type", "eps")) {
            org.diffmmj.tensor.Tensor x0 = org.diffmmj.tensor.Tensor.zeros(4, DATA.items());
            org.diffmmj.tensor.Tensor noise = org.diffmmj.tensor.Tensor.zeros(4, DATA.items());
            new Rng(4).fillUniform(x0, 0f, 1f);
            new Rng(5).fillNormal(noise, 0f, 1f);
            int[] t = {0, 1, 2, 3};
            double[] pt = {1, 0.5, 2, 1};
            org.diffmmj.autograd.GradCheck.check(m.parameters(), tape -> DiffRec.divideAndAverage(tape,
                    m.rowLosses(tape, tape.constant(x0), t, tape.constant(noise), false, null), pt), 2e-3f, 3e-2);
        }
    }

    @Test
    void noisyInferenceGivesAUserTheSameRowInAnyBatch() {
        try (DiffRec m = small(3, "sampling_steps", 3, "sampling_noise", true); ScoreSource s = m.scorer()) {
            int items = DATA.items();
            float[] three = new float[3 * items];
            float[] again = new float[3 * items];
            float[] one = new float[items];
            s.score(new int[] {0, 7, 2}, three);
            s.score(new int[] {0, 7, 2}, again);
            s.score(new int[] {7}, one);
            assertThat(again).containsExactly(three);
            for (int i = 0; i < items; i++) {
                assertThat(one[i]).isCloseTo(three[items + i], within(1e-6f));
            }
            float[] clean = new float[items];
            try (DiffRec plain = small(3); ScoreSource p = plain.scorer()) {
                p.score(new int[] {7}, clean);
            }
            assertThat(one).isNotEqualTo(clean);
        }
    }

    @Test
    void samplingStepsBeyondTheStepsAreRefused() {
        assertThatThrownBy(() -> DiffRec.DEFINITION.config("steps", 5, "sampling_steps", 6))
                .hasMessageContaining("sampling_steps");
    }
}
