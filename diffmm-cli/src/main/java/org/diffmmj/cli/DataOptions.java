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

    public Dataset load() throws IOException {
        Path dir = data == null ? DefaultData.ensure() : data;
        return format == null ? DatasetLoader.load(dir) : DatasetLoader.load(dir, DataFormat.parse(format));
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
        return format == null ? DatasetLoader.load(fallback) : DatasetLoader.load(fallback, DataFormat.parse(format));
    }

    public Path directory() throws IOException {
        return data == null ? DefaultData.ensure() : data;
    }
}
