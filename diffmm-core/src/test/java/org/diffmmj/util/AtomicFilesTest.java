package org.diffmmj.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void writtenFilesAndDirectoriesHaveTheUmasksPermissionsLikeAnyNewFile() throws IOException {
        Path plainFile = Files.createFile(dir.resolve("plain"));
        Path plainDir = Files.createDirectory(dir.resolve("plain-dir"));
        Path written = dir.resolve("model.ckpt");
        AtomicFiles.write(written, new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(written)).containsExactly(1, 2, 3);
        assertThat(Files.getPosixFilePermissions(written)).isEqualTo(Files.getPosixFilePermissions(plainFile));
        Path sibling = AtomicFiles.newSiblingDirectory(dir.resolve("data"));
        assertThat(sibling.getFileName().toString()).startsWith(".data.").endsWith(".tmp");
        assertThat(Files.getPosixFilePermissions(sibling)).isEqualTo(Files.getPosixFilePermissions(plainDir));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path target = dir.resolve("metrics.json");
        AtomicFiles.write(target, "old".getBytes());
        try {
            AtomicFiles.write(target, out -> {
                out.write("half".getBytes());
                throw new IOException("disk full");
            });
        } catch (IOException expected) {
            assertThat(expected).hasMessage("cannot write " + target + ": disk full");
        }
        assertThat(Files.readString(target)).isEqualTo("old");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("metrics.json");
        }
    }

    @Test
    void temporariesOfKilledWritesAreRemovedAndNothingElse() throws IOException {
        Files.writeString(dir.resolve(".model.ckpt.3k9x0a1b2c3d.tmp"), "half");
        Files.writeString(dir.resolve(".metrics.json.z.tmp"), "half");
        Files.writeString(dir.resolve("notes.tmp"), "mine");
        Files.writeString(dir.resolve(".hidden"), "mine");
        Files.createDirectory(dir.resolve(".data.abc.tmp")); // a directory: not what write() leaves
        assertThat(AtomicFiles.deleteStaleTemporaries(dir)).containsExactlyInAnyOrder(".model.ckpt.3k9x0a1b2c3d.tmp",
                ".metrics.json.z.tmp");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("notes.tmp", ".hidden",
                    ".data.abc.tmp");
        }
    }
}
