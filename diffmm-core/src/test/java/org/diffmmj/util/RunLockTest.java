package org.diffmmj.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One holder at a time; asking whether it is held changes nothing. */
class RunLockTest {

    @TempDir
    Path dir;

    @Test
    void oneHolderAtATimeAndAskingCreatesOrTakesNothing() throws Exception {
        Path run = dir.resolve("run");
        assertThat(RunLock.isHeld(run)).isFalse();
        assertThat(run).doesNotExist();
        FileLock lock = RunLock.tryAcquire(run);
        assertThat(lock).isNotNull();
        assertThat(run.resolve(RunLock.FILE_NAME)).exists();
        assertThat(RunLock.isHeld(run)).isTrue();
        assertThat(RunLock.tryAcquire(run)).isNull();
        lock.channel().close();
        assertThat(RunLock.isHeld(run)).isFalse();
        FileLock again = RunLock.tryAcquire(run);
        assertThat(again).isNotNull();
        again.channel().close();
        assertThat(Files.list(run).map(p -> p.getFileName().toString())).containsExactly(RunLock.FILE_NAME);
    }
}
