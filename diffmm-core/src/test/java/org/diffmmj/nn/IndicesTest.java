package org.diffmmj.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IndicesTest {

    @Test
    void countedKeepsFirstOccurrenceOrderAndCountsRepeats() {
        Indices.Counted c = Indices.counted(new int[] {5, 3, 5, 5, 7, 3});
        assertThat(c.values()).containsExactly(5, 3, 7);
        assertThat(c.counts()).containsExactly(3f, 2f, 1f);
    }

    @Test
    void countedOfNothingIsEmpty() {
        Indices.Counted c = Indices.counted(new int[0]);
        assertThat(c.values()).isEmpty();
        assertThat(c.counts()).isEmpty();
    }

    @Test
    void offsetShiftsEveryId() {
        assertThat(Indices.offset(new int[] {0, 2}, 10)).containsExactly(10, 12);
    }
}
