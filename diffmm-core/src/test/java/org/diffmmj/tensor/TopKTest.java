package org.diffmmj.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TopKTest {

    @Test
    void bestFirstAndTiesToTheLowerIndex() {
        float[] scores = {0.1f, 0.9f, 0.5f, 0.9f, 0.5f, Float.NaN,
                3f, 2f, 1f, 0f, -1f, -2f};
        int[] top = TopK.rows(scores, 2, 6, 3);
        assertThat(top).containsExactly(1, 3, 2, 0, 1, 2);
        try (Tensor t = Tensor.fromArray(2, 6, scores)) {
            assertThat(TopK.rows(t, 3)).containsExactly(1, 3, 2, 0, 1, 2);
        }
    }

    @Test
    void kLargerThanTheRowReturnsTheWholeRowSorted() {
        assertThat(TopK.rows(new float[] {1, 3, 2}, 1, 3, 10)).containsExactly(1, 2, 0);
    }
}
