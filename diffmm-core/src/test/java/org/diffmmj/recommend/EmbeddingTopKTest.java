package org.diffmmj.recommend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class EmbeddingTopKTest {

    @Test
    void aHandCaseWithSeenItemsAndTies() {
        // Items (rows): i0=(1,0) i1=(0,1) i2=(1,1) i3=(1,0) i4=(-1,0); user (2,1).
        // Scores 2, 1, 3, 2, -2. Seen: i2. Best unseen: i0 (2, lower index of the tie), i3 (2), i1 (1).
        EmbeddingTopK topk = new EmbeddingTopK(new float[] {1, 0, 0, 1, 1, 1, 1, 0, -1, 0}, 5, 2);
        float[] scores = new float[5];
        topk.scores(new float[] {2, 1}, 0, scores);
        assertThat(scores).containsExactly(2f, 1f, 3f, 2f, -2f);
        int[] best = new int[3];
        float[] bestScores = new float[3];
        int found = EmbeddingTopK.topUnseen(scores, 0, 5, new int[] {2}, 0, 1, 3, best, bestScores, new float[3]);
        assertThat(found).isEqualTo(3);
        assertThat(best).containsExactly(0, 3, 1);
        assertThat(bestScores).containsExactly(2f, 2f, 1f);
        // k beyond the unseen items: only those come back.
        float[] again = new float[5];
        topk.scores(new float[] {2, 1}, 0, again);
        int[] all = new int[5];
        assertThat(EmbeddingTopK.topUnseen(again, 0, 5, new int[] {0, 2, 4}, 0, 3, 5, all, new float[5], new float[5]))
                .isEqualTo(2);
        assertThat(new int[] {all[0], all[1]}).containsExactly(3, 1);
    }

    @Test
    void blockScoresAreTheSameFloatsAsOneUserAtATime() {
        SplittableRandom rnd = new SplittableRandom(4);
        int items = 5000;
        int dim = 24;
        int rows = 7;
        float[] itemTable = new float[items * dim];
        for (int i = 0; i < itemTable.length; i++) {
            itemTable[i] = (float) rnd.nextGaussian();
        }
        float[] users = new float[rows * dim];
        for (int i = 0; i < users.length; i++) {
            users[i] = (float) rnd.nextGaussian();
        }
        EmbeddingTopK topk = new EmbeddingTopK(itemTable, items, dim);
        float[] block = new float[rows * items];
        topk.scoreBlock(users, rows, block);
        for (int r = 0; r < rows; r++) {
            float[] one = new float[items];
            topk.scores(users, r * dim, one);
            for (int i = 0; i < items; i++) {
                assertThat(Float.floatToIntBits(block[r * items + i])).isEqualTo(Float.floatToIntBits(one[i]));
            }
            // And both are the dot product summed over dimensions in order, in float.
            float s = 0f;
            for (int c = 0; c < dim; c++) {
                s += users[r * dim + c] * itemTable[17 * dim + c];
            }
            assertThat(one[17]).isEqualTo(s);
        }
    }
}
