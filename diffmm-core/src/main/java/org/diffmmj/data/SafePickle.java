package org.diffmmj.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Reads the pickles the paper's authors released (a scipy.sparse.coo_matrix holding NumPy
 * arrays) without ever executing anything from the file: every global the pickle names must be
 * one of the few NumPy/SciPy reconstructors on the allow-list, which are rebuilt here as plain
 * Java objects. Any other global is refused with its name before anything is built.
 */
public final class SafePickle {

    private static final Set<String> COO_CLASSES = Set.of(
            "scipy.sparse.coo coo_matrix", "scipy.sparse._coo coo_matrix",
            "scipy.sparse._coo coo_array");
    private static final Set<String> RECONSTRUCT = Set.of(
            "numpy.core.multiarray _reconstruct", "numpy._core.multiarray _reconstruct");
    private static final String NDARRAY = "numpy ndarray";
    private static final String DTYPE = "numpy dtype";

    private SafePickle() {
    }

    /** A NumPy array rebuilt from its pickled state: shape, dtype and raw little-endian bytes. */
    public static final class NdArray {
        int[] shape = new int[0];
        String dtype;
        byte[] raw;
        boolean fortran;

        public void __setstate__(Object[] state) {
            if (state.length < 5) {
                throw new DataFormatException("NumPy array state has " + state.length + " fields, expected 5");
            }
            Object[] shapeTuple = (Object[]) state[1];
            shape = new int[shapeTuple.length];
            for (int k = 0; k < shape.length; k++) {
                shape[k] = ((Number) shapeTuple[k]).intValue();
            }
            if (!(state[2] instanceof DType d)) {
                throw new DataFormatException("NumPy array without a dtype");
            }
            dtype = d.descriptor();
            fortran = Boolean.TRUE.equals(state[3]);
            if (state[4] instanceof byte[] bytes) {
                raw = bytes;
            } else if (state[4] instanceof String s) {
                raw = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            } else {
                throw new DataFormatException("NumPy array data is not raw bytes (object arrays are not supported)");
            }
        }

        long length() {
            long n = 1;
            for (int s : shape) {
                n *= s;
            }
            return n;
        }

        private ByteBuffer bytes(int itemSize) {
            if (raw.length != length() * itemSize) {
                throw new DataFormatException("NumPy array of shape " + java.util.Arrays.toString(shape) + " and dtype "
                        + dtype + " holds " + raw.length + " bytes, expected " + length() * itemSize);
            }
            return ByteBuffer.wrap(raw).order(dtype.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        }

        /** Integer contents (int32/int64/uint32 ...), range-checked into int. */
        public int[] asInts() {
            String kind = dtype.replaceAll("[<>=|]", "");
            int n = (int) length();
            int[] out = new int[n];
            switch (kind) {
                case "i4", "u4" -> {
                    ByteBuffer b = bytes(4);
                    for (int k = 0; k < n; k++) {
                        long v = kind.equals("u4") ? Integer.toUnsignedLong(b.getInt()) : b.getInt();
                        out[k] = checkedInt(v);
                    }
                }
                case "i8", "u8" -> {
                    ByteBuffer b = bytes(8);
                    for (int k = 0; k < n; k++) {
                        out[k] = checkedInt(b.getLong());
                    }
                }
                case "i2" -> {
                    ByteBuffer b = bytes(2);
                    for (int k = 0; k < n; k++) {
                        out[k] = b.getShort();
                    }
                }
                default -> throw new DataFormatException("expected an integer array, got dtype " + dtype);
            }
            return out;
        }

        /** Floating contents (float16/32/64), as double. */
        public double[] asDoubles() {
            String kind = dtype.replaceAll("[<>=|]", "");
            int n = (int) length();
            double[] out = new double[n];
            switch (kind) {
                case "f8" -> {
                    ByteBuffer b = bytes(8);
                    for (int k = 0; k < n; k++) {
                        out[k] = b.getDouble();
                    }
                }
                case "f4" -> {
                    ByteBuffer b = bytes(4);
                    for (int k = 0; k < n; k++) {
                        out[k] = b.getFloat();
                    }
                }
                case "f2" -> {
                    ByteBuffer b = bytes(2);
                    for (int k = 0; k < n; k++) {
                        out[k] = Half.toFloat(b.getShort());
                    }
                }
                case "i4", "i8", "u4", "u8", "i2" -> {
                    int[] ints = asInts();
                    for (int k = 0; k < n; k++) {
                        out[k] = ints[k];
                    }
                }
                default -> throw new DataFormatException("expected a numeric array, got dtype " + dtype);
            }
            return out;
        }

        private static int checkedInt(long v) {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new DataFormatException("index " + v + " does not fit in 32 bits");
            }
            return (int) v;
        }
    }

    /** numpy.dtype(descriptor, align, copy) with its byte-order state. */
    public static final class DType {
        private final String name;
        private String byteOrder = "<";

        DType(String name) {
            this.name = name;
        }

        public void __setstate__(Object[] state) {
            if (state.length > 1 && state[1] instanceof String order) {
                byteOrder = order;
            }
        }

        String descriptor() {
            String order = byteOrder.equals("|") || byteOrder.equals("=") ? "<" : byteOrder;
            return name.matches("[<>=|].*") ? name : order + name;
        }
    }

    /** The coo_matrix's attribute dictionary. */
    public static final class CooMatrix {
        final Map<String, Object> attributes = new HashMap<>();

        public void __setstate__(HashMap<String, Object> state) {
            attributes.putAll(state);
        }
    }

    /** IEEE half precision, which Java 17 cannot decode by itself. */
    static final class Half {
        static float toFloat(short h) {
            int bits = h & 0xffff;
            int sign = (bits >>> 15) << 31;
            int exp = (bits >>> 10) & 0x1f;
            int mant = bits & 0x3ff;
            if (exp == 0) {
                if (mant == 0) {
                    return java.lang.Float.intBitsToFloat(sign);
                }
                float v = mant / 1024f * (float) Math.pow(2, -14);
                return sign == 0 ? v : -v;
            }
            if (exp == 31) {
                return java.lang.Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
            }
            return java.lang.Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
        }
    }

    private static final class AllowListUnpickler extends Unpickler {
        private final String file;

        AllowListUnpickler(String file) {
            this.file = file;
        }

        @Override
        protected Object dispatch(short key) throws IOException {
            switch (key) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(resolve(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL -> {
                    Object name = stack.pop();
                    Object module = stack.pop();
                    stack.add(resolve(String.valueOf(module), String.valueOf(name)));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.INST, Opcodes.OBJ, Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 ->
                        throw new DataFormatException(file + ": refuses pickle opcode " + key
                                + " (class instantiation outside the allow-list)");
                default -> {
                    return super.dispatch(key);
                }
            }
        }

        private IObjectConstructor resolve(String module, String name) {
            String global = module + " " + name;
            if (COO_CLASSES.contains(global)) {
                return args -> new CooMatrix();
            }
            if (RECONSTRUCT.contains(global)) {
                return args -> new NdArray();
            }
            if (global.equals(NDARRAY)) {
                return args -> {
                    throw new DataFormatException(file + ": numpy.ndarray may only be rebuilt through _reconstruct");
                };
            }
            if (global.equals(DTYPE)) {
                return args -> new DType(String.valueOf(args[0]));
            }
            throw new DataFormatException(file + ": refuses pickle global " + module + "." + name
                    + " (only NumPy/SciPy array reconstructors are allowed; nothing from the file was run)");
        }
    }

    /** Sparse matrix read from a pickled coo_matrix. */
    public record Coo(int rows, int cols, int[] row, int[] col, double[] data) {
    }

    public static Coo readCoo(byte[] bytes, String file) {
        Object obj;
        try {
            obj = new AllowListUnpickler(file).load(new ByteArrayInputStream(bytes));
        } catch (DataFormatException e) {
            throw e;
        } catch (Exception e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                if (cause.getCause() instanceof DataFormatException dfe) {
                    throw dfe;
                }
                cause = cause.getCause();
            }
            throw new DataFormatException(file + ": not a readable pickle (" + e.getMessage() + ")", e);
        }
        if (!(obj instanceof CooMatrix coo)) {
            throw new DataFormatException(file + ": expected a pickled scipy.sparse.coo_matrix, found "
                    + (obj == null ? "None" : obj.getClass().getSimpleName()));
        }
        Map<String, Object> a = coo.attributes;
        Object shape = a.containsKey("_shape") ? a.get("_shape") : a.get("shape");
        if (!(shape instanceof Object[] s) || s.length != 2 || !(a.get("row") instanceof NdArray r)
                || !(a.get("col") instanceof NdArray c) || !(a.get("data") instanceof NdArray d)) {
            throw new DataFormatException(file + ": coo_matrix lacks _shape/row/col/data");
        }
        int[] rows = r.asInts();
        int[] cols = c.asInts();
        double[] data = d.asDoubles();
        if (rows.length != cols.length || rows.length != data.length) {
            throw new DataFormatException(file + ": row, col and data lengths differ (" + rows.length + ", "
                    + cols.length + ", " + data.length + ")");
        }
        return new Coo(((Number) s[0]).intValue(), ((Number) s[1]).intValue(), rows, cols, data);
    }
}
