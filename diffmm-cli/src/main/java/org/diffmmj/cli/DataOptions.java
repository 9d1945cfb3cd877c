package org.diffmmj.cli;

import java.io.IOException;
import java.nio.file.Path;

import picocli.CommandLine.Option;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.DefaultData;

/** --data and --format, shared by every command that reads a dataset. */
public final class DataOptions {

    @Option(names = "--data", paramLabel = "DIR",
            description = "Dataset directory (default: the embedded synthetic dataset, generated once into ~/.cache/diffmm-j).")
    Path data;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "authors, mmrec or csv (default: detected from the files).")
    String format;

    @Option(names = "--delimiter", paramLabel = "CHAR",
            description = "Field delimiter of the csv format's files: one character, or tab, comma, semicolon, pipe (default: comma).")
    String delimiter;

    public Dataset load() throws IOException {
        Path dir = data == null ? DefaultData.ensure() : data;
        return load(dir);
    }

    private Dataset load(Path dir) throws IOException {
        DataFormat f = format == null ? DataFormat.detect(dir) : DataFormat.parse(format);
        return DatasetLoader.load(dir, f, delimiter(delimiter, ','));
    }

    /** A --delimiter value: a single character, or tab, comma, semicolon, pipe, space; {@code fallback} when absent. */
    static char delimiter(String value, char fallback) {
        if (value == null) {
            return fallback;
        }
        char c = switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "tab", "\\t", "\t" -> '\t';
            case "comma" -> ',';
            case "semicolon" -> ';';
            case "pipe" -> '|';
            case "space" -> ' ';
            default -> {
                if (value.length() != 1) {
                    throw new IllegalArgumentException("--delimiter must be one character (or tab, comma, semicolon, pipe,"
                            + " space), got '" + value + "'");
                }
                yield value.charAt(0);
            }
        };
        if (c == '"' || c == '\n' || c == '\r') {
            throw new IllegalArgumentException("--delimiter cannot be a quote or a line break");
        }
        return c;
    }

    /** The --data directory, or null when the embedded default is used. */
    public Path given() {
        return data;
    }

    /** Loads the given directory, or, without --data, {@code fallback} (or the default when null). */
    public Dataset loadOr(Path fallback) throws IOException {
        if (data != null || fallback == null) {
            return load();
        }
        return load(fallback);
    }

    public Path directory() throws IOException {
        return data == null ? DefaultData.ensure() : data;
    }
}
