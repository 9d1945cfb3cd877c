package org.diffmmj.autograd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.Tensor;

class KernelsTest {

    @Test
    void addTransposedByHand() {
        try (Tensor src = Tensor.of(2, 3, 1, 2, 3, 4, 5, 6); Tensor dst = Tensor.of(3, 2, 10, 20, 30, 40, 50, 60)) {
            Kernels.addTransposed(src, dst);
            assertThat(dst.toArray()).containsExactly(11, 24, 32, 45, 53, 66);
        }
    }

    /** 64 × 1,000 into 1,000 × 64: many row blocks, split between threads; each sum is one float addition. */
    @Test
    void addTransposedOverManyBlocks() {
        Rng rng = new Rng(2);
        try (Tensor src = Tensor.zeros(64, 1000); Tensor dst = Tensor.zeros(1000, 64)) {
            rng.fillUniform(src, -1f, 1f);
            rng.fillUniform(dst, -1f, 1f);
            float[] before = dst.toArray();
            Kernels.addTransposed(src, dst);
            for (int r = 0; r < 1000; r++) {
                for (int c = 0; c < 64; c++) {
                    assertThat(dst.get(r, c)).isEqualTo(before[r * 64 + c] + src.get(c, r));
                }
            }
        }
    }

    @Test
    void addTransposedRefusesMismatchedShapes() {
        try (Tensor src = Tensor.zeros(2, 3); Tensor dst = Tensor.zeros(2, 3)) {
            assertThatThrownBy(() -> Kernels.addTransposed(src, dst)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("addTransposed");
        }
    }
}
