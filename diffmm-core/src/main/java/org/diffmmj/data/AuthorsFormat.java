package org.diffmmj.data;

import org.diffmmj.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
        SafePickle.Coo train = readSplit(dir.resolve(TRAIN));
        SafePickle.Coo validation = readSplit(dir.resolve(VALIDATION));
        SafePickle.Coo test = readSplit(dir.resolve(TEST));
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
        return new Dataset(dir.getFileName() == null ? dir.toString() : dir.toAbsolutePath().normalize().getFileName().toString(),
                interactions(dir.resolve(TRAIN), train), interactions(dir.resolve(VALIDATION), validation),
                interactions(dir.resolve(TEST), test), modalities, IdMapping.identity(users), IdMapping.identity(items));
    }

    private static SafePickle.Coo readSplit(Path file) throws IOException {
        try {
            return SafePickle.readCoo(Files.readAllBytes(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new DataFormatException(file + ": missing (the authors' format needs " + TRAIN + ", " + VALIDATION
                    + " and " + TEST + ")");
        }
    }

    private static Interactions interactions(Path file, SafePickle.Coo coo) {
        for (int k = 0; k < coo.data().length; k++) {
            if (coo.data()[k] == 0) {
                throw new DataFormatException(file + ": entry " + k + " stores an explicit zero; expected 1 for every interaction");
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
