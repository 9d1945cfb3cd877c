package org.diffmmj.random;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Seeded, splittable random numbers. Bulk fills run in parallel over fixed-size blocks, each
 * with its own stream derived from one draw of this generator and the block index, so the
 * result depends on the seed only, never on thread timing or core count.
 */
public final class Rng {

    private static final int BLOCK = 1 << 14;

    private final SplittableRandom random;

    public Rng(long seed) {
        this.random = new SplittableRandom(seed);
    }

    private Rng(SplittableRandom random) {
        this.random = random;
    }

    /** An independent stream; this generator advances. */
    public Rng split() {
        return new Rng(random.split());
    }

    public long nextLong() {
        return random.nextLong();
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    public float nextFloat() {
        return (random.nextInt() >>> 8) * 0x1.0p-24f;
    }

    public double nextDouble() {
        return random.nextDouble();
    }

    public double nextGaussian() {
        return random.nextGaussian();
    }

    public boolean bernoulli(double p) {
        return random.nextDouble() < p;
    }

    /** Fisher–Yates. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /**
     * Fills one block's values from its stream. A whole block per call, not one value: a call per
     * value through this interface is megamorphic (normal and uniform share it) and was not
     * inlined, which made a uniform fill about five times slower than its arithmetic.
     */
    @FunctionalInterface
    private interface BlockFill {
        void fill(SplittableRandom r, float[] values, int len);
    }

    private void fillBlocks(Tensor t, BlockFill f) {
        long seed = random.nextLong();
        FloatBuffer buf = t.buffer();
        int n = (int) t.size();
        int blocks = (n + BLOCK - 1) / BLOCK;
        Parallel.forRange(blocks, 1, (from, to) -> {
            float[] values = new float[BLOCK];
            for (int b = from; b < to; b++) {
                SplittableRandom r = new SplittableRandom(mix(seed, b));
                int len = Math.min(n, (b + 1) * BLOCK) - b * BLOCK;
                f.fill(r, values, len);
                buf.put(b * BLOCK, values, 0, len);
            }
        });
    }

    private static long mix(long seed, long block) {
        long z = seed + (block + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public void fillNormal(Tensor t, float mean, float std) {
        fillBlocks(t, (r, values, len) -> {
            for (int i = 0; i < len; i++) {
                values[i] = (float) (mean + std * r.nextGaussian());
            }
        });
    }

    public void fillUniform(Tensor t, float lo, float hi) {
        float width = hi - lo;
        fillBlocks(t, (r, values, len) -> {
            for (int i = 0; i < len; i++) {
                values[i] = lo + width * ((r.nextInt() >>> 8) * 0x1.0p-24f);
            }
        });
    }
}
