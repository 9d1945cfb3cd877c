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
    /** Protocol 5's reconstruction: {@code _frombuffer(buffer, dtype, shape, order)}. */
    private static final Set<String> FROM_BUFFER = Set.of(
            "numpy.core.numeric _frombuffer", "numpy._core.numeric _frombuffer");
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
            if (!(state[1] instanceof Object[] shapeTuple)) {
                throw new DataFormatException("NumPy array shape is not a tuple");
            }
            set(state[4], state[2], shapeTuple, Boolean.TRUE.equals(state[3]));
        }

        /** From protocol 5's {@code _frombuffer(buffer, dtype, shape, order)} arguments. */
        static NdArray fromBuffer(Object[] args) {
            if (args.length != 4 || !(args[2] instanceof Object[] shapeTuple)) {
                throw new DataFormatException("numpy _frombuffer needs (buffer, dtype, shape, order)");
            }
            NdArray a = new NdArray();
            a.set(args[0], args[1], shapeTuple, "F".equals(args[3]));
            return a;
        }

        private void set(Object data, Object dt, Object[] shapeTuple, boolean fortranOrder) {
            shape = new int[shapeTuple.length];
            for (int k = 0; k < shape.length; k++) {
                shape[k] = dimension(shapeTuple[k], "NumPy array shape");
            }
            if (!(dt instanceof DType d)) {
                throw new DataFormatException("NumPy array without a dtype");
            }
            dtype = d.descriptor();
            fortran = fortranOrder;
            if (data instanceof byte[] bytes) {
                raw = bytes;
            } else if (data instanceof String s) {
                raw = s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            } else {
                throw new DataFormatException("NumPy array data is not raw bytes (object arrays are not supported)");
            }
        }

        /** The element count, refused when it overflows or exceeds one Java array. */
        long length() {
            long n = 1;
            try {
                for (int s : shape) {
                    n = Math.multiplyExact(n, (long) s);
                }
            } catch (ArithmeticException e) {
                throw new DataFormatException("NumPy array shape " + java.util.Arrays.toString(shape) + " overflows");
            }
            if (n > DataFiles.MAX_ARRAY) {
                throw new DataFormatException("NumPy array shape " + java.util.Arrays.toString(shape) + " has " + n
                        + " elements, more than one Java array holds");
            }
            return n;
        }

        /** The raw bytes, checked against shape × item size before anything is allocated. */
        private ByteBuffer bytes(int itemSize) {
            long expected = Math.multiplyExact(length(), (long) itemSize);
            if (raw.length != expected) {
                throw new DataFormatException("NumPy array of shape " + java.util.Arrays.toString(shape) + " and dtype "
                        + dtype + " holds " + raw.length + " bytes, expected " + expected);
            }
            return ByteBuffer.wrap(raw).order(dtype.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        }

        private static int itemSize(String kind) {
            return switch (kind) {
                case "i2", "f2" -> 2;
                case "i4", "u4", "f4" -> 4;
                case "i8", "u8", "f8" -> 8;
                default -> 0;
            };
        }

        /** Integer contents (int32/int64/uint32 ...), range-checked into int. */
        public int[] asInts() {
            String kind = dtype.replaceAll("[<>=|]", "");
            if (itemSize(kind) > 0) {
                bytes(itemSize(kind));
            }
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
            if (itemSize(kind) > 0) {
                bytes(itemSize(kind));
            }
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

    /**
     * A pickled Python int as an array dimension: exact (a BigInteger or long is never truncated,
     * so 2^32+200 is not read as 200), non-negative and below 2^31.
     */
    static int dimension(Object value, String what) {
        if (!(value instanceof Integer || value instanceof Long || value instanceof java.math.BigInteger)) {
            throw new DataFormatException(what + " holds " + (value == null ? "None" : value.getClass().getSimpleName())
                    + ", not an integer");
        }
        java.math.BigInteger v = value instanceof java.math.BigInteger b ? b : java.math.BigInteger.valueOf(((Number) value).longValue());
        if (v.signum() < 0 || v.bitLength() > 31) {
            throw new DataFormatException(what + " " + v + " is outside [0, 2^31)");
        }
        return v.intValue();
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
                case Opcodes.PERSID, Opcodes.BINPERSID, Opcodes.NEXT_BUFFER ->
                        throw new DataFormatException(file + ": refuses pickle opcode " + key
                                + " (persistent ids and out-of-band buffers are not part of a saved matrix)");
                case Opcodes.BINSTRING, Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.LONG4 -> {
                    checkLength(key, 4);
                    return super.dispatch(key);
                }
                case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                    checkLength(key, 8);
                    return super.dispatch(key);
                }
                default -> {
                    return super.dispatch(key);
                }
            }
        }

        /**
         * Refuses a length prefix longer than what is left of the file before the unpickler
         * allocates it: a few bytes claiming 2 GB must not allocate 2 GB.
         */
        private void checkLength(short key, int width) throws IOException {
            if (!input.markSupported()) {
                return;
            }
            input.mark(width);
            byte[] b = input.readNBytes(width);
            input.reset();
            if (b.length < width) {
                throw new DataFormatException(file + ": truncated pickle (opcode " + key + " lacks its length)");
            }
            long len = 0;
            for (int k = width - 1; k >= 0; k--) {
                len = (len << 8) | (b[k] & 0xff);
            }
            if (width == 4 && (key == Opcodes.BINSTRING || key == Opcodes.LONG4)) {
                len = (int) len;
            }
            long left = input.available() - width;
            if (len < 0 || len > left) {
                throw new DataFormatException(file + ": pickle opcode " + key + " claims " + len + " bytes but only " + left
                        + " remain (truncated or corrupt file); nothing was allocated");
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
            if (FROM_BUFFER.contains(global)) {
                return NdArray::fromBuffer;
            }
            if (global.equals(NDARRAY)) {
                return args -> {
                    throw new DataFormatException(file + ": numpy.ndarray may only be rebuilt through _reconstruct");
                };
            }
            if (global.equals("_codecs encode")) {
                // Python 3 writes bytes at protocol 2 as _codecs.encode(text, 'latin1'): rebuilt here, nothing else.
                return args -> {
                    if (args.length != 2 || !(args[0] instanceof String text)
                            || !("latin1".equals(args[1]) || "latin-1".equals(args[1]))) {
                        throw new DataFormatException(file + ": _codecs.encode is only accepted as encode(text, 'latin1')");
                    }
                    return text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                };
            }
            if (global.equals(DTYPE)) {
                return args -> {
                    if (args.length == 0 || !(args[0] instanceof String descr)) {
                        throw new DataFormatException(file + ": numpy.dtype without a type name");
                    }
                    return new DType(descr);
                };
            }
            throw new DataFormatException(file + ": refuses pickle global " + module + "." + name
                    + " (only NumPy/SciPy array reconstructors are allowed; nothing from the file was run)");
        }
    }

    /** Sparse matrix read from a pickled coo_matrix. */
    public record Coo(int rows, int cols, int[] row, int[] col, double[] data) {
    }

    public static Coo readCoo(byte[] bytes, String file) {
        return readCoo(bytes, file, Integer.MAX_VALUE);
    }

    /**
     * Reads a pickled coo_matrix, refusing a shape over {@code maxDimension} (readers derive it
     * from the files' real length, so a few bytes cannot claim two billion rows) and any array
     * whose byte length disagrees with its shape, before allocating.
     */
    public static Coo readCoo(byte[] bytes, String file, int maxDimension) {
        Object obj;
        try {
            obj = new AllowListUnpickler(file).load(new ByteArrayInputStream(bytes));
        } catch (DataFormatException e) {
            throw located(e, file);
        } catch (Exception e) {
            Throwable cause = e;
            while (cause.getCause() != null) {
                if (cause.getCause() instanceof DataFormatException dfe) {
                    throw located(dfe, file);
                }
                cause = cause.getCause();
            }
            throw new DataFormatException(file + ": not a readable pickle ("
                    + DataFiles.excerpt(String.valueOf(e.getMessage()), 100) + ")", e);
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
        int rowsDim;
        int colsDim;
        try {
            rowsDim = dimension(s[0], "coo_matrix shape");
            colsDim = dimension(s[1], "coo_matrix shape");
            for (NdArray arr : new NdArray[] {r, c, d}) {
                if (arr.dtype == null || arr.raw == null) {
                    throw new DataFormatException("coo_matrix row/col/data array was never given its contents");
                }
                if (arr.shape.length != 1) {
                    throw new DataFormatException("coo_matrix row/col/data must be 1-D, found shape "
                            + java.util.Arrays.toString(arr.shape));
                }
            }
        } catch (DataFormatException e) {
            throw located(e, file);
        }
        if (rowsDim > maxDimension || colsDim > maxDimension) {
            throw new DataFormatException(file + ": coo_matrix shape " + rowsDim + "×" + colsDim + " exceeds " + maxDimension
                    + ", more rows or columns than files of this size can describe; refused before allocating");
        }
        if (r.shape[0] != c.shape[0] || r.shape[0] != d.shape[0]) {
            throw new DataFormatException(file + ": row, col and data lengths differ (" + r.shape[0] + ", "
                    + c.shape[0] + ", " + d.shape[0] + ")");
        }
        try {
            return new Coo(rowsDim, colsDim, r.asInts(), c.asInts(), d.asDoubles());
        } catch (DataFormatException | ArithmeticException e) {
            throw located(new DataFormatException(e.getMessage()), file);
        }
    }

    private static DataFormatException located(DataFormatException e, String file) {
        return e.getMessage() != null && e.getMessage().startsWith(file) ? e
                : new DataFormatException(file + ": " + e.getMessage(), e);
    }
}
