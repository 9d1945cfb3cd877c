package org.diffmmj.io;

import org.diffmmj.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
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
 * Streamed to a temporary file and renamed; on load the checksum is verified over the whole file
 * before anything is parsed, so a truncated or corrupted file never yields a half-loaded model.
 * Neither direction holds the file in memory, so size is bounded only by the tensors.
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
        // Streamed in chunks through the digest: memory stays small whatever the model's size.
        AtomicFiles.write(file, raw -> {
            MessageDigest md = sha256();
            java.security.DigestOutputStream out = new java.security.DigestOutputStream(raw, md);
            ByteBuffer prefix = ByteBuffer.allocate(MAGIC.length + 8).order(ByteOrder.LITTLE_ENDIAN);
            prefix.put(MAGIC).putInt(FORMAT_VERSION).putInt(headerBytes.length);
            out.write(prefix.array());
            out.write(headerBytes);
            ByteBuffer chunk = ByteBuffer.allocate(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, Tensor> entry : tensors.entrySet()) {
                Tensor t = entry.getValue();
                java.nio.FloatBuffer src = t.buffer();
                int n = (int) t.size();
                for (int off = 0; off < n; off += CHUNK_FLOATS) {
                    int len = Math.min(CHUNK_FLOATS, n - off);
                    requireFinite(file, "not saved", entry.getKey(), t.cols(), src, off, len);
                    chunk.clear();
                    chunk.asFloatBuffer().put(0, src, off, len);
                    out.write(chunk.array(), 0, len * 4);
                }
            }
            out.flush();
            raw.write(md.digest());
        });
    }

    private static final int CHUNK_FLOATS = 1 << 18;

    public static Checkpoint load(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": no such checkpoint file");
        }
        int minimum = MAGIC.length + 8 + 32;
        // Three passes over the file, none holding it in memory: the prefix, the checksum of all
        // of it, then the header and tensors, so nothing is returned from a file that fails.
        try (InputStream in = Files.newInputStream(file)) {
            byte[] prefix = in.readNBytes(MAGIC.length + 4);
            if (size < minimum || !Arrays.equals(Arrays.copyOf(prefix, MAGIC.length), MAGIC)) {
                throw new CheckpointException(file + ": not a DiffMM-J checkpoint (bad magic or too short)");
            }
            int version = ByteBuffer.wrap(prefix, MAGIC.length, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
            if (version != FORMAT_VERSION) {
                throw new CheckpointException(file + ": checkpoint format version " + version
                        + ", this build reads version " + FORMAT_VERSION);
            }
        }
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            MessageDigest md = sha256();
            byte[] buf = new byte[1 << 20];
            for (long left = size - 32; left > 0; ) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    throw new CheckpointException(file + ": file shrank while being read");
                }
                md.update(buf, 0, r);
                left -= r;
            }
            if (!Arrays.equals(in.readNBytes(32), md.digest())) {
                throw new CheckpointException(file + ": checksum mismatch (file truncated or corrupted)");
            }
        }
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            in.skipNBytes(MAGIC.length + 4);
            int headerLength = ByteBuffer.wrap(in.readNBytes(4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
            long remaining = size - MAGIC.length - 8 - 32;
            if (headerLength < 0 || headerLength > remaining) {
                throw new CheckpointException(file + ": header length " + headerLength + " exceeds the file");
            }
            Map<String, Object> header = JSON.readValue(in.readNBytes(headerLength),
                    new TypeReference<LinkedHashMap<String, Object>>() { });
            remaining -= headerLength;
            Object index = header.remove("tensors");
            if (!(index instanceof List<?> list)) {
                throw new CheckpointException(file + ": header lists no tensors");
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            try {
                byte[] chunk = new byte[CHUNK_FLOATS * 4];
                for (Object o : list) {
                    Map<?, ?> e = (Map<?, ?>) o;
                    String name = (String) e.get("name");
                    int rows = ((Number) e.get("rows")).intValue();
                    int cols = ((Number) e.get("cols")).intValue();
                    long n = (long) rows * cols;
                    if (rows < 0 || cols < 0 || n * 4 > remaining) {
                        throw new CheckpointException(file + ": tensor '" + name + "' (" + rows + "×" + cols
                                + ") runs past the end of the file");
                    }
                    Tensor t = Tensor.zeros(rows, cols);
                    tensors.put(name, t);
                    java.nio.FloatBuffer dst = t.buffer();
                    for (int off = 0; off < n; off += CHUNK_FLOATS) {
                        int len = (int) Math.min(CHUNK_FLOATS, n - off);
                        if (in.readNBytes(chunk, 0, len * 4) != len * 4) {
                            throw new CheckpointException(file + ": tensor '" + name + "' is cut short");
                        }
                        dst.put(off, ByteBuffer.wrap(chunk, 0, len * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(),
                                0, len);
                        requireFinite(file, "refusing to load it", name, cols, dst, off, len);
                    }
                    remaining -= n * 4;
                }
            } catch (RuntimeException e) {
                tensors.values().forEach(Tensor::close);
                throw e instanceof CheckpointException ce ? ce : new CheckpointException(file + ": malformed tensor index: " + e);
            }
            if (remaining != 0) {
                tensors.values().forEach(Tensor::close);
                throw new CheckpointException(file + ": " + remaining + " unexpected bytes after the tensors");
            }
            return new Checkpoint(header, tensors);
        }
    }

    /**
     * NaN and infinite values never enter or leave a checkpoint: a model that diverged would
     * otherwise be saved as the best one, and serving it would rank nothing (every comparison
     * with NaN is false) while answering 200.
     */
    private static void requireFinite(Path file, String action, String name, int cols, java.nio.FloatBuffer values,
                                      int off, int len) {
        for (int i = off; i < off + len; i++) {
            float v = values.get(i);
            if (!Float.isFinite(v)) {
                throw new CheckpointException(file + ": tensor '" + name + "' holds " + v + " at row " + (i / Math.max(1, cols))
                        + ", column " + (i % Math.max(1, cols)) + "; " + action
                        + " (checkpoints hold finite values only: the training diverged or the file was altered)");
            }
        }
    }

    /**
     * The SHA-256 a checkpoint file ends with (as stored, not re-computed: {@link #verify} or
     * {@link #load} checks it), in hex: the identity of that file's content.
     */
    public static String storedDigest(Path file) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            if (size < MAGIC.length + 8 + 32) {
                throw new CheckpointException(file + ": not a DiffMM-J checkpoint (too short)");
            }
            ByteBuffer digest = ByteBuffer.allocate(32);
            while (digest.hasRemaining()) {
                if (ch.read(digest, size - 32 + digest.position()) < 0) {
                    throw new CheckpointException(file + ": file shrank while being read");
                }
            }
            return java.util.HexFormat.of().formatHex(digest.array());
        }
    }

    /** True when the file is a whole checkpoint: its content matches the checksum it ends with. */
    public static boolean verify(Path file) throws IOException {
        long size = Files.size(file);
        if (size < MAGIC.length + 8 + 32) {
            return false;
        }
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            MessageDigest md = sha256();
            byte[] buf = new byte[1 << 20];
            for (long left = size - 32; left > 0; ) {
                int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (r < 0) {
                    return false;
                }
                md.update(buf, 0, r);
                left -= r;
            }
            return Arrays.equals(in.readNBytes(32), md.digest());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
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
