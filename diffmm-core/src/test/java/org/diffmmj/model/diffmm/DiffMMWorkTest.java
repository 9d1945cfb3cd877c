package org.diffmmj.model.diffmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;

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

    /**
     * 36 users, 28 items, two modalities, T = 5. One hidden size h = 32 (the hidden-space reverse
     * process): per modality 2·32·28·32 + 2·28·32 for W_o·W_x and b_o·W_x, 2·nnz·32 for the sparse
     * item term, 4 · 2·36·32·32 for the later steps, 2·36·32·28 for the read-out. Two hidden sizes
     * [16, 32] (layers 38 → 32 → 16 → 32 → 28): five dense forwards of 36 rows per modality.
     */
    @Test
    void graphGenerationCountedByHand() {
        Dataset data = TestData.synthetic(36, 28, 11);
        long nnz = data.train().size();
        DiffMMConfig one = DiffMM.DEFINITION.config("tiktok", Map.of("dims", "32", "steps", 5));
        double perModality = 2.0 * 32 * 28 * 32 + 2.0 * 28 * 32 + 2.0 * nnz * 32 + 4 * 2.0 * 36 * 32 * 32
                + 2.0 * 36 * 32 * 28;
        assertThat(DiffMMWork.graphGeneration(data, one)).isEqualTo(2 * perModality);
        DiffMMConfig two = DiffMM.DEFINITION.config("tiktok", Map.of("dims", "16,32", "steps", 5));
        double forward = 2.0 * 36 * (38 * 32 + 32 * 16 + 16 * 32 + 32 * 28);
        assertThat(DiffMMWork.graphGeneration(data, two)).isEqualTo(2 * 5 * forward);
    }
}
