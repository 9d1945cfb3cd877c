package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.tensor.BufferPool;

/**
 * What the contract suite does not reach with NGCF's defaults: node dropout (off by default) and
 * evaluation without either dropout.
 */
class NgcfTest {

    private static final Dataset DATA = TestData.synthetic(20, 16, 3);

    private static Ngcf model(float nodeDropout, float messageDropout) {
        return new Ngcf(DATA.train(), new Ngcf.Config(4, new int[] {4, 3}, nodeDropout, messageDropout, 1e-2f), new Rng(5));
    }

    private static EpochContext context(long seed) {
        return new EpochContext(0, new Rng(seed), 8, new Tapes(), new PhaseTimer());
    }

    private static double loss(Ngcf m, Batch batch, long seed) {
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            return m.batchLoss(tape, batch, context(seed)).total().value().get(0, 0);
        }
    }

    /** The edge mask is drawn from the context's stream, so a fresh context replays it. */
    @Test
    void nodeDropoutIsReplayedFromTheContextAndDifferentiable() {
        Ngcf m = model(0.3f, 0.1f);
        Batch batch = m.batchSource(DATA.train()).epoch(8, new Rng(2)).get(0);
        assertThat(loss(m, batch, 7)).isEqualTo(loss(m, batch, 7));
        assertThat(loss(m, batch, 7)).isNotEqualTo(loss(m, batch, 8));
        assertThat(loss(m, batch, 7)).isNotEqualTo(loss(model(0f, 0.1f), batch, 7));
        GradCheck.check(m.parameters(), tape -> m.batchLoss(tape, batch, context(7)).total(), 2e-3f, 3e-2);
    }

    /** Both dropouts are training-only (RecBole's eval()): the scores ignore them. */
    @Test
    void scoringDropsNothing() {
        try (EmbeddingScorer a = model(0.3f, 0.5f).scorer(); EmbeddingScorer b = model(0f, 0f).scorer()) {
            assertThat(a.userEmbeddings().toArray()).containsExactly(b.userEmbeddings().toArray());
            assertThat(a.itemEmbeddings().toArray()).containsExactly(b.itemEmbeddings().toArray());
        }
    }
}
