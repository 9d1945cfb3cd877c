package org.diffmmj.autograd;

import java.nio.FloatBuffer;

import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;

/**
 * Ops that move rows and columns without arithmetic beyond the gradients' scatter-adds.
 */
final class IndexOps {

    private IndexOps() {
    }

    /** Rows x[idx[0]], x[idx[1]], ... (an embedding lookup); backward scatter-adds. */
    static Var gatherRows(Tape tape, Var x, int[] idx) {
        int d = x.cols();
        Tensor out = tape.alloc(idx.length, d);
        FloatBuffer src = x.value.buffer();
        FloatBuffer dst = out.buffer();
        for (int r = 0; r < idx.length; r++) {
            if (idx[r] < 0 || idx[r] >= x.rows()) {
                throw new IndexOutOfBoundsException("gatherRows: row " + idx[r] + " of a " + x.value.shape() + " tensor");
            }
        }
        Parallel.forRange(idx.length, 256, (from, to) -> {
            for (int r = from; r < to; r++) {
                dst.put(r * d, src, idx[r] * d, d);
            }
        });
        Var y = tape.output(out, x);
        tape.onBackward(y, () -> {
            // In index order on one thread (repeated rows accumulate in the same order anywhere),
            // each row through heap arrays, where the addition compiles to SIMD.
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer gx = tape.gradOf(x).buffer();
            float[] acc = new float[d];
            float[] row = new float[d];
            for (int r = 0; r < idx.length; r++) {
                int base = idx[r] * d;
                gx.get(base, acc, 0, d);
                gy.get(r * d, row, 0, d);
                for (int c = 0; c < d; c++) {
                    acc[c] += row[c];
                }
                gx.put(base, acc, 0, d);
            }
        });
        return y;
    }

    static Var concatRows(Tape tape, Var... parts) {
        int cols = parts[0].cols();
        int rows = 0;
        for (Var p : parts) {
            if (p.cols() != cols) {
                throw new IllegalArgumentException("concatRows: widths differ, " + cols + " vs " + p.cols());
            }
            rows += p.rows();
        }
        Tensor out = tape.alloc(rows, cols);
        int offset = 0;
        for (Var p : parts) {
            out.buffer().put(offset * cols, p.value.buffer(), 0, p.rows() * cols);
            offset += p.rows();
        }
        Var y = tape.output(out, parts);
        tape.onBackward(y, () -> {
            int off = 0;
            for (Var p : parts) {
                if (p.requiresGrad) {
                    Kernels.addInto(tape.gradOf(p), 0, y.grad, off * cols, p.rows() * cols);
                }
                off += p.rows();
            }
        });
        return y;
    }

    static Var concatCols(Tape tape, Var... parts) {
        int rows = parts[0].rows();
        int cols = 0;
        for (Var p : parts) {
            if (p.rows() != rows) {
                throw new IllegalArgumentException("concatCols: heights differ, " + rows + " vs " + p.rows());
            }
            cols += p.cols();
        }
        int width = cols;
        Tensor out = tape.alloc(rows, width);
        FloatBuffer dst = out.buffer();
        Parallel.forRange(rows, 64, (from, to) -> {
            for (int r = from; r < to; r++) {
                int off = 0;
                for (Var p : parts) {
                    dst.put(r * width + off, p.value.buffer(), r * p.cols(), p.cols());
                    off += p.cols();
                }
            }
        });
        Var y = tape.output(out, parts);
        tape.onBackward(y, () -> {
            // Row by row through heap arrays: each part's gradient row += its segment of gy's row.
            // A part whose gradient no other step has started gets its segment copied, not added.
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer[] gps = new FloatBuffer[parts.length];
            boolean[] fresh = new boolean[parts.length];
            for (int k = 0; k < parts.length; k++) {
                if (parts[k].requiresGrad) {
                    fresh[k] = tape.claimFreshGrad(parts[k]);
                    gps[k] = tape.gradOf(parts[k]).buffer();
                }
            }
            Parallel.forRange(rows, 64, (from, to) -> {
                float[] g = new float[width];
                float[] acc = new float[width];
                for (int r = from; r < to; r++) {
                    gy.get(r * width, g, 0, width);
                    int off = 0;
                    for (int k = 0; k < parts.length; k++) {
                        int pc = parts[k].cols();
                        if (gps[k] != null && fresh[k]) {
                            gps[k].put(r * pc, g, off, pc);
                        } else if (gps[k] != null) {
                            gps[k].get(r * pc, acc, 0, pc);
                            for (int c = 0; c < pc; c++) {
                                acc[c] += g[off + c];
                            }
                            gps[k].put(r * pc, acc, 0, pc);
                        }
                        off += pc;
                    }
                }
            });
        });
        return y;
    }

    static Var sliceRows(Tape tape, Var x, int from, int to) {
        if (from < 0 || to > x.rows() || from > to) {
            throw new IndexOutOfBoundsException("sliceRows [" + from + ", " + to + ") of " + x.value.shape());
        }
        int d = x.cols();
        Tensor out = tape.alloc(to - from, d);
        out.buffer().put(0, x.value.buffer(), from * d, (to - from) * d);
        Var y = tape.output(out, x);
        tape.onBackward(y, () -> Kernels.addInto(tape.gradOf(x), from * d, y.grad, 0, (to - from) * d));
        return y;
    }

    static Var sliceCols(Tape tape, Var x, int from, int to) {
        if (from < 0 || to > x.cols() || from > to) {
            throw new IndexOutOfBoundsException("sliceCols [" + from + ", " + to + ") of " + x.value.shape());
        }
        int rows = x.rows();
        int w = to - from;
        int xc = x.cols();
        Tensor out = tape.alloc(rows, w);
        for (int r = 0; r < rows; r++) {
            out.buffer().put(r * w, x.value.buffer(), r * xc + from, w);
        }
        Var y = tape.output(out, x);
        tape.onBackward(y, () -> {
            Tensor gx = tape.gradOf(x);
            for (int r = 0; r < rows; r++) {
                Kernels.addInto(gx, r * xc + from, y.grad, r * w, w);
            }
        });
        return y;
    }

    static Var scatterAddRows(Tape tape, Var src, int[] index, int outRows) {
        if (index.length != src.rows()) {
            throw new IllegalArgumentException("scatterAddRows: " + index.length + " indices for " + src.rows()
                    + " rows");
        }
        for (int k = 0; k < index.length; k++) {
            if (index[k] < 0 || index[k] >= outRows) {
                throw new IndexOutOfBoundsException("scatterAddRows: index " + index[k] + " of " + outRows + " rows");
            }
        }
        int d = src.cols();
        Tensor out = tape.allocZeroed(outRows, d);
        FloatBuffer s = src.value.buffer();
        FloatBuffer o = out.buffer();
        // In index order on one thread: duplicates accumulate in the same order on any machine.
        float[] acc = new float[d];
        float[] row = new float[d];
        for (int k = 0; k < index.length; k++) {
            int base = index[k] * d;
            o.get(base, acc, 0, d);
            s.get(k * d, row, 0, d);
            for (int c = 0; c < d; c++) {
                acc[c] += row[c];
            }
            o.put(base, acc, 0, d);
        }
        Var y = tape.output(out, src);
        tape.onBackward(y, () -> {
            FloatBuffer gy = y.grad.buffer();
            FloatBuffer gs = tape.gradOf(src).buffer();
            Parallel.forRange(index.length, 256, (from, to) -> {
                float[] g = new float[d];
                float[] t = new float[d];
                for (int k = from; k < to; k++) {
                    gy.get(index[k] * d, g, 0, d);
                    gs.get(k * d, t, 0, d);
                    for (int c = 0; c < d; c++) {
                        t[c] += g[c];
                    }
                    gs.put(k * d, t, 0, d);
                }
            });
        });
        return y;
    }
}
