package org.diffmmj.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes that either land whole or not at all: a temporary sibling, then an atomic rename. */
public final class AtomicFiles {

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private AtomicFiles() {
    }

    /**
     * A new, empty, hidden sibling directory of {@code target} to build its content in before a
     * rename; created with the umask's permissions (createTempDirectory would make it 0700).
     */
    public static Path newSiblingDirectory(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        while (true) {
            Path dir = parent.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36)
                    + ".tmp");
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // another name
            }
        }
    }

    /** Removes a file or directory tree if it exists. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (java.util.stream.Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    /** Writes a file's content to a stream (which the caller must not close). */
    @FunctionalInterface
    public interface ContentWriter {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    public static void write(Path target, byte[] content) throws IOException {
        write(target, out -> out.write(content));
    }

    /** Streams the content to a temporary sibling, forces it to disk, then renames it over target. */
    public static void write(Path target, ContentWriter content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = null;
        java.nio.channels.FileChannel opened = null;
        while (opened == null) {
            // A plain CREATE_NEW, not createTempFile: the file gets the umask's permissions (a service
            // account must be able to read a model), where createTempFile would make it 0600.
            tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try {
                opened = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE,
                        java.nio.file.StandardOpenOption.CREATE_NEW);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                opened = null;
            }
        }
        try {
            try (java.nio.channels.FileChannel channel = opened;
                 java.io.OutputStream out = new java.io.BufferedOutputStream(
                         java.nio.channels.Channels.newOutputStream(channel), 1 << 20)) {
                content.writeTo(out);
                out.flush();
                channel.force(false);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
