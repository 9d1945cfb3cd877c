package org.diffmmj.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

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
        Path parent = target.toAbsolutePath().normalize().getParent();
        if (parent == null) {
            throw new IOException(target + " is a file system root: there is nowhere beside it to build its content");
        }
        try {
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
        } catch (IOException e) {
            IOException root = IoErrors.deepestIoCause(e);
            throw new IOException("cannot create " + target + " in " + parent + ": " + IoErrors.reason(root), e);
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

    /**
     * Streams the content to a temporary sibling, forces it to disk, renames it over target and
     * forces the directory entry too. A failure says which file and why ("cannot write X: no space
     * left on device"); the temporary file is removed.
     */
    public static void write(Path target, ContentWriter content) throws IOException {
        Path dir = target.toAbsolutePath().normalize().getParent();
        if (dir == null || target.getFileName() == null) {
            throw new IOException("cannot write " + target + ": not a file path");
        }
        Path tmp = null;
        try {
            Files.createDirectories(dir);
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
            try (java.nio.channels.FileChannel channel = opened;
                 java.io.OutputStream out = new java.io.BufferedOutputStream(
                         java.nio.channels.Channels.newOutputStream(channel), 1 << 20)) {
                content.writeTo(out);
                out.flush();
                channel.force(false);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
        } catch (IOException e) {
            throw new IOException("cannot write " + target + ": " + IoErrors.describe(e), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    // the write's own error matters more; a stale temporary file is cleaned on the next start
                }
            }
        }
    }

    /**
     * Forces a directory's entries (a rename into it) to disk, where the platform allows opening a
     * directory (Linux, macOS); elsewhere a no-op.
     */
    public static void syncDirectory(Path dir) {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir,
                java.nio.file.StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | RuntimeException e) {
            // not supported here (Windows): the rename is still atomic, only not yet durable
        }
    }

    /** A temporary file {@link #write} leaves when killed mid-write: {@code .NAME.RANDOM.tmp}. */
    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\..+\\.[0-9a-z]{1,13}\\.tmp");

    /**
     * Removes the temporary files that writes killed midway left in {@code dir} (regular files
     * named like {@link #write}'s); returns their names. Only for a directory no other process
     * writes into at the same time.
     */
    public static List<String> deleteStaleTemporaries(Path dir) throws IOException {
        List<String> deleted = new java.util.ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return deleted;
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (TEMPORARY.matcher(name).matches()
                        && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f);
                    deleted.add(name);
                }
            }
        }
        return deleted;
    }
}
