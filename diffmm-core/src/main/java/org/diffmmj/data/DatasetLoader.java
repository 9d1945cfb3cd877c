package org.diffmmj.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a dataset directory in any supported format, detected from its files or named. */
public final class DatasetLoader {

    private DatasetLoader() {
    }

    public static Dataset load(Path dir) throws IOException {
        return load(dir, DataFormat.detect(dir));
    }

    public static Dataset load(Path dir, DataFormat format) throws IOException {
        return load(dir, format, ',');
    }

    /** As {@link #load(Path, DataFormat)}, with the field delimiter of CSV files (the csv format only). */
    public static Dataset load(Path dir, DataFormat format, char csvDelimiter) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DataFormatException(dir + (Files.exists(dir) ? ": not a directory" : ": no such directory"));
        }
        return switch (format) {
            case AUTHORS -> AuthorsFormat.read(dir);
            case MMREC -> MmrecFormat.read(dir);
            case CSV -> CsvFormat.read(dir, csvDelimiter);
        };
    }

    public static void write(Dataset data, Path dir, DataFormat format) throws IOException {
        switch (format) {
            case AUTHORS -> AuthorsFormat.write(data, dir);
            case MMREC -> MmrecFormat.write(data, dir);
            case CSV -> CsvFormat.write(data, dir);
        }
    }
}
