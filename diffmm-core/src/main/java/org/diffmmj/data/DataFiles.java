package org.diffmmj.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.diffmmj.util.IoErrors;

/**
 * How every data reader opens a file: regular files only (a FIFO or device would block or never
 * end), no more than a Java array holds, and I/O failures reported with what failed and the
 * operating system's reason rather than a bare path.
 */
public final class DataFiles {

    /** The largest array the JVM reliably allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private DataFiles() {
    }

    /** Refuses anything but an existing regular file (following links), before it is opened. */
    static void requireRegularFile(Path file) {
        if (Files.isRegularFile(file)) {
            return;
        }
        if (!Files.exists(file)) {
            throw new DataFormatException(file + ": missing (no such file)");
        }
        throw new DataFormatException(file + ": not a regular file (" + (Files.isDirectory(file) ? "a directory"
                : "a FIFO, socket or device") + "); datasets are read from regular files only");
    }

    /** The whole file, after checking it is a regular file that fits in a Java array. */
    static byte[] readBytes(Path file) throws IOException {
        requireRegularFile(file);
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw failure(file, "read the size of", e);
        }
        if (size > MAX_ARRAY) {
            throw new DataFormatException(file + ": " + size + " bytes, more than one Java array holds ("
                    + MAX_ARRAY + "); split the file or reduce its precision");
        }
        try {
            return Files.readAllBytes(file);
        } catch (OutOfMemoryError e) {
            throw new DataFormatException(file + ": " + size + " bytes do not fit in the Java heap (raise -Xmx)");
        } catch (IOException e) {
            throw failure(file, "read", e);
        }
    }

    /**
     * The file as strict UTF-8 text: malformed bytes are refused with their offset, a byte-order
     * mark is dropped at the very start and refused anywhere else (it would silently become part
     * of an id).
     */
    static String readText(Path file) throws IOException {
        byte[] bytes = readBytes(file);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        String text;
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            CharBuffer out = decoder.decode(in);
            text = out.toString();
        } catch (CharacterCodingException e) {
            // Find the offset for the message by decoding incrementally.
            throw new DataFormatException(file + ": not UTF-8 text (first bad byte at offset " + badOffset(bytes) + ")");
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        int bom = text.indexOf('\uFEFF');
        if (bom >= 0) {
            throw new DataFormatException(file + ":" + lineOf(text, bom) + ": a byte-order mark (U+FEFF) in the middle of the"
                    + " file (files were probably concatenated); remove it");
        }
        return text;
    }

    private static long badOffset(byte[] bytes) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            java.nio.charset.CoderResult r = d.decode(in, out, true);
            if (r.isError()) {
                return in.position();
            }
            if (r.isUnderflow()) {
                return bytes.length;
            }
            out.clear();
        }
    }

    /** The 1-based line of a character offset. */
    static int lineOf(String text, int offset) {
        int line = 1;
        for (int k = 0; k < offset && k < text.length(); k++) {
            if (text.charAt(k) == '\n') {
                line++;
            }
        }
        return line;
    }

    /**
     * An IOException saying what failed on which file and why, in the operating system's words
     * ("permission denied", "no space left on device"), never just the path.
     */
    public static IOException failure(Path file, String action, IOException e) {
        return new IOException("cannot " + action + " " + file + ": " + reason(e), e);
    }

    /** The reason of an I/O failure, without the path the JDK puts in front of it ({@link IoErrors#reason}). */
    public static String reason(IOException e) {
        return IoErrors.reason(e);
    }

    /** At most {@code max} characters of a value for an error message, quoted, control characters escaped. */
    public static String excerpt(String value) {
        return excerpt(value, 40);
    }

    static String excerpt(String value, int max) {
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(value.length(), max);
        for (int k = 0; k < n; k++) {
            char c = value.charAt(k);
            if (c < 0x20 || c == 0x7f || c == '\uFEFF') {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('\'');
        if (value.length() > max) {
            sb.append("… (").append(value.length()).append(" characters)");
        }
        return sb.toString();
    }
}
