package org.diffmmj.random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.ForkJoinPool;

import org.junit.jupiter.api.Test;

import org.diffmmj.tensor.Tensor;

class RngTest {

    @Test
    void sameSeedSameFillWhateverThreadFillsIt() throws Exception {
        float[] first;
        try (Tensor t = Tensor.zeros(300, 1000)) {
            new Rng(9).fillNormal(t, 0, 1);
            first = t.toArray();
        }
        // From inside a one-thread pool the parallel fill runs serially: the values must not change.
        float[] second = new ForkJoinPool(1).submit(() -> {
            try (Tensor t = Tensor.zeros(300, 1000)) {
                new Rng(9).fillNormal(t, 0, 1);
                return t.toArray();
            }
        }).get();
        assertThat(second).containsExactly(first);
    }

    @Test
    void normalAndUniformHaveTheirMoments() {
        try (Tensor t = Tensor.zeros(1000, 200)) {
            new Rng(1).fillNormal(t, 2f, 3f);
            double mean = 0;
            double sq = 0;
            for (float v : t.toArray()) {
                mean += v;
                sq += v * v;
            }
            mean /= t.size();
            double var = sq / t.size() - mean * mean;
            assertThat(mean).isCloseTo(2, within(0.03));
            assertThat(Math.sqrt(var)).isCloseTo(3, within(0.03));
            new Rng(1).fillUniform(t, -1f, 1f);
            for (float v : t.toArray()) {
                assertThat(v).isBetween(-1f, 1f);
            }
        }
    }

    @Test
    void splitsAreIndependentAndReproducible() {
        Rng a = new Rng(5);
        Rng b = new Rng(5);
        Rng a1 = a.split();
        Rng b1 = b.split();
        assertThat(a1.nextLong()).isEqualTo(b1.nextLong());
        assertThat(a.nextLong()).isEqualTo(b.nextLong());
        int[] p = {0, 1, 2, 3, 4, 5, 6, 7};
        new Rng(2).shuffle(p);
        assertThat(p).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7);
    }
}
