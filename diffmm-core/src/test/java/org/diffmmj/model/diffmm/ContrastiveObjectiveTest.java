package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.nn.Indices;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;

class ContrastiveObjectiveTest {

    private static final double ROOT2 = Math.sqrt(2);
    /** Node 0's term in the hand case below: −2 + ln(e² + e^√2 + 1). */
    private static final double NODE0 = -2 + Math.log(Math.exp(2) + Math.exp(ROOT2) + 1);
    /** Node 2's term: −√2 + ln(2e^√2 + e²). */
    private static final double NODE2 = -ROOT2 + Math.log(2 * Math.exp(ROOT2) + Math.exp(2));

    /**
     * A = [[1,0],[0,1],[1,1]], B = [[1,0],[1,1],[0,1]], nodes {0, 2}, τ = 0.5. After row
     * normalisation, node 0 has logits [2, √2, 0] (positive 2) and node 2 has [√2, 2, √2]
     * (positive √2), so the loss is the mean of {@link #NODE0} and {@link #NODE2}.
     */
    @Test
    void infoNceOnAThreeByTwoExampleByHand() {
        assertThat(handCaseLoss(0, 2)).isCloseTo((NODE0 + NODE2) / 2, within(1e-5));
    }

    /**
     * The same A, B and τ with nodes {0, 2, 0}: node 0 counts twice, so the loss is
     * (2·node0 + node2) / 3, whether the repeated node is computed twice or once with weight 2.
     */
    @Test
    void aRepeatedNodeCountsAsOftenAsItOccurs() {
        assertThat(handCaseLoss(0, 2, 0)).isCloseTo((2 * NODE0 + NODE2) / 3, within(1e-5));
    }

    private static double handCaseLoss(int... nodes) {
        BufferPool pool = new BufferPool();
        try (Tensor a = Tensor.of(3, 2, 1, 0, 0, 1, 1, 1); Tensor b = Tensor.of(3, 2, 1, 0, 1, 1, 0, 1);
             Tape tape = Tape.noGrad(pool)) {
            return ContrastiveObjective.infoNce(tape, tape.constant(a), tape.constant(b), nodes, 0.5f).value().get(0, 0);
        } finally {
            pool.clear();
        }
    }

    /**
     * Computing each distinct node once with its count as weight gives the loss and both
     * gradients of the plain mean over the repeated rows (the authors' form), to float rounding.
     */
    @Test
    void distinctNodesWithCountsMatchTheRepeatedRows() {
        Rng rng = new Rng(3);
        Parameter a = new Parameter("a", Tensor.zeros(40, 8));
        Parameter b = new Parameter("b", Tensor.zeros(40, 8));
        rng.fillUniform(a.value(), -1f, 1f);
        rng.fillUniform(b.value(), -1f, 1f);
        int[] nodes = new int[64];
        for (int k = 0; k < nodes.length; k++) {
            nodes[k] = (int) (rng.nextDouble() * rng.nextDouble() * 40); // skewed: many repeats
        }
        assertThat(Indices.counted(nodes).values().length).isLessThan(nodes.length / 2);
        BufferPool pool = new BufferPool();
        try {
            float[][] dedup = lossAndGradients(pool, a, b,
                    tape -> ContrastiveObjective.infoNce(tape, tape.param(a), tape.param(b), nodes, 0.2f));
            float[][] repeated = lossAndGradients(pool, a, b, tape -> tape.infoNce(
                    tape.rowL2Normalize(tape.gatherRows(tape.param(a), nodes), 1e-12f),
                    tape.rowL2Normalize(tape.param(b), 1e-12f), nodes, 0.2f));
            assertThat(dedup[0][0]).isCloseTo(repeated[0][0], within(1e-5f));
            for (int g = 1; g <= 2; g++) {
                float max = 0;
                for (float v : repeated[g]) {
                    max = Math.max(max, Math.abs(v));
                }
                assertThat(max).isGreaterThan(1e-3f);
                for (int i = 0; i < repeated[g].length; i++) {
                    assertThat(dedup[g][i]).as("gradient %d, entry %d", g, i).isCloseTo(repeated[g][i],
                            within(1e-5f * max));
                }
            }
        } finally {
            pool.clear();
        }
    }

    private static float[][] lossAndGradients(BufferPool pool, Parameter a, Parameter b,
                                              java.util.function.Function<Tape, Var> loss) {
        a.zeroGrad();
        b.zeroGrad();
        try (Tape tape = new Tape(pool)) {
            Var y = loss.apply(tape);
            float value = y.value().get(0, 0);
            tape.backward(y);
            return new float[][] {{value}, a.grad().toArray(), b.grad().toArray()};
        }
    }
}
