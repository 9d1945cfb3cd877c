package org.diffmmj.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FeatureMatrixTest {

    /** Rows (3, 4), (0, 0), (−1, 0) by hand: (0.6, 0.8); a zero row stays zero (norm floored at 1e-12); (−1, 0). */
    @Test
    void rowL2NormalizedDividesEachRowByItsNorm() {
        FeatureMatrix f = new FeatureMatrix("image", 3, 2, new float[] {3f, 4f, 0f, 0f, -1f, 0f});
        FeatureMatrix n = f.rowL2Normalized();
        assertThat(n.data()).containsExactly(0.6f, 0.8f, 0f, 0f, -1f, 0f);
        assertThat(n.name()).isEqualTo("image");
        assertThat(f.data()).as("the original is untouched").containsExactly(3f, 4f, 0f, 0f, -1f, 0f);
    }

    @Test
    void refusesNonFiniteValuesWithTheirPlace() {
        assertThatThrownBy(() -> new FeatureMatrix("audio", 2, 2, new float[] {1f, 2f, Float.NaN, 0f}))
                .hasMessageContaining("audio").hasMessageContaining("row 1, column 0");
    }
}
