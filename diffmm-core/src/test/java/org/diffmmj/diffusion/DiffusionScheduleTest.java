package org.diffmmj.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Pins the schedule to the values the authors' code produces (given in the DiffMM issue). */
class DiffusionScheduleTest {

    private final DiffusionSchedule schedule = new DiffusionSchedule(5, 0.1, 1e-4, 0.02);

    private static void assertClose(double[] expected, java.util.function.IntToDoubleFunction actual, double relTol) {
        for (int t = 0; t < expected.length; t++) {
            double tol = Math.max(1e-12, Math.abs(expected[t]) * relTol);
            assertThat(actual.applyAsDouble(t)).as("t=%d", t).isCloseTo(expected[t], within(tol));
        }
    }

    @Test
    void betasFollowTheLinearVarianceWithTheFirstOverwritten() {
        assertClose(new double[] {1.0e-4, 4.97505e-4, 4.977526e-4, 4.980005e-4, 4.982486e-4}, schedule::beta, 1e-6);
    }

    @Test
    void alphasCumprod() {
        assertClose(new double[] {0.9999, 0.9994025448, 0.9989050896, 0.9984076343, 0.9979101791},
                schedule::alphaCumprod, 1e-9);
    }

    @Test
    void posteriorCoefficients() {
        assertClose(new double[] {1.0, 0.8326650747, 0.4544699479, 0.3125712838, 0.2382270002},
                schedule::posteriorCoef1, 1e-7);
        assertClose(new double[] {0.0, 0.1673349191, 0.5455300149, 0.687428648, 0.7617729005},
                schedule::posteriorCoef2, 1e-7);
    }

    @Test
    void lossWeightsAreSnrDifferencesAndOneAtStepZero() {
        assertClose(new double[] {1.0, 8326.234404, 760.44889432, 285.32024549, 149.48655093},
                schedule::lossWeight, 1e-6);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new DiffusionSchedule(0, 0.1, 1e-4, 0.02)).hasMessageContaining("steps");
        assertThatThrownBy(() -> new DiffusionSchedule(5, 0.1, 0.02, 1e-4)).hasMessageContaining("noise_min");
    }
}
