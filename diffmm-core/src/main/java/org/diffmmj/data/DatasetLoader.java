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
        if (!Files.isDirectory(dir)) {
            throw new DataFormatException(dir + ": not a directory");
        }
        return switch (format) {
            case AUTHORS -> AuthorsFormat.read(dir);
            case MMREC -> MmrecFormat.read(dir);
            case CSV -> CsvFormat.read(dir);
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
