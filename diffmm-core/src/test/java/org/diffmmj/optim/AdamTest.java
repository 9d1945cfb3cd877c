package org.diffmmj.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.tensor.Tensor;

/**
 * Against PyTorch's Adam written out by hand (β = 0.9, 0.999, ε = 1e-8, lr = 0.1, p0 = 1):
 * step 1 with g = 0.5 gives m̂ = 0.5, v̂ = 0.25, p = 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002;
 * step 2 with g = −1 gives m = −0.055, v = 0.00124975, m̂ = −0.055/0.19, v̂ = 0.00124975/0.001999,
 * p = 0.9366103542; with weight decay 0.1 the gradients become g + 0.1·p: p = 0.9252635194.
 */
class AdamTest {

    private static double run(double weightDecay, float... grads) {
        Parameter p = new Parameter("p", Tensor.of(1, 1, 1f));
        Adam adam = new Adam(List.of(p), 0.1, 0.9, 0.999, 1e-8, weightDecay);
        for (float g : grads) {
            adam.zeroGrad();
            p.grad().set(0, 0, g);
            adam.step();
        }
        return p.value().get(0, 0);
    }

    @Test
    void oneStepMovesByTheLearningRate() {
        assertThat(run(0, 0.5f)).isCloseTo(0.900000002, within(1e-6));
    }

    @Test
    void twoStepsWithBiasCorrection() {
        assertThat(run(0, 0.5f, -1f)).isCloseTo(0.9366103542, within(2e-6));
    }

    @Test
    void weightDecayIsAddedToTheGradient() {
        assertThat(run(0.1, 0.5f, -1f)).isCloseTo(0.9252635194, within(2e-6));
    }
}
