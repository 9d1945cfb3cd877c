package org.diffmmj.tensor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;

/**
 * Reuses native buffers, so a training step that allocates the same temporaries every time draws
 * them from here and memory stays flat over thousands of steps. Closing a tensor acquired here
 * gives its memory back. Buffers are kept by size class: the exact element count up to
 * {@value #EXACT_UP_TO}, above it the count rounded up to one of 16 steps per power of two (at
 * most 6.25 % more). Temporaries whose row count varies from step to step (a batch's distinct
 * users) then share a few classes instead of each count keeping buffers of its own.
 */
public final class BufferPool implements AutoCloseable {

    private final Map<Long, ArrayDeque<FloatPointer>> free = new HashMap<>();
    private long pooledBytes;

    /** A tensor of this shape with unspecified contents (whatever the last user left). */
    public synchronized Tensor acquire(int rows, int cols) {
        Tensor.checkShape(rows, cols);
        long size = sizeClass(Math.max(1, (long) rows * cols));
        ArrayDeque<FloatPointer> q = free.get(size);
        FloatPointer p = q == null ? null : q.pollLast();
        if (p == null) {
            p = Tensor.allocate(size);
        } else {
            pooledBytes -= size * 4;
        }
        return new Tensor(rows, cols, p, this);
    }

    public Tensor acquireZeroed(int rows, int cols) {
        Tensor t = acquire(rows, cols);
        t.fill(0f);
        return t;
    }

    public void release(Tensor t) {
        t.close();
    }

    synchronized void giveBack(FloatPointer p) {
        // The tensor narrowed the pointer to its own element count, whose class is the allocation's.
        long size = sizeClass(p.capacity());
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).addLast(p);
        pooledBytes += size * 4;
    }

    static final long EXACT_UP_TO = 1 << 16;

    /** The element count a buffer for n elements is allocated with and pooled under. */
    static long sizeClass(long n) {
        if (n <= EXACT_UP_TO) {
            return n;
        }
        long step = Long.highestOneBit(n) >> 4;
        return (n + step - 1) / step * step;
    }

    /** Bytes currently held for reuse. */
    public synchronized long pooledBytes() {
        return pooledBytes;
    }

    /** Frees every buffer held for reuse. */
    public synchronized void clear() {
        free.values().forEach(q -> q.forEach(FloatPointer::close));
        free.clear();
        pooledBytes = 0;
    }

    @Override
    public void close() {
        clear();
    }
}
