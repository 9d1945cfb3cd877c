package org.diffmmj.data;

import org.diffmmj.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The DiffMM authors' release format: trnMat.pkl, valMat.pkl, tstMat.pkl (pickled SciPy COO
 * matrices, users × items) and optional {@code <modality>_feat.npy} item features.
 */
public final class AuthorsFormat {

    public static final String TRAIN = "trnMat.pkl";
    public static final String VALIDATION = "valMat.pkl";
    public static final String TEST = "tstMat.pkl";
    private static final String FEATURE_SUFFIX = "_feat.npy";

    private AuthorsFormat() {
    }

    public static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve(TRAIN));
    }

    public static Dataset read(Path dir) throws IOException {
        byte[] trainBytes = readSplit(dir.resolve(TRAIN));
        byte[] validationBytes = readSplit(dir.resolve(VALIDATION));
        byte[] testBytes = readSplit(dir.resolve(TEST));
        // Every user and item row costs the reader memory whether or not it has interactions, so a
        // shape is bounded by the pickles' real size: no more rows or columns than bytes in the three
        // files (plus room for tiny hand-made sets). A released matrix is far inside it (TikTok's
        // 9308×6710 in 1.6 MB); a few kilobytes claiming 2·10⁹ users are refused before allocating.
        long total = (long) trainBytes.length + validationBytes.length + testBytes.length;
        int limit = (int) Math.min(Integer.MAX_VALUE - 1L, total + MIN_DIMENSION_LIMIT);
        SafePickle.Coo train = SafePickle.readCoo(trainBytes, dir.resolve(TRAIN).toString(), limit);
        SafePickle.Coo validation = SafePickle.readCoo(validationBytes, dir.resolve(VALIDATION).toString(), limit);
        SafePickle.Coo test = SafePickle.readCoo(testBytes, dir.resolve(TEST).toString(), limit);
        int users = train.rows();
        int items = train.cols();
        for (SafePickle.Coo split : List.of(validation, test)) {
            if (split.rows() != users || split.cols() != items) {
                throw new DataFormatException(dir + ": splits differ in shape: train " + users + "×" + items
                        + ", other " + split.rows() + "×" + split.cols());
            }
        }
        Map<String, FeatureMatrix> modalities = new LinkedHashMap<>();
        List<Path> featureFiles = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> p.getFileName().toString().endsWith(FEATURE_SUFFIX)).sorted().forEach(featureFiles::add);
        } catch (IOException e) {
            throw DataFiles.failure(dir, "list", e);
        }
        for (Path f : featureFiles) {
            String name = f.getFileName().toString();
            name = name.substring(0, name.length() - FEATURE_SUFFIX.length());
            NpyIO.Matrix m = NpyIO.read(f);
            if (m.rows() != items) {
                throw new DataFormatException(f + ": " + m.rows() + " feature rows, but the interaction matrices have "
                        + items + " items");
            }
            modalities.put(name, new FeatureMatrix(name, m.rows(), m.cols(), m.data()));
        }
        Interactions[] splits = {interactions(dir.resolve(TRAIN), train),
                interactions(dir.resolve(VALIDATION), validation), interactions(dir.resolve(TEST), test)};
        String[] names = {TRAIN, VALIDATION, TEST};
        for (int a = 0; a < 3; a++) {
            for (int b = a + 1; b < 3; b++) {
                int[] common = splits[a].firstCommonPair(splits[b]);
                if (common != null) {
                    throw new DataFormatException(dir.resolve(names[b]) + ": interaction (user " + common[0] + ", item "
                            + common[1] + ") is also in " + names[a] + "; the splits must not overlap");
                }
            }
        }
        Path abs = dir.toAbsolutePath().normalize();
        return new Dataset(abs.getFileName() == null ? abs.toString() : abs.getFileName().toString(),
                splits[0], splits[1], splits[2], modalities, IdMapping.identity(users), IdMapping.identity(items));
    }

    /** Shapes up to this are accepted whatever the files' size (hand-made and test sets). */
    static final int MIN_DIMENSION_LIMIT = 1 << 16;

    private static byte[] readSplit(Path file) throws IOException {
        if (!java.nio.file.Files.exists(file)) {
            throw new DataFormatException(file + ": missing (the authors' format needs " + TRAIN + ", " + VALIDATION
                    + " and " + TEST + ")");
        }
        return DataFiles.readBytes(file);
    }

    private static Interactions interactions(Path file, SafePickle.Coo coo) {
        for (int k = 0; k < coo.data().length; k++) {
            double v = coo.data()[k];
            if (!(v > 0) || !Double.isFinite(v)) {
                throw new DataFormatException(file + ": entry " + k + " (user " + coo.row()[k] + ", item " + coo.col()[k]
                        + ") stores " + v + "; every stored interaction must be a positive finite value (1)");
            }
        }
        try {
            return Interactions.fromPairs(coo.rows(), coo.cols(), coo.row(), coo.col());
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(file + ": " + e.getMessage());
        }
    }

    public static void write(Dataset data, Path dir) throws IOException {
        Files.createDirectories(dir);
        writeSplit(dir.resolve(TRAIN), data.train());
        writeSplit(dir.resolve(VALIDATION), data.validation());
        writeSplit(dir.resolve(TEST), data.test());
        for (FeatureMatrix f : data.modalities().values()) {
            NpyIO.writeFloat32(dir.resolve(f.name() + FEATURE_SUFFIX), f.rows(), f.cols(), f.data());
        }
    }

    private static void writeSplit(Path file, Interactions split) throws IOException {
        double[] ones = new double[split.size()];
        java.util.Arrays.fill(ones, 1.0);
        AtomicFiles.write(file, PickleWriter.coo(split.users(), split.items(), split.pairUsers(),
                split.pairItems(), ones));
    }
}
