package org.diffmmj.diffusion;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import org.diffmmj.tensor.Tensor;

class TimeEmbeddingTest {

    @Test
    void matchesTheSinusoidalFormulaByHand() {
        try (Tensor out = Tensor.zeros(2, 10)) {
            TimeEmbedding.fill(new int[] {0, 3}, out);
            // t = 0: cos terms are 1, sin terms 0.
            for (int k = 0; k < 5; k++) {
                assertThat(out.get(0, k)).isEqualTo(1f);
                assertThat(out.get(0, 5 + k)).isEqualTo(0f);
            }
            // t = 3, f = [1, 10^-0.8, 10^-1.6, 10^-2.4, 10^-3.2].
            double[] f = {1, Math.pow(10, -0.8), Math.pow(10, -1.6), Math.pow(10, -2.4), Math.pow(10, -3.2)};
            for (int k = 0; k < 5; k++) {
                assertThat((double) out.get(1, k)).isCloseTo(Math.cos(3 * f[k]), within(1e-6));
                assertThat((double) out.get(1, 5 + k)).isCloseTo(Math.sin(3 * f[k]), within(1e-6));
            }
        }
    }
}
