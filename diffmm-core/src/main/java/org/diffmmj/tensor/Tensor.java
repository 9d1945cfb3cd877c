package org.diffmmj.tensor;

import java.nio.FloatBuffer;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A float32 matrix, row-major, in native memory that OpenBLAS reads and writes directly and
 * that Java kernels reach through a direct {@link FloatBuffer} view. A vector is 1×n or n×1.
 * Tensors handed out by a {@link BufferPool} return their memory to it on {@link #close()}.
 */
public final class Tensor implements AutoCloseable {

    private final int rows;
    private final int cols;
    private final FloatPointer pointer;
    private final FloatBuffer buffer;
    private final BufferPool origin;
    private boolean closed;

    Tensor(int rows, int cols, FloatPointer pointer, BufferPool origin) {
        this.rows = rows;
        this.cols = cols;
        this.pointer = pointer;
        this.buffer = pointer.capacity(Math.max(1, (long) rows * cols)).asBuffer();
        this.origin = origin;
    }

    static FloatPointer allocate(long size) {
        FloatPointer p = new FloatPointer(Math.max(1, size));
        Pointer.memset(p, 0, Math.max(1, size) * 4);
        return p;
    }

    static void checkShape(int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bad tensor shape " + rows + "×" + cols);
        }
    }

    public static Tensor zeros(int rows, int cols) {
        checkShape(rows, cols);
        return new Tensor(rows, cols, allocate((long) rows * cols), null);
    }

    public static Tensor of(int rows, int cols, float... values) {
        return fromArray(rows, cols, values);
    }

    public static Tensor fromArray(int rows, int cols, float[] values) {
        checkShape(rows, cols);
        if (values.length != rows * cols) {
            throw new IllegalArgumentException(values.length + " values for a " + rows + "×" + cols + " tensor");
        }
        Tensor t = zeros(rows, cols);
        t.buffer.put(0, values, 0, values.length);
        return t;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public long size() {
        return (long) rows * cols;
    }

    public float get(int r, int c) {
        return buffer.get(r * cols + c);
    }

    public void set(int r, int c, float v) {
        buffer.put(r * cols + c, v);
    }

    public float get(long flatIndex) {
        return buffer.get((int) flatIndex);
    }

    public void set(long flatIndex, float v) {
        buffer.put((int) flatIndex, v);
    }

    public float[] toArray() {
        float[] out = new float[rows * cols];
        buffer.get(0, out, 0, out.length);
        return out;
    }

    /** Copies every value, row-major, into dst from dstOffset. */
    public void copyTo(float[] dst, int dstOffset) {
        buffer.get(0, dst, dstOffset, rows * cols);
    }

    public void copyRowTo(int r, float[] dst, int dstOffset) {
        buffer.get(r * cols, dst, dstOffset, cols);
    }

    public void copyFrom(float[] src) {
        if (src.length != rows * cols) {
            throw new IllegalArgumentException(src.length + " values for a " + shape() + " tensor");
        }
        buffer.put(0, src, 0, src.length);
    }

    public void copyFrom(Tensor src) {
        requireSameShape(src, "copy");
        buffer.put(0, src.buffer, 0, rows * cols);
    }

    public void fill(float v) {
        if (v == 0f) {
            Pointer.memset(pointer, 0, Math.max(1, size()) * 4);
            return;
        }
        int n = rows * cols;
        Parallel.forRange(n, 1 << 16, (from, to) -> {
            for (int i = from; i < to; i++) {
                buffer.put(i, v);
            }
        });
    }

    public Tensor copy() {
        Tensor t = zeros(rows, cols);
        t.copyFrom(this);
        return t;
    }

    public FloatBuffer buffer() {
        return buffer;
    }

    public FloatPointer pointer() {
        return pointer;
    }

    public String shape() {
        return rows + "×" + cols;
    }

    void requireSameShape(Tensor other, String op) {
        if (other.rows != rows || other.cols != cols) {
            throw new IllegalArgumentException(op + ": shapes differ, " + shape() + " vs " + other.shape());
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (origin != null) {
            origin.giveBack(pointer);
        } else {
            pointer.close();
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + shape() + ")";
    }
}
