package org.diffmmj.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.FeatureMatrix;
import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.NegativesBatch;
import org.diffmmj.tensor.BufferPool;

/**
 * CLCRec's parts the parity fixture does not pin: negatives only among warm items and never the
 * user's training items, cold items scored by their content embedding (two cold items with the
 * same features score alike for every user, and change with the encoder, not with the ID table),
 * and the swapped rows drawn from the epoch's stream.
 */
class ClcrecTest {

    /** 4 users × 6 items; items 4 and 5 have no training interaction and the same features. */
    private static Dataset data() {
        int[] u = {0, 0, 1, 1, 2, 3, 3};
        int[] i = {0, 1, 1, 2, 3, 0, 3};
        Interactions train = Interactions.fromPairs(4, 6, u, i);
        Interactions one = Interactions.fromPairs(4, 6, new int[] {1}, new int[] {4});
        FeatureMatrix image = new FeatureMatrix("image", 6, 2, new float[] {1, 0, 0, 1, 1, 1, 2, 1, 3, -1, 3, -1});
        return new Dataset("cold", train, one, one, Map.of("image", image), IdMapping.identity(4), IdMapping.identity(6));
    }

    private static Clcrec model(Dataset d) {
        return new Clcrec(d, new Clcrec.Config(4, 256, 0.1f, 1f, 0.5f, 5, 0.5f), new Rng(1));
    }

    @Test
    void negativesAreWarmItemsTheUserHasNotTrainedOn() {
        Dataset d = data();
        Clcrec m = model(d);
        for (Batch batch : m.batchSource(d.train()).epoch(3, new Rng(4))) {
            NegativesBatch b = batch.as(NegativesBatch.class);
            assertThat(b.k()).isEqualTo(5);
            for (int r = 0; r < b.size(); r++) {
                for (int j = 0; j < b.k(); j++) {
                    int item = b.negatives()[r * b.k() + j];
                    assertThat(m.isCold(item)).isFalse();
                    assertThat(d.train().contains(b.users()[r], item)).isFalse();
                }
            }
        }
    }

    @Test
    void coldItemsAreScoredByTheirContentEmbedding() {
        Clcrec m = model(data());
        assertThat(m.isCold(4)).isTrue();
        assertThat(m.isCold(5)).isTrue();
        assertThat(m.isCold(3)).isFalse();
        float[] before;
        try (EmbeddingScorer s = m.scorer()) {
            float[] items = s.itemEmbeddings().toArray();
            // identical features, identical content rows
            for (int c = 0; c < 4; c++) {
                assertThat(items[4 * 4 + c]).isEqualTo(items[5 * 4 + c]);
            }
            before = items;
        }
        // Moving the cold items' ID rows changes nothing; the warm items' rows are their ID rows.
        var ids = m.parameters().get(0);
        assertThat(ids.name()).isEqualTo("id_embedding");
        for (int c = 0; c < 4; c++) {
            ids.value().set((4 + 4) * 4 + c, 9f);
            ids.value().set((4 + 5) * 4 + c, 9f);
        }
        try (EmbeddingScorer s = m.scorer()) {
            float[] items = s.itemEmbeddings().toArray();
            assertThat(items).containsExactly(before);
            for (int c = 0; c < 4; c++) {
                assertThat(items[3 * 4 + c]).isEqualTo(ids.value().get((4 + 3) * 4 + c));
            }
        }
    }

    @Test
    void swappedRowsComeFromTheEpochStream() {
        Dataset d = data();
        Clcrec m = model(d);
        Batch b = m.batchSource(d.train()).epoch(4, new Rng(2)).get(0);
        try (Tape tape = Tape.noGrad(new BufferPool())) {
            double a = m.batchLoss(tape, b, context(7)).total().value().get(0, 0);
            double same = m.batchLoss(tape, b, context(7)).total().value().get(0, 0);
            double other = m.batchLoss(tape, b, context(9)).total().value().get(0, 0);
            assertThat(same).isEqualTo(a);
            assertThat(other).isNotEqualTo(a);
        }
    }

    private static EpochContext context(long seed) {
        return new EpochContext(0, new Rng(seed), 4, new Tapes(), new PhaseTimer());
    }
}
