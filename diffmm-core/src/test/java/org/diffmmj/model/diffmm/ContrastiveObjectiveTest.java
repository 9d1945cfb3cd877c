package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

class ContrastiveObjectiveTest {

    /**
     * A = [[1,0],[0,1],[1,1]], B = [[1,0],[1,1],[0,1]], nodes {0, 2}, τ = 0.5. After row
     * normalisation, node 0 has logits [2, √2, 0] (positive 2) and node 2 has [√2, 2, √2]
     * (positive √2), so the loss is the mean of −2 + ln(e² + e^√2 + 1) and −√2 + ln(2e^√2 + e²).
     */
    @Test
    void infoNceOnAThreeByTwoExampleByHand() {
        double r2 = Math.sqrt(2);
        double node0 = -2 + Math.log(Math.exp(2) + Math.exp(r2) + 1);
        double node2 = -r2 + Math.log(2 * Math.exp(r2) + Math.exp(2));
        BufferPool pool = new BufferPool();
        try (Tensor a = Tensor.of(3, 2, 1, 0, 0, 1, 1, 1); Tensor b = Tensor.of(3, 2, 1, 0, 1, 1, 0, 1);
             Tape tape = Tape.noGrad(pool)) {
            Var loss = ContrastiveObjective.infoNce(tape, tape.constant(a), tape.constant(b), new int[] {0, 2}, 0.5f);
            assertThat((double) loss.value().get(0, 0)).isCloseTo((node0 + node2) / 2, within(1e-5));
        } finally {
            pool.clear();
        }
    }
}
