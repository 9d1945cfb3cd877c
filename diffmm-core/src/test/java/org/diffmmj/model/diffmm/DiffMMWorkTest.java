package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DiffMMWorkTest {

    /**
     * Degrees {1, 3} over n = 4 interactions, b = 2 drawn: the degree-1 node is missed with
     * probability (3/4)(2/3) = 1/2, the degree-3 node never, so 1.5 distinct nodes are expected.
     */
    @Test
    void expectedDistinctByHand() {
        assertThat(DiffMMWork.expectedDistinct(new int[] {1, 3}, 4, 2)).isCloseTo(1.5, within(1e-12));
        assertThat(DiffMMWork.expectedDistinct(new int[] {1, 1}, 2, 1)).isCloseTo(1.0, within(1e-12));
        assertThat(DiffMMWork.expectedDistinct(new int[] {0, 2, 2}, 4, 4)).isCloseTo(2.0, within(1e-12));
    }

    /** Against every 3-subset of 6 interactions whose nodes have degrees 3, 2 and 1. */
    @Test
    void expectedDistinctMatchesEnumeration() {
        int[] nodeOf = {0, 0, 0, 1, 1, 2};
        double total = 0;
        int subsets = 0;
        for (int a = 0; a < 6; a++) {
            for (int b = a + 1; b < 6; b++) {
                for (int c = b + 1; c < 6; c++) {
                    total += java.util.stream.IntStream.of(nodeOf[a], nodeOf[b], nodeOf[c]).distinct().count();
                    subsets++;
                }
            }
        }
        assertThat(DiffMMWork.expectedDistinct(new int[] {3, 2, 1}, 6, 3)).isCloseTo(total / subsets, within(1e-12));
    }
}
