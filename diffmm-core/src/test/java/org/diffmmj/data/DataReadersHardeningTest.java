package org.diffmmj.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 18's data cases: each gives a clear error naming file and line or entry, or the correct result. */
class DataReadersHardeningTest {

    @TempDir
    Path dir;

    private static Path resource(String name) throws Exception {
        return Path.of(DataReadersHardeningTest.class.getResource("/data/" + name).toURI());
    }

    private static void write(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    // ---- pickles (authors' format) ----

    @Test
    void aCooPickledWithProtocol5ThroughFrombufferIsRead() throws Exception {
        Dataset d = DatasetLoader.load(resource("protocol5"));
        assertThat(d.users()).isEqualTo(3);
        assertThat(d.items()).isEqualTo(4);
        assertThat(d.train().pairUsers()).containsExactly(0, 1, 2, 2);
        assertThat(d.train().pairItems()).containsExactly(1, 0, 0, 3);
        assertThat(d.validation().pairItems()).containsExactly(2, 3);
        assertThat(d.test().pairUsers()).containsExactly(0, 2);
        assertThat(d.test().pairItems()).containsExactly(3, 1);
    }

    private void writeAuthors(double[] trainValues) throws Exception {
        Files.write(dir.resolve("trnMat.pkl"), PickleWriter.coo(3, 4, new int[] {0, 1, 2}, new int[] {1, 0, 3}, trainValues));
        Files.write(dir.resolve("valMat.pkl"), PickleWriter.coo(3, 4, new int[] {0}, new int[] {2}, new double[] {1}));
        Files.write(dir.resolve("tstMat.pkl"), PickleWriter.coo(3, 4, new int[] {1}, new int[] {3}, new double[] {1}));
    }

    @Test
    void cooValuesThatAreNotPositiveFiniteAreRefusedWithTheirEntry() throws Exception {
        for (double bad : new double[] {-1, Double.NaN, Double.POSITIVE_INFINITY, 0}) {
            writeAuthors(new double[] {1, bad, 1});
            assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("trnMat.pkl").hasMessageContaining("entry 1 (user 1, item 0)")
                    .hasMessageContaining("stores " + bad);
        }
        writeAuthors(new double[] {1, 1, 1});
        assertThat(DatasetLoader.load(dir).train().size()).isEqualTo(3);
    }

    @Test
    void aCooShapeBeyond32BitsIsRefusedNotTruncated() throws Exception {
        byte[] bytes = Files.readAllBytes(resource("shape-2pow32-plus-200.pkl"));
        assertThatThrownBy(() -> SafePickle.readCoo(bytes, "big.pkl")).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("big.pkl").hasMessageContaining("4294967496").hasMessageContaining("outside [0, 2^31)");
    }

    @Test
    void aFewBytesClaimingTwoBillionUsersAreRefusedBeforeAllocating() throws Exception {
        writeAuthors(new double[] {1, 1, 1});
        Files.write(dir.resolve("trnMat.pkl"), PickleWriter.coo(2_000_000_000, 4, new int[] {0}, new int[] {1}, new double[] {1}));
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("trnMat.pkl").hasMessageContaining("2000000000×4")
                .hasMessageContaining("refused before allocating");
    }

    /** Replaces the first occurrence of {@code pattern} in {@code bytes}. */
    private static byte[] patch(byte[] bytes, byte[] pattern, byte[] replacement) {
        for (int k = 0; k + pattern.length <= bytes.length; k++) {
            if (java.util.Arrays.equals(bytes, k, k + pattern.length, pattern, 0, pattern.length)) {
                byte[] out = bytes.clone();
                System.arraycopy(replacement, 0, out, k, replacement.length);
                return out;
            }
        }
        throw new AssertionError("pattern not found");
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Test
    void anArrayWhoseShapeClaimsTwoBillionEntriesIsRefusedBeforeAllocating() {
        byte[] ok = PickleWriter.coo(3, 4, new int[] {0, 1, 2}, new int[] {1, 0, 3}, new double[] {1, 1, 1});
        // The row array's state: J 1, J 3, TUPLE1 -> J 1, J 2000000000, TUPLE1.
        byte[] bad = patch(ok, new byte[] {'J', 1, 0, 0, 0, 'J', 3, 0, 0, 0, (byte) 0x85},
                concat(new byte[] {'J', 1, 0, 0, 0, 'J'}, le(2_000_000_000)));
        assertThatThrownBy(() -> SafePickle.readCoo(bad, "trnMat.pkl")).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("trnMat.pkl").hasMessageContaining("2000000000");
        // A byte string whose length prefix claims 2 GB in a file of a few hundred bytes.
        byte[] claim = patch(ok, concat(new byte[] {'B'}, le(24)), concat(new byte[] {'B'}, le(Integer.MAX_VALUE)));
        assertThatThrownBy(() -> SafePickle.readCoo(claim, "valMat.pkl")).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("valMat.pkl").hasMessageContaining("claims 2147483647 bytes");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void overlappingAuthorsSplitsAreRefused() throws Exception {
        writeAuthors(new double[] {1, 1, 1});
        Files.write(dir.resolve("tstMat.pkl"), PickleWriter.coo(3, 4, new int[] {2}, new int[] {3}, new double[] {1}));
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("tstMat.pkl").hasMessageContaining("(user 2, item 3) is also in trnMat.pkl");
    }

    // ---- .npy features ----

    private static byte[] npy(String dict, int dataBytes) {
        String header = dict + " ".repeat((64 - (10 + dict.length() + 1) % 64) % 64) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        return b.array();
    }

    @Test
    void anNpyShapeThatOverflowsIsRefused() throws Exception {
        Path f = dir.resolve("image_feat.npy");
        // (2^62+150, 4): 2^62+150 times 4 wraps to 600 values in 64-bit arithmetic; it must not load as 150×4.
        Files.write(f, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427388054, 4), }", 600 * 4));
        assertThatThrownBy(() -> NpyIO.read(f)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("image_feat.npy").hasMessageContaining("4611686018427388054");
        Files.write(f, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647), }", 16));
        assertThatThrownBy(() -> NpyIO.read(f)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("image_feat.npy").hasMessageContaining("more than one Java array holds");
        Files.write(f, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 4), }", 16));
        assertThatThrownBy(() -> NpyIO.read(f)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("image_feat.npy").hasMessageContaining("not a non-negative integer");
        Files.write(f, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0), }", 0));
        assertThatThrownBy(() -> NpyIO.read(f)).isInstanceOf(DataFormatException.class).hasMessageContaining("(2, 0)");
        Files.write(f, npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", 8));
        assertThat(NpyIO.read(f).cols()).isEqualTo(2);
    }

    @Test
    void aFeatureFileTooLargeForAJavaArrayIsRefusedWithoutReadingIt() throws Exception {
        Path f = dir.resolve("image_feat.npy");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(3L << 30); // sparse: no disk used
        }
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> NpyIO.read(f))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("image_feat.npy")
                .hasMessageContaining("3221225472 bytes, more than one Java array holds"));
    }

    @Test
    void aFifoIsRefusedWithoutHanging() throws Exception {
        Path fifo = dir.resolve("audio_feat.npy");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor()).isZero();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> NpyIO.read(fifo))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("audio_feat.npy")
                .hasMessageContaining("not a regular file"));
        Path csvDir = Files.createDirectory(dir.resolve("csv"));
        write(csvDir.resolve("val.csv"), "user,item\na,x\n");
        write(csvDir.resolve("test.csv"), "user,item\na,y\n");
        Process q = new ProcessBuilder("mkfifo", csvDir.resolve("train.csv").toString()).start();
        assertThat(q.waitFor()).isZero();
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> DatasetLoader.load(csvDir, DataFormat.CSV))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("train.csv: not a regular file"));
    }

    // ---- MMRec .inter ----

    @Test
    void mmrecIdsMustBeCanonicalAndBoundedByTheRealCount() throws Exception {
        String header = "userID\titemID\tx_label\n";
        String rest = "0\t0\t0\n1\t1\t1\n0\t1\t2\n";
        for (String bad : new String[] {"+5", "05", " 5 ", "5.0", "-1", "0x5", ""}) {
            write(dir.resolve("x.inter"), header + "1\t0\t0\n" + bad + "\t1\t0\n" + rest);
            assertThatThrownBy(() -> DatasetLoader.load(dir)).as(bad).isInstanceOf(DataFormatException.class)
                    .hasMessageContaining("x.inter:3").hasMessageContaining("userID");
        }
        write(dir.resolve("x.inter"), header + "2000000000\t0\t0\n" + rest);
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("x.inter:2").hasMessageContaining("'2000000000' out of range")
                .hasMessageContaining("below the number of interactions (4)");
        write(dir.resolve("x.inter"), header + "99999999999999999999\t0\t0\n" + rest);
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("x.inter:2").hasMessageContaining("out of range");
        write(dir.resolve("x.inter"), header + "1\t0\t0\n" + rest);
        Dataset ok = DatasetLoader.load(dir);
        assertThat(ok.users()).isEqualTo(2);
        assertThat(ok.train().size()).isEqualTo(2);
    }

    @Test
    void mmrecOverlappingSplitsNameBothLines() throws Exception {
        write(dir.resolve("x.inter"), "userID\titemID\tx_label\n0\t0\t0\n1\t1\t1\n1\t0\t0\n0\t0\t2\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("x.inter:5").hasMessageContaining("(user 0, item 0) is in test here and in train on line 2");
    }

    // ---- CSV ----

    private void csvSplits(String train, String val, String test) throws Exception {
        write(dir.resolve("train.csv"), train);
        write(dir.resolve("val.csv"), val);
        write(dir.resolve("test.csv"), test);
    }

    @Test
    void quotedCsvIdsAreOneFieldAndRoundTrip() throws Exception {
        csvSplits("user,item\n\"x,y\",3\n\"0\",4\n\"say \"\"hi\"\"\",3\n", "user,item\n0,3\n", "user,item\n\"x,y\",4\n");
        Dataset d = DatasetLoader.load(dir);
        assertThat(d.users()).as("\"0\" and 0 are the same user").isEqualTo(3);
        assertThat(d.userIds().externalId(0)).isEqualTo("x,y");
        assertThat(d.userIds().externalId(2)).isEqualTo("say \"hi\"");
        assertThat(d.itemIds().externalId(0)).isEqualTo("3");
        Path out = dir.resolve("out");
        DatasetLoader.write(d, out, DataFormat.CSV);
        Dataset back = DatasetLoader.load(out);
        assertThat(back.fingerprint()).isEqualTo(d.fingerprint());
        for (int u = 0; u < d.users(); u++) {
            assertThat(back.userIds().externalId(u)).isEqualTo(d.userIds().externalId(u));
        }
    }

    @Test
    void anotherDelimiterIsRead() throws Exception {
        csvSplits("user;item\n\"a;b\";x\nc;y\n", "user;item\nc;x\n", "user;item\n\"a;b\";y\n");
        Dataset d = DatasetLoader.load(dir, DataFormat.CSV, ';');
        assertThat(d.userIds().externalId(0)).isEqualTo("a;b");
        assertThat(d.train().size()).isEqualTo(2);
    }

    @Test
    void nonCanonicalCsvIdsAreRefusedWithTheirLine() throws Exception {
        csvSplits("user,item\n5,x\n 5 ,y\n", "user,item\n5,y\n", "user,item\n5,z\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("train.csv:3").hasMessageContaining("' 5 ' has leading or trailing spaces");
    }

    @Test
    void aByteOrderMarkIsDroppedAtTheStartAndRefusedMidFile() throws Exception {
        csvSplits("\uFEFFuser,item\na,x\nb,y\n", "user,item\na,y\n", "user,item\nb,x\n");
        assertThat(DatasetLoader.load(dir).users()).isEqualTo(2);
        csvSplits("user,item\na,x\n\uFEFFb,y\n", "user,item\na,y\n", "user,item\nb,x\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("train.csv:3").hasMessageContaining("byte-order mark");
    }

    @Test
    void overlappingCsvSplitsNameBothPlaces() throws Exception {
        csvSplits("user,item\na,x\nb,y\n", "user,item\na,y\n", "user,item\nb,x\n\n\"a\",x\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("test.csv:4").hasMessageContaining("also in train.csv line 2")
                .hasMessageContaining("must not overlap");
    }

    @Test
    void malformedCsvAndLongFieldsGiveShortMessagesWithTheLine() throws Exception {
        csvSplits("user,item\na,x\n\"b,y\n", "user,item\na,y\n", "user,item\nb,x\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("train.csv:3").hasMessageContaining("malformed CSV");
        String huge = "z".repeat(5000) + " ";
        csvSplits("user,item\na,x\n" + huge + ",y\n", "user,item\na,y\n", "user,item\nb,x\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("train.csv:3").hasMessageContaining("(5001 characters)")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(300));
        Files.write(dir.resolve("train.csv"), new byte[] {'u', 's', 'e', 'r', ',', 'i', 't', 'e', 'm', '\n', 'a', ',', (byte) 0xC3, '\n'});
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("train.csv: not UTF-8 text (first bad byte at offset 12)");
    }

    @Test
    void aQuotedLineBreakKeepsLaterLineNumbersRight() throws Exception {
        csvSplits("user,item,note\na,x,\"multi\nline\"\nb,y,ok\nb, y,bad\n", "user,item\nb,x\n", "user,item\nb,z\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("train.csv:5");
        csvSplits("user,item\n\"multi\nline\",x\n", "user,item\nb,x\n", "user,item\nb,z\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("train.csv:2")
                .hasMessageContaining("contains a control character");
    }

    @Test
    void integerIdsAreLookedUpOnlyWhenCanonical() {
        IdMapping ids = IdMapping.identity(10);
        assertThat(ids.index("5")).isEqualTo(5);
        assertThat(ids.index("0")).isZero();
        for (String bad : new String[] {"+5", "05", " 5 ", "5 ", "-0", "5.0", "", "10", "99999999999"}) {
            assertThat(ids.index(bad)).as(bad).isEqualTo(-1);
        }
    }

    // ---- I/O errors ----

    @Test
    void ioFailuresSayWhatFailedAndWhy() throws Exception {
        assertThat(DataFiles.failure(Path.of("/x/y.npy"), "read", new AccessDeniedException("/x/y.npy")).getMessage())
                .isEqualTo("cannot read /x/y.npy: permission denied");
        assertThat(DataFiles.failure(Path.of("/x"), "write",
                new java.nio.file.FileSystemException("/x", null, "No space left on device")).getMessage())
                .isEqualTo("cannot write /x: no space left on device");
        Path sub = Files.createDirectory(dir.resolve("image_feat.npy"));
        assertThatThrownBy(() -> NpyIO.read(sub)).hasMessageContaining("not a regular file (a directory)");
        assertThatThrownBy(() -> NpyIO.read(dir.resolve("none.npy"))).hasMessageContaining("none.npy: missing (no such file)");
    }
}
