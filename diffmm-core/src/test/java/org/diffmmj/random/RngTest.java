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

    /**
     * The fills' definition, recomputed here from java.util.SplittableRandom: one draw of the
     * generator seeds the fill, block b of 2^14 values is the stream SplittableRandom(mix(seed, b))
     * (the SplitMix64 finaliser of seed + (b + 1)·golden gamma), normals mean + std·nextGaussian(),
     * uniforms lo + (hi − lo)·(nextInt() >>> 8)·2^−24. Three blocks, the last one partial.
     */
    @Test
    void fillsAreTheBlockStreamsTheyDocument() {
        int n = 2 * (1 << 14) + 123;
        try (Tensor normal = Tensor.zeros(1, n); Tensor uniform = Tensor.zeros(1, n)) {
            Rng rng = new Rng(31);
            rng.fillNormal(normal, 0.5f, 2f);
            rng.fillUniform(uniform, -1f, 3f);
            java.util.SplittableRandom parent = new java.util.SplittableRandom(31);
            long normalSeed = parent.nextLong();
            long uniformSeed = parent.nextLong();
            for (int b = 0; b < 3; b++) {
                java.util.SplittableRandom nr = new java.util.SplittableRandom(blockSeed(normalSeed, b));
                java.util.SplittableRandom ur = new java.util.SplittableRandom(blockSeed(uniformSeed, b));
                for (int i = b << 14; i < Math.min(n, (b + 1) << 14); i++) {
                    assertThat(normal.get(i)).isEqualTo((float) (0.5f + 2f * nr.nextGaussian()));
                    assertThat(uniform.get(i)).isEqualTo(-1f + 4f * ((ur.nextInt() >>> 8) * 0x1.0p-24f));
                }
            }
        }
    }

    private static long blockSeed(long seed, long block) {
        long z = seed + (block + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
