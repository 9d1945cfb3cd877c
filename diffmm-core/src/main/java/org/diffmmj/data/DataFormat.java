package org.diffmmj.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/** The on-disk dataset formats. */
public enum DataFormat {
    /** trnMat.pkl / valMat.pkl / tstMat.pkl + {@code <m>_feat.npy} (the DiffMM release). */
    AUTHORS,
    /** {@code <name>.inter} (userID, itemID, x_label) + {@code <m>_feat.npy} (MMRec). */
    MMREC,
    /** train.csv / val.csv / test.csv (user,item) + items.csv + {@code <m>_feat.npy|csv}. */
    CSV;

    public static DataFormat parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown format '" + s + "'; choose authors, mmrec or csv");
        }
    }

    public static DataFormat detect(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DataFormatException(dir + ": not a directory");
        }
        if (AuthorsFormat.looksLike(dir)) {
            return AUTHORS;
        }
        if (Files.isRegularFile(dir.resolve("train.csv"))) {
            return CSV;
        }
        try (Stream<Path> files = Files.list(dir)) {
            if (files.anyMatch(p -> p.getFileName().toString().endsWith(".inter"))) {
                return MMREC;
            }
        } catch (IOException e) {
            throw DataFiles.failure(dir, "list", e);
        }
        throw new DataFormatException(dir + ": cannot tell the format: expected trnMat.pkl (authors), "
                + "a .inter file (mmrec) or train.csv (csv)");
    }

    public String lower() {
        return name().toLowerCase(Locale.ROOT);
    }
}
