package org.diffmmj.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.diffmmj.util.AtomicFiles;

/** NumPy's .npy format (versions 1–3): 2-D float16/32/64 arrays in C order, little- or big-endian. */
public final class NpyIO {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyIO() {
    }

    /** A float matrix as stored: rows × cols values, row-major. */
    public record Matrix(int rows, int cols, float[] data) {
    }

    public static Matrix read(Path file) throws IOException {
        byte[] bytes = DataFiles.readBytes(file);
        if (bytes.length < 10 || !java.util.Arrays.equals(java.util.Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new DataFormatException(file + ": not a .npy file (bad magic)");
        }
        int major = bytes[6];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen;
        int offset;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(b.getShort(8));
            offset = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new DataFormatException(file + ": truncated .npy header");
            }
            headerLen = b.getInt(8);
            offset = 12;
        } else {
            throw new DataFormatException(file + ": unsupported .npy version " + major);
        }
        if (headerLen < 0 || offset + headerLen > bytes.length) {
            throw new DataFormatException(file + ": truncated .npy header (needs " + headerLen + " bytes)");
        }
        String header = new String(bytes, offset, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new DataFormatException(file + ": malformed .npy header: " + DataFiles.excerpt(header.trim(), 120));
        }
        if (f.group(1).equals("True")) {
            throw new DataFormatException(file + ": Fortran-order arrays are not supported; save with C order");
        }
        String[] dims = s.group(1).split(",", -1);
        java.util.List<String> given = new java.util.ArrayList<>();
        for (int k = 0; k < dims.length; k++) {
            String dim = dims[k].trim();
            if (!dim.isEmpty() || k < dims.length - 1) {
                given.add(dim);
            }
        }
        if (given.size() != 2) {
            throw new DataFormatException(file + ": expected a 2-D array (items × dims), got shape ("
                    + DataFiles.excerpt(s.group(1), 60) + ")");
        }
        long[] shape = new long[2];
        for (int k = 0; k < 2; k++) {
            String dim = given.get(k).endsWith("L") ? given.get(k).substring(0, given.get(k).length() - 1) : given.get(k);
            if (!dim.matches("0|[1-9][0-9]{0,18}")) {
                throw new DataFormatException(file + ": shape entry " + DataFiles.excerpt(given.get(k), 30)
                        + " is not a non-negative integer");
            }
            shape[k] = Long.parseLong(dim);
            if (shape[k] > Integer.MAX_VALUE) {
                throw new DataFormatException(file + ": shape (" + shape[0] + ", " + given.get(1) + ") has a dimension of "
                        + shape[k] + ", more than a Java array can index");
            }
        }
        if (shape[1] == 0) {
            throw new DataFormatException(file + ": shape (" + shape[0] + ", 0): features need at least one column");
        }
        String descr = d.group(1);
        ByteOrder order = descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        String kind = descr.replaceAll("[<>=|]", "");
        int itemSize = switch (kind) {
            case "f2" -> 2;
            case "f4" -> 4;
            case "f8" -> 8;
            default -> throw new DataFormatException(file + ": expected float16, float32 or float64 features, got dtype '"
                    + descr + "'");
        };
        // Both dimensions are below 2^31, so their product fits in a long; checked all the same.
        long n = Math.multiplyExact(shape[0], shape[1]);
        if (n > DataFiles.MAX_ARRAY) {
            throw new DataFormatException(file + ": shape (" + shape[0] + ", " + shape[1] + ") has " + n
                    + " values, more than one Java array holds");
        }
        long expected = n * itemSize;
        int dataStart = offset + headerLen;
        if (bytes.length - dataStart != expected) {
            throw new DataFormatException(file + ": truncated or padded data: shape (" + shape[0] + ", " + shape[1] + ") "
                    + descr + " needs " + expected + " bytes, file has " + (bytes.length - dataStart));
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, (int) expected).order(order);
        float[] out = new float[(int) n];
        for (int k = 0; k < n; k++) {
            out[k] = switch (itemSize) {
                case 2 -> SafePickle.Half.toFloat(data.getShort());
                case 4 -> data.getFloat();
                default -> (float) data.getDouble();
            };
            if (!java.lang.Float.isFinite(out[k])) {
                throw new DataFormatException(file + ": non-finite value " + out[k] + " at row " + (k / shape[1])
                        + ", column " + (k % shape[1]));
            }
        }
        return new Matrix((int) shape[0], (int) shape[1], out);
    }

    /** Writes a little-endian float32 C-order .npy (version 1), atomically. */
    public static void writeFloat32(Path file, int rows, int cols, float[] data) throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        b.asFloatBuffer().put(data);
        AtomicFiles.write(file, b.array());
    }
}
