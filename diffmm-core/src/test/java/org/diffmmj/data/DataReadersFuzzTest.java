package org.diffmmj.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random byte mutations of small valid files, a few hundred per reader with a fixed seed: the
 * only exception ever thrown is {@link DataFormatException} (never another exception, an
 * OutOfMemoryError or a hang), so a corrupt file always gives its reader's message.
 */
class DataReadersFuzzTest {

    private static final int ITERATIONS = 300;

    @TempDir
    Path dir;

    /** Flips, overwrites with interesting bytes, inserts, deletes or truncates. */
    static byte[] mutate(byte[] valid, Random rnd) {
        byte[] b = valid.clone();
        int edits = 1 + rnd.nextInt(4);
        for (int e = 0; e < edits && b.length > 0; e++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(6)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b[at] = (byte) new int[] {0, 0xff, 0x7f, 0x80, '"', ',', '\t', '\n', '9', '-'}[rnd.nextInt(10)];
                case 2 -> {
                    byte[] c = new byte[b.length + 1];
                    System.arraycopy(b, 0, c, 0, at);
                    c[at] = (byte) rnd.nextInt(256);
                    System.arraycopy(b, at, c, at + 1, b.length - at);
                    b = c;
                }
                case 3 -> {
                    byte[] c = new byte[b.length - 1];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + 1, c, at, b.length - at - 1);
                    b = c;
                }
                case 4 -> b = java.util.Arrays.copyOf(b, at);
                default -> {
                    // a 4-byte little-endian length or value field set to something huge
                    int v = new int[] {Integer.MAX_VALUE, -1, 2_000_000_000, 1 << 30}[rnd.nextInt(4)];
                    for (int k = 0; k < 4 && at + k < b.length; k++) {
                        b[at + k] = (byte) (v >>> (8 * k));
                    }
                }
            }
        }
        return b;
    }

    @FunctionalInterface
    interface Reader {
        void read(byte[] mutated) throws Exception;
    }

    private static void fuzz(long seed, byte[] valid, Reader reader) {
        Random rnd = new Random(seed);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int refused = 0;
            for (int k = 0; k < ITERATIONS; k++) {
                byte[] m = mutate(valid, rnd);
                try {
                    reader.read(m);
                } catch (DataFormatException e) {
                    refused++;
                    assertThat(e.getMessage()).isNotBlank();
                } catch (Throwable t) {
                    throw new AssertionError("iteration " + k + ": " + t + " on " + java.util.Base64.getEncoder().encodeToString(m), t);
                }
            }
            assertThat(refused).as("mutations refused").isPositive();
        });
    }

    @Test
    void pickleReader() {
        byte[] valid = PickleWriter.coo(3, 4, new int[] {0, 1, 2}, new int[] {1, 0, 3}, new double[] {1, 1, 1});
        fuzz(1, valid, m -> SafePickle.readCoo(m, "trnMat.pkl", AuthorsFormat.MIN_DIMENSION_LIMIT + m.length));
    }

    @Test
    void protocol5PickleReader() throws Exception {
        byte[] valid = Files.readAllBytes(Path.of(getClass().getResource("/data/protocol5/trnMat.pkl").toURI()));
        fuzz(2, valid, m -> SafePickle.readCoo(m, "trnMat.pkl", AuthorsFormat.MIN_DIMENSION_LIMIT + m.length));
    }

    @Test
    void npyReader() throws Exception {
        Path f = dir.resolve("image_feat.npy");
        NpyIO.writeFloat32(f, 3, 2, new float[] {1, 2, 3, 4, 5, 6});
        byte[] valid = Files.readAllBytes(f);
        fuzz(3, valid, m -> {
            Files.write(f, m);
            NpyIO.Matrix x = NpyIO.read(f);
            assertThat((long) x.data().length).isLessThanOrEqualTo(m.length);
        });
    }

    @Test
    void mmrecReader() throws Exception {
        Path d = Files.createDirectory(dir.resolve("mmrec"));
        byte[] valid = "userID\titemID\tx_label\n0\t0\t0\n0\t1\t0\n1\t1\t0\n1\t2\t1\n0\t2\t2\n".getBytes(StandardCharsets.UTF_8);
        fuzz(4, valid, m -> {
            Files.write(d.resolve("x.inter"), m);
            Dataset x = MmrecFormat.read(d);
            assertThat((long) x.users() + x.items()).isLessThanOrEqualTo(2L * m.length);
        });
    }

    @Test
    void csvReader() throws Exception {
        Path d = Files.createDirectory(dir.resolve("csv"));
        Files.writeString(d.resolve("val.csv"), "user,item\na,\"y,1\"\n");
        Files.writeString(d.resolve("test.csv"), "user,item\nb,x\n");
        byte[] valid = "user,item\n\"a\",x\nb,\"y,1\"\nc,x\n".getBytes(StandardCharsets.UTF_8);
        fuzz(5, valid, m -> {
            Files.write(d.resolve("train.csv"), m);
            CsvFormat.read(d);
        });
    }

    @Test
    void interactionLogReader() throws Exception {
        Path f = dir.resolve("log.csv");
        StringBuilder sb = new StringBuilder("user,item,rating,timestamp\n");
        for (int u = 0; u < 4; u++) {
            for (int i = 0; i < 5; i++) {
                sb.append('u').append(u).append(",i").append((u + i) % 6).append(',').append(1 + i).append(',').append(10 * i + u).append('\n');
            }
        }
        byte[] valid = sb.toString().getBytes(StandardCharsets.UTF_8);
        fuzz(6, valid, m -> {
            Files.write(f, m);
            new InteractionLogSplitter().strategy(InteractionLogSplitter.Strategy.TEMPORAL).kCore(2).split(f);
        });
    }
}
