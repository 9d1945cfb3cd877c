package org.diffmmj.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;

/** I/O failures say what failed and the operating system's reason, never a bare path or a class name. */
class IoErrorsTest {

    private static IOException caught(IoAction action) {
        try {
            action.run();
        } catch (IOException e) {
            return e;
        }
        throw new AssertionError("expected an IOException");
    }

    private interface IoAction {
        void run() throws IOException;
    }

    @Test
    void aFullDeviceSaysNoSpaceLeft() {
        assumeTrue(Files.exists(Path.of("/dev/full")), "Linux's /dev/full");
        IOException e = caught(() -> {
            try (FileChannel c = FileChannel.open(Path.of("/dev/full"), StandardOpenOption.WRITE)) {
                c.write(ByteBuffer.allocate(16));
            }
        });
        assertThat(IoErrors.describe(e)).isEqualTo("no space left on device");
        // Through an atomic write, the target is named too.
        IOException wrapped = new IOException("cannot write /runs/a/metrics.json: " + IoErrors.describe(e), e);
        assertThat(IoErrors.describe(new IllegalStateException("after epoch 3: " + IoErrors.describe(wrapped), wrapped)))
                .isEqualTo("after epoch 3: cannot write /runs/a/metrics.json: no space left on device");
    }

    @Test
    void fileSystemErrorsNameTheFileAndTheReason() {
        assumeLinux();
        IOException notDir = caught(() -> Files.createDirectories(Path.of("/dev/full/run")));
        assertThat(IoErrors.describe(notDir)).startsWith("/dev/full").containsAnyOf("not a directory",
                "exists and is not a directory");
        assertThat(IoErrors.describe(new AccessDeniedException("/srv/runs"))).isEqualTo("/srv/runs: permission denied");
        assertThat(IoErrors.describe(new NoSuchFileException("/nowhere/x"))).isEqualTo("/nowhere/x: no such file or directory");
        assertThat(IoErrors.describe(new java.nio.file.FileSystemException("/ro/x", null, "Read-only file system")))
                .isEqualTo("/ro/x: read-only file system");
        // Wrapped without a message of its own: the file and reason still come through.
        RuntimeException wrapped = new UncheckedIOException(new AccessDeniedException("/srv/runs/metrics.json"));
        assertThat(IoErrors.describe(wrapped)).isEqualTo("/srv/runs/metrics.json: permission denied");
        RuntimeException bare = new IllegalStateException("after epoch 2: /srv/runs/model.ckpt",
                new AccessDeniedException("/srv/runs/model.ckpt"));
        assertThat(IoErrors.describe(bare)).isEqualTo("after epoch 2: /srv/runs/model.ckpt: permission denied");
        for (Throwable t : new Throwable[] {notDir, wrapped, bare, new IOException()}) {
            assertThat(IoErrors.describe(t)).doesNotContain("Exception").isNotBlank();
        }
    }

    @Test
    void aWriteIntoAFileSystemRootOrANonDirectoryFailsInWords() {
        assumeLinux();
        assertThatThrownBy(() -> AtomicFiles.newSiblingDirectory(Path.of("/")))
                .isInstanceOf(IOException.class).hasMessageContaining("file system root");
        assertThatThrownBy(() -> AtomicFiles.write(Path.of("/dev/full/metrics.json"), new byte[1]))
                .isInstanceOf(IOException.class).hasMessageStartingWith("cannot write /dev/full/metrics.json: ")
                .hasMessageNotContaining("Exception");
    }

    private static void assumeLinux() {
        assumeTrue(Files.exists(Path.of("/dev/full")), "Linux's /dev/full");
    }
}
