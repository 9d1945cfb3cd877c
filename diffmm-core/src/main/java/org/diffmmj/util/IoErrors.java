package org.diffmmj.util;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * I/O failures in words: which file and why, with the operating system's reason ("permission
 * denied", "read-only file system", "no space left on device"), never a bare path or an exception
 * class name. Java's {@link FileSystemException}s carry only the path as their message when the
 * reason is implied by their type; this spells the type out.
 */
public final class IoErrors {

    private IoErrors() {
    }

    /** Why the operation failed, without the path: "permission denied", "no space left on device". */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException fse) {
            if (fse.getReason() != null && !fse.getReason().isBlank()) {
                return lower(fse.getReason());
            }
            if (e instanceof AccessDeniedException) {
                return readOnly(fse.getFile()) ? "read-only file system" : "permission denied";
            }
            if (e instanceof NoSuchFileException) {
                return "no such file or directory";
            }
            if (e instanceof FileAlreadyExistsException) {
                return fse.getFile() != null && Files.exists(Path.of(fse.getFile()))
                        && !Files.isDirectory(Path.of(fse.getFile())) ? "exists and is not a directory" : "already exists";
            }
            if (e instanceof NotDirectoryException) {
                return "not a directory";
            }
            if (e instanceof DirectoryNotEmptyException) {
                return "directory not empty";
            }
            if (e instanceof NotLinkException) {
                return "not a symbolic link";
            }
            if (e instanceof FileSystemLoopException) {
                return "loop of symbolic links";
            }
            if (e instanceof AtomicMoveNotSupportedException) {
                return "cannot be renamed atomically (another file system?)";
            }
            return "input/output error";
        }
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            return e instanceof java.io.EOFException ? "unexpected end of file" : "input/output error";
        }
        return lower(m);
    }

    /**
     * A whole sentence for an I/O failure: "PATH: reason" for a file-system error, the message
     * of one that already says what failed, with the reason of its deepest I/O cause appended when
     * the message does not give it.
     */
    public static String describe(Throwable e) {
        if (e instanceof UncheckedIOException u && u.getCause() != null && u.getMessage() != null
                && u.getMessage().equals(u.getCause().toString())) {
            e = u.getCause();
        }
        String message;
        if (e instanceof FileSystemException fse) {
            message = (fse.getFile() == null ? "" : fse.getFile() + ": ")
                    + (fse.getOtherFile() == null ? "" : "(to " + fse.getOtherFile() + ") ") + reason(fse);
        } else if (e instanceof IOException io) {
            message = reason(io);
        } else {
            message = e.getMessage();
        }
        IOException root = deepestIoCause(e);
        if (root != null && root != e) {
            String why = reason(root);
            if (message == null || message.isBlank()) {
                message = describe(root);
            } else if (!message.toLowerCase(Locale.ROOT).contains(why.toLowerCase(Locale.ROOT))) {
                String what = root instanceof FileSystemException fse && fse.getFile() != null
                        && !message.contains(fse.getFile()) ? describe(root) : why;
                message = message + ": " + what;
            }
        }
        return message;
    }

    /** The innermost I/O exception in a cause chain, or null. */
    public static IOException deepestIoCause(Throwable e) {
        IOException found = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException io) {
                found = io;
            }
        }
        return found;
    }

    private static boolean readOnly(String file) {
        if (file == null) {
            return false;
        }
        try {
            Path p = Path.of(file).toAbsolutePath();
            while (p != null && !Files.exists(p)) {
                p = p.getParent();
            }
            return p != null && Files.getFileStore(p).isReadOnly();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static String lower(String s) {
        // "Read-only file system" -> "read-only file system"; keep acronyms and paths as they are.
        if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && Character.isLowerCase(s.charAt(1))) {
            return Character.toLowerCase(s.charAt(0)) + s.substring(1);
        }
        return s;
    }
}
