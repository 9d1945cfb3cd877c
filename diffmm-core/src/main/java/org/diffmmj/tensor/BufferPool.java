package org.diffmmj.tensor;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import org.bytedeco.javacpp.FloatPointer;

/**
 * Reuses native buffers by exact element count, so a training step that allocates the same
 * temporaries every time draws them from here and memory stays flat over thousands of steps.
 * Closing a tensor acquired here gives its memory back.
 */
public final class BufferPool implements AutoCloseable {

    private final Map<Long, ArrayDeque<FloatPointer>> free = new HashMap<>();
    private long pooledBytes;

    /** A tensor of this shape with unspecified contents (whatever the last user left). */
    public synchronized Tensor acquire(int rows, int cols) {
        Tensor.checkShape(rows, cols);
        long n = Math.max(1, (long) rows * cols);
        ArrayDeque<FloatPointer> q = free.get(n);
        FloatPointer p = q == null ? null : q.pollLast();
        if (p == null) {
            p = Tensor.allocate(n);
        } else {
            pooledBytes -= n * 4;
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
        long n = p.capacity();
        free.computeIfAbsent(n, k -> new ArrayDeque<>()).addLast(p);
        pooledBytes += n * 4;
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
