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

    /**
     * {@code user_ids.csv} and {@code item_ids.csv} (index,id; ids quoted where CSV needs it) in
     * dir, beside formats that speak only indices (what {@code data split} and {@code data
     * convert} write), each written atomically.
     */
    public static void writeIdMaps(Dataset d, Path dir) throws IOException {
        for (String kind : new String[] {"user", "item"}) {
            IdMapping ids = kind.equals("user") ? d.userIds() : d.itemIds();
            StringBuilder sb = new StringBuilder("index," + kind + "\n");
            for (int k = 0; k < ids.size(); k++) {
                String id = ids.externalId(k);
                boolean quote = id.indexOf(',') >= 0 || id.indexOf('"') >= 0 || id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0
                        || !id.equals(id.strip());
                sb.append(k).append(',').append(quote ? '"' + id.replace("\"", "\"\"") + '"' : id).append('\n');
            }
            Path file = dir.resolve(kind + "_ids.csv");
            try {
                org.diffmmj.util.AtomicFiles.write(file, sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw DataFiles.failure(file, "write", e);
            }
        }
    }
}
