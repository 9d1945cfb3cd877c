package org.diffmmj.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataReadersTest {

    @TempDir
    Path dir;

    @Test
    void readsTheReleasedTikTokFiles() throws Exception {
        Dataset d = DatasetLoader.load(TestData.tiktokOrSkip("readsTheReleasedTikTokFiles"));
        assertThat(d.users()).isEqualTo(9308);
        assertThat(d.items()).isEqualTo(6710);
        assertThat(d.train().size()).isEqualTo(59541);
        assertThat(d.validation().size()).isEqualTo(3051);
        assertThat(d.test().size()).isEqualTo(6130);
        assertThat(d.modalities().keySet()).containsExactly("audio", "image");
        assertThat(d.modalities().get("image").cols()).isEqualTo(128);
        assertThat(d.modalities().get("audio").cols()).isEqualTo(128);
        assertThat(DataInfo.of(d)).containsEntry("cold_items", 465).containsEntry("cold_users", 10)
                .containsEntry("cold_users_with_test", 5);
        assertThat(d.train().disjointFrom(d.test())).isTrue();
        assertThat(d.train().disjointFrom(d.validation())).isTrue();
    }

    /** A hand-written pickle: GLOBAL os.system, then REDUCE with ("echo pwned",). */
    private static byte[] maliciousPickle() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x80, 2});
        out.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        out.write('X');
        byte[] cmd = "touch PWNED".getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(new byte[] {(byte) cmd.length, 0, 0, 0});
        out.writeBytes(cmd);
        out.write(0x85);
        out.write('R');
        out.write('.');
        return out.toByteArray();
    }

    @Test
    void aPickleNamingAnotherGlobalIsRefusedWithoutRunningIt() throws Exception {
        Path file = dir.resolve("trnMat.pkl");
        Files.write(file, maliciousPickle());
        assertThatThrownBy(() -> SafePickle.readCoo(Files.readAllBytes(file), file.toString()))
                .isInstanceOf(DataFormatException.class)
                .hasMessageContaining("os.system").hasMessageContaining("trnMat.pkl");
        assertThat(Path.of("PWNED")).doesNotExist();
    }

    @Test
    void cooPicklesRoundTripThroughOurWriter() {
        byte[] bytes = PickleWriter.coo(3, 4, new int[] {0, 2, 2}, new int[] {1, 0, 3}, new double[] {1, 1, 1});
        SafePickle.Coo coo = SafePickle.readCoo(bytes, "x.pkl");
        assertThat(coo.rows()).isEqualTo(3);
        assertThat(coo.cols()).isEqualTo(4);
        assertThat(coo.row()).containsExactly(0, 2, 2);
        assertThat(coo.col()).containsExactly(1, 0, 3);
        assertThat(coo.data()).containsExactly(1, 1, 1);
    }

    @Test
    void aTruncatedPickleNamesTheFile() throws Exception {
        byte[] bytes = PickleWriter.coo(3, 4, new int[] {0, 2, 2}, new int[] {1, 0, 3}, new double[] {1, 1, 1});
        assertThatThrownBy(() -> SafePickle.readCoo(Arrays.copyOf(bytes, bytes.length / 2), "valMat.pkl"))
                .isInstanceOf(DataFormatException.class).hasMessageContaining("valMat.pkl");
    }

    @Test
    void npyRoundTripsAndATruncatedFileNamesTheFile() throws Exception {
        Path f = dir.resolve("image_feat.npy");
        NpyIO.writeFloat32(f, 2, 3, new float[] {1, 2, 3, 4, 5, 6.5f});
        NpyIO.Matrix m = NpyIO.read(f);
        assertThat(m.rows()).isEqualTo(2);
        assertThat(m.data()).containsExactly(1, 2, 3, 4, 5, 6.5f);
        byte[] bytes = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(bytes, bytes.length - 4));
        assertThatThrownBy(() -> NpyIO.read(f)).isInstanceOf(DataFormatException.class)
                .hasMessageContaining("image_feat.npy").hasMessageContaining("truncated");
    }

    @Test
    void nonFiniteFeaturesAreRefusedWithTheirPosition() throws Exception {
        Path f = dir.resolve("text_feat.npy");
        NpyIO.writeFloat32(f, 2, 2, new float[] {1, 2, Float.NaN, 4});
        assertThatThrownBy(() -> NpyIO.read(f)).hasMessageContaining("text_feat.npy").hasMessageContaining("row 1, column 0");
    }

    @Test
    void float16FeaturesDecode() {
        // 0x3C00 = 1.0, 0xC000 = -2.0, 0x3555 ≈ 0.33325, 0x0001 = 2^-24 (subnormal).
        assertThat(SafePickle.Half.toFloat((short) 0x3C00)).isEqualTo(1f);
        assertThat(SafePickle.Half.toFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(SafePickle.Half.toFloat((short) 0x3555)).isEqualTo(0.33325195f);
        assertThat(SafePickle.Half.toFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
    }

    @Test
    void convertingBetweenAllFormatsKeepsInteractionsAndFeatures() throws Exception {
        Dataset original = TestData.synthetic(60, 40, 3);
        for (DataFormat format : DataFormat.values()) {
            Path out = dir.resolve(format.lower());
            DatasetLoader.write(original, out, format);
            Dataset back = DatasetLoader.load(out);
            assertThat(DataFormat.detect(out)).isEqualTo(format);
            assertSame(original, back);
        }
    }

    @Test
    void tiktokConvertsToMmrecAndCsvAndBack() throws Exception {
        Dataset tiktok = DatasetLoader.load(TestData.tiktokOrSkip("tiktokConvertsToMmrecAndCsvAndBack"));
        for (DataFormat format : new DataFormat[] {DataFormat.MMREC, DataFormat.CSV}) {
            Path out = dir.resolve(format.lower());
            DatasetLoader.write(tiktok, out, format);
            Path again = dir.resolve(format.lower() + "-authors");
            DatasetLoader.write(DatasetLoader.load(out), again, DataFormat.AUTHORS);
            assertSame(tiktok, DatasetLoader.load(again));
        }
    }

    private static void assertSame(Dataset a, Dataset b) {
        assertThat(b.users()).isEqualTo(a.users());
        assertThat(b.items()).isEqualTo(a.items());
        assertThat(b.train()).isEqualTo(a.train());
        assertThat(b.validation()).isEqualTo(a.validation());
        assertThat(b.test()).isEqualTo(a.test());
        assertThat(b.modalities().keySet()).containsExactlyInAnyOrderElementsOf(a.modalities().keySet());
        for (String m : a.modalities().keySet()) {
            float[] x = a.modalities().get(m).data();
            float[] y = b.modalities().get(m).data();
            assertThat(Arrays.mismatch(x, y)).as("first differing feature value of %s", m).isEqualTo(-1);
        }
        assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
    }

    private static void write(Path file, String text) throws Exception {
        Files.writeString(file, text);
    }

    @Test
    void csvBadInputsNameFileAndLine() throws Exception {
        write(dir.resolve("train.csv"), "user,item\na,x\nb,y\na,x\n");
        write(dir.resolve("val.csv"), "user,item\na,y\n");
        write(dir.resolve("test.csv"), "user,item\nb,x\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("train.csv:4")
                .hasMessageContaining("duplicate interaction");
        write(dir.resolve("train.csv"), "user,item\na,x\nb,y\n");
        write(dir.resolve("test.csv"), "user,item\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("test.csv").hasMessageContaining("no interactions");
        write(dir.resolve("test.csv"), "user,item\nb,x\n");
        write(dir.resolve("items.csv"), "item\nx\ny\n");
        write(dir.resolve("image_feat.csv"), "1,2\n3\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("image_feat.csv:2");
        write(dir.resolve("image_feat.csv"), "1,2\n3,4\n5,6\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("3 feature rows, items.csv lists 2");
        write(dir.resolve("image_feat.csv"), "1,2\n3,4\n");
        Dataset ok = DatasetLoader.load(dir);
        assertThat(ok.userIds().externalId(0)).isEqualTo("a");
        assertThat(ok.itemIds().index("y")).isEqualTo(1);
    }

    @Test
    void mmrecBadLabelsAndFeatureShapesAreRefused() throws Exception {
        write(dir.resolve("x.inter"), "userID\titemID\tx_label\n0\t0\t0\n1\t1\t3\n");
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("x.inter:3").hasMessageContaining("x_label");
        write(dir.resolve("x.inter"), "userID\titemID\tx_label\n0\t0\t0\n1\t1\t1\n1\t2\t2\n");
        NpyIO.writeFloat32(dir.resolve("image_feat.npy"), 2, 2, new float[] {1, 2, 3, 4});
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("image_feat.npy").hasMessageContaining("item 2");
    }

    @Test
    void authorsFormatShapeMismatchBetweenInteractionsAndFeatures() throws Exception {
        Dataset d = TestData.synthetic(40, 30, 1);
        AuthorsFormat.write(d, dir);
        NpyIO.writeFloat32(dir.resolve("image_feat.npy"), 29, 2, new float[58]);
        assertThatThrownBy(() -> DatasetLoader.load(dir)).hasMessageContaining("image_feat.npy")
                .hasMessageContaining("29 feature rows").hasMessageContaining("30 items");
    }

    @Test
    void interactionsRefuseOutOfRangeAndDuplicates() {
        assertThatThrownBy(() -> Interactions.fromPairs(2, 2, new int[] {0, 2}, new int[] {0, 0}))
                .hasMessageContaining("user index 2");
        assertThatThrownBy(() -> Interactions.fromPairs(2, 2, new int[] {1, 1}, new int[] {0, 0}))
                .hasMessageContaining("duplicate interaction (user 1, item 0)");
    }

    @Test
    void syntheticDataIsDeterministicAndHasColdItems() {
        Dataset a = TestData.synthetic(200, 100, 9);
        Dataset b = TestData.synthetic(200, 100, 9);
        assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
        assertThat((Integer) DataInfo.of(a).get("cold_items")).isGreaterThan(0);
        assertThat(a.train().disjointFrom(a.test())).isTrue();
        assertThat(a.train().disjointFrom(a.validation())).isTrue();
    }
}
