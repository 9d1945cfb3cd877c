package org.diffmmj.data;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes a scipy.sparse.coo_matrix pickle (protocol 3) in the same shape SciPy does, with int32
 * row/col and float64 data arrays, so the authors' own code (and {@link SafePickle}) reads it.
 */
final class PickleWriter {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private PickleWriter() {
    }

    static byte[] coo(int rows, int cols, int[] row, int[] col, double[] data) {
        PickleWriter w = new PickleWriter();
        w.op(0x80).op(3);
        w.global("scipy.sparse._coo", "coo_matrix");
        w.op(')').op(0x81);
        w.op('}').op('(');
        w.unicode("_shape").intValue(rows).intValue(cols).op(0x86);
        w.unicode("maxprint").intValue(50);
        w.unicode("row").array("i4", intBytes(row), row.length);
        w.unicode("col").array("i4", intBytes(col), col.length);
        w.unicode("data").array("f8", doubleBytes(data), data.length);
        w.unicode("has_canonical_format").op(0x89);
        w.op('u').op('b').op('.');
        return w.out.toByteArray();
    }

    private PickleWriter op(int code) {
        out.write(code);
        return this;
    }

    private PickleWriter global(String module, String name) {
        out.write('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    private PickleWriter unicode(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write('X');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.writeBytes(b);
        return this;
    }

    private PickleWriter intValue(int v) {
        out.write('J');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        return this;
    }

    private PickleWriter bytes(byte[] b) {
        out.write('B');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.writeBytes(b);
        return this;
    }

    /** numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') then BUILD with the array state. */
    private PickleWriter array(String kind, byte[] raw, int length) {
        global("numpy.core.multiarray", "_reconstruct");
        global("numpy", "ndarray");
        intValue(0).op(0x85);
        bytes(new byte[] {'b'});
        op(0x87).op('R');
        op('(');
        intValue(1);
        intValue(length).op(0x85);
        global("numpy", "dtype");
        unicode(kind).op(0x89).op(0x88).op(0x87).op('R');
        op('(').intValue(3).unicode("<").op('N').op('N').op('N').intValue(-1).intValue(-1).intValue(0).op('t').op('b');
        op(0x89);
        bytes(raw);
        op('t').op('b');
        return this;
    }

    private static byte[] intBytes(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(v);
        return b.array();
    }

    private static byte[] doubleBytes(double[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(v);
        return b.array();
    }
}
