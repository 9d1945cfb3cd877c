package org.diffmmj.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BufferPoolTest {

    @Test
    void sizeClassesAreExactWhenSmallAndAtMostASixteenthLargerAbove() {
        assertThat(BufferPool.sizeClass(1)).isEqualTo(1);
        assertThat(BufferPool.sizeClass(65_536)).isEqualTo(65_536);
        // 65,537 lies in [2^16, 2^17): steps of 2^16 / 16 = 4,096.
        assertThat(BufferPool.sizeClass(65_537)).isEqualTo(69_632);
        assertThat(BufferPool.sizeClass(69_632)).isEqualTo(69_632);
        for (long n = 65_537; n < 50_000_000; n = n * 9 / 8 + 7) {
            long c = BufferPool.sizeClass(n);
            assertThat(c).isGreaterThanOrEqualTo(n);
            assertThat((double) c / n).isLessThanOrEqualTo(1.0625);
            assertThat(BufferPool.sizeClass(c)).as("a class is its own class").isEqualTo(c);
        }
    }

    /** 400 and 401 rows of 9,308 floats fall in one class: the second reuses the first's memory. */
    @Test
    void shapesOfOneClassShareABuffer() {
        try (BufferPool pool = new BufferPool()) {
            Tensor first = pool.acquire(400, 9308);
            long address = first.pointer().address();
            first.close();
            long pooled = pool.pooledBytes();
            assertThat(pooled).isEqualTo(BufferPool.sizeClass(400L * 9308) * 4);
            Tensor second = pool.acquire(401, 9308);
            assertThat(second.pointer().address()).isEqualTo(address);
            assertThat(pool.pooledBytes()).isZero();
            second.fill(1f); // the whole of the larger shape is writable
            assertThat(second.get(401L * 9308 - 1)).isEqualTo(1f);
            second.close();
            assertThat(pool.pooledBytes()).isEqualTo(pooled);
            Tensor other = pool.acquire(1, 10);
            assertThat(other.pointer().address()).isNotEqualTo(address);
            other.close();
        }
    }
}
