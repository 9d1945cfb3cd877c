package org.diffmmj.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.diffmmj.tensor.Tensor;

/**
 * A versioned, self-checking file of named float32 tensors plus a JSON header.
 *
 * <pre>
 *   8 bytes  magic "DMMJCKPT"
 *   int32    format version
 *   int32    header length H, then H bytes of UTF-8 JSON (must list "tensors": [{name, rows, cols}])
 *   tensors  row-major little-endian float32, in header order
 *   32 bytes SHA-256 of everything before
 * </pre>
 *
 * Written to a temporary file and renamed; read fully and verified before anything is returned,
 * so a truncated or corrupted file never yields a half-loaded model.
 */
public final class Checkpoint implements AutoCloseable {

    public static final int FORMAT_VERSION = 1;
    private static final byte[] MAGIC = "DMMJCKPT".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Object> header;
    private final Map<String, Tensor> tensors;

    public Checkpoint(Map<String, Object> header, Map<String, Tensor> tensors) {
        this.header = new LinkedHashMap<>(header);
        this.tensors = new LinkedHashMap<>(tensors);
    }

    public Map<String, Object> header() {
        return header;
    }

    public Map<String, Tensor> tensors() {
        return tensors;
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException("checkpoint has no tensor '" + name + "'");
        }
        return t;
    }

    public void save(Path file) throws IOException {
        List<Map<String, Object>> index = new ArrayList<>();
        tensors.forEach((name, t) -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", name);
            e.put("rows", t.rows());
            e.put("cols", t.cols());
            index.add(e);
        });
        Map<String, Object> fullHeader = new LinkedHashMap<>(header);
        fullHeader.put("tensors", index);
        byte[] headerBytes = JSON.writeValueAsBytes(fullHeader);
        long body = 0;
        for (Tensor t : tensors.values()) {
            body += t.size() * 4;
        }
        long total = MAGIC.length + 8L + headerBytes.length + body + 32;
        if (total > Integer.MAX_VALUE - 16) {
            throw new IOException("checkpoint of " + total + " bytes is too large for format version " + FORMAT_VERSION);
        }
        ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(FORMAT_VERSION).putInt(headerBytes.length).put(headerBytes);
        for (Tensor t : tensors.values()) {
            float[] values = t.toArray();
            buf.asFloatBuffer().put(values);
            buf.position(buf.position() + values.length * 4);
        }
        buf.put(sha256(buf.array(), buf.position()));
        AtomicFiles.write(file, buf.array());
    }

    public static Checkpoint load(Path file) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such checkpoint file");
        }
        int minimum = MAGIC.length + 8 + 32;
        if (bytes.length < minimum || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new CheckpointException(file + ": not a DiffMM-J checkpoint (bad magic or too short)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(MAGIC.length);
        int version = buf.getInt();
        if (version != FORMAT_VERSION) {
            throw new CheckpointException(file + ": checkpoint format version " + version
                    + ", this build reads version " + FORMAT_VERSION);
        }
        byte[] expected = Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length);
        if (!Arrays.equals(expected, sha256(bytes, bytes.length - 32))) {
            throw new CheckpointException(file + ": checksum mismatch (file truncated or corrupted)");
        }
        int headerLength = buf.getInt();
        if (headerLength < 0 || headerLength > bytes.length - buf.position() - 32) {
            throw new CheckpointException(file + ": header length " + headerLength + " exceeds the file");
        }
        Map<String, Object> header = JSON.readValue(Arrays.copyOfRange(bytes, buf.position(),
                buf.position() + headerLength), new TypeReference<LinkedHashMap<String, Object>>() { });
        buf.position(buf.position() + headerLength);
        Object index = header.remove("tensors");
        if (!(index instanceof List<?> list)) {
            throw new CheckpointException(file + ": header lists no tensors");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        try {
            for (Object o : list) {
                Map<?, ?> e = (Map<?, ?>) o;
                String name = (String) e.get("name");
                int rows = ((Number) e.get("rows")).intValue();
                int cols = ((Number) e.get("cols")).intValue();
                long n = (long) rows * cols;
                if (rows < 0 || cols < 0 || n * 4 > buf.remaining() - 32) {
                    throw new CheckpointException(file + ": tensor '" + name + "' (" + rows + "×" + cols
                            + ") runs past the end of the file");
                }
                float[] values = new float[(int) n];
                buf.asFloatBuffer().get(values);
                buf.position(buf.position() + values.length * 4);
                tensors.put(name, Tensor.fromArray(rows, cols, values));
            }
        } catch (RuntimeException e) {
            tensors.values().forEach(Tensor::close);
            throw e instanceof CheckpointException ce ? ce : new CheckpointException(file + ": malformed tensor index: " + e);
        }
        if (buf.remaining() != 32) {
            tensors.values().forEach(Tensor::close);
            throw new CheckpointException(file + ": " + (buf.remaining() - 32) + " unexpected bytes after the tensors");
        }
        return new Checkpoint(header, tensors);
    }

    private static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(bytes, 0, length);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        tensors.values().forEach(Tensor::close);
    }

    /** A checkpoint that cannot be read: the message says which file and why. */
    public static final class CheckpointException extends RuntimeException {
        public CheckpointException(String message) {
            super(message);
        }
    }
}
