package org.diffmmj.util;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The lock a training process holds on its run directory while it trains, so that two processes
 * never write one run. An operating-system file lock: it goes with the process, however that ends.
 */
public final class RunLock {

    /** The lock file in the run directory (empty; only its lock matters). */
    public static final String FILE_NAME = ".diffmm-train.lock";

    private RunLock() {
    }

    /** Takes {@code dir}'s lock (creating the directory), or returns null when another holder has it. */
    public static FileLock tryAcquire(Path dir) throws IOException {
        Files.createDirectories(dir);
        FileChannel channel = FileChannel.open(dir.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
        }
        return lock;
    }

    /**
     * Whether a process holds {@code dir}'s lock now. Found out by taking it and letting go at once
     * (a training process starting in that instant would be refused, as if two had started together);
     * creates nothing.
     */
    public static boolean isHeld(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        }
    }
}
