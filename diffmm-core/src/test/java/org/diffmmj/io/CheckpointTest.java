package org.diffmmj.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.tensor.Tensor;

class CheckpointTest {

    @TempDir
    Path dir;

    private Path saveSample() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a", Tensor.of(2, 3, 1, 2, 3, 4, 5, 6));
        tensors.put("b", Tensor.of(1, 1, -0.5f));
        Path file = dir.resolve("m.ckpt");
        try (Checkpoint c = new Checkpoint(Map.of("model", "x", "epoch", 3), tensors)) {
            c.save(file);
        }
        return file;
    }

    @Test
    void roundTripsHeaderAndTensorsExactly() throws Exception {
        Path file = saveSample();
        try (Checkpoint c = Checkpoint.load(file)) {
            assertThat(c.header()).containsEntry("model", "x").containsEntry("epoch", 3);
            assertThat(c.tensor("a").toArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(c.tensor("a").rows()).isEqualTo(2);
            assertThat(c.tensor("b").toArray()).containsExactly(-0.5f);
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("m.ckpt");
        }
    }

    @Test
    void tensorsLargerThanTheStreamingChunkRoundTrip() throws Exception {
        float[] values = new float[700 * 1001]; // 2.7 chunks of 2^18 floats, not a multiple of one
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) Math.sin(i) * i;
        }
        Path file = dir.resolve("big.ckpt");
        try (Checkpoint c = new Checkpoint(java.util.Map.of("n", 1), java.util.Map.of(
                "big", org.diffmmj.tensor.Tensor.fromArray(700, 1001, values)))) {
            c.save(file);
        }
        assertThat(Files.size(file)).isGreaterThan(values.length * 4L);
        try (Checkpoint c = Checkpoint.load(file)) {
            assertThat(java.util.Arrays.equals(c.tensor("big").toArray(), values)).as("bit-equal round trip").isTrue();
        }
        Files.delete(file);
    }

    @Test
    void aFlippedByteIsACorruptionError() throws Exception {
        Path file = saveSample();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 40] ^= 1;
        Files.write(file, bytes);
        assertThatThrownBy(() -> Checkpoint.load(file)).isInstanceOf(Checkpoint.CheckpointException.class)
                .hasMessageContaining("checksum").hasMessageContaining("m.ckpt");
    }

    @Test
    void aTruncatedFileIsRefused() throws Exception {
        Path file = saveSample();
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> Checkpoint.load(file)).isInstanceOf(Checkpoint.CheckpointException.class)
                .hasMessageContaining("truncated");
    }

    @Test
    void anotherVersionIsRefusedByName() throws Exception {
        Path file = saveSample();
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 99);
        Files.write(file, bytes);
        assertThatThrownBy(() -> Checkpoint.load(file)).hasMessageContaining("version 99");
    }

    @Test
    void aFileThatIsNotACheckpointIsRefused() throws Exception {
        Path file = dir.resolve("other.ckpt");
        Files.writeString(file, "hello, this is not a checkpoint at all, just text padding padding");
        assertThatThrownBy(() -> Checkpoint.load(file)).hasMessageContaining("not a DiffMM-J checkpoint");
        assertThatThrownBy(() -> Checkpoint.load(dir.resolve("missing.ckpt"))).hasMessageContaining("no such");
    }

    @Test
    void nanOrInfiniteTensorsAreNeverSaved() throws Exception {
        Path file = dir.resolve("diverged.ckpt");
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            try (Checkpoint c = new Checkpoint(Map.of(), Map.of("fine", Tensor.of(1, 1, 1),
                    "user_emb", Tensor.of(2, 3, 1, 2, 3, 4, bad, 6)))) {
                assertThatThrownBy(() -> c.save(file)).isInstanceOf(Checkpoint.CheckpointException.class)
                        .hasMessageContaining("tensor 'user_emb' holds " + bad + " at row 1, column 1")
                        .hasMessageContaining("not saved");
            }
        }
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty(); // neither the file nor a temporary
        }
    }

    @Test
    void aValidFileWithNanValuesIsRefusedOnLoad() throws Exception {
        Path file = saveSample();
        // Tensor "a" starts after magic, version, header length and header: patch its 5th value
        // to NaN and recompute the checksum, as a crafted or a pre-check file would be.
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = ByteBuffer.wrap(bytes, 12, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        int a = 16 + headerLength;
        ByteBuffer.wrap(bytes, a + 4 * 4, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(bytes, bytes.length - 32));
        System.arraycopy(digest, 0, bytes, bytes.length - 32, 32);
        Files.write(file, bytes);
        assertThat(Checkpoint.verify(file)).isTrue(); // a whole, well-formed file
        assertThatThrownBy(() -> Checkpoint.load(file)).isInstanceOf(Checkpoint.CheckpointException.class)
                .hasMessageContaining("tensor 'a' holds NaN at row 1, column 1").hasMessageContaining("refusing to load it");
    }
}
