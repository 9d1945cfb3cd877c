package org.diffmmj.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.DataFormat;
import org.diffmmj.util.AtomicFiles;
import org.diffmmj.data.DataInfo;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.InteractionLogSplitter;
import org.diffmmj.data.SyntheticGenerator;

@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Inspect, generate and convert datasets.",
        subcommands = {DataCommand.Info.class, DataCommand.Synth.class, DataCommand.Convert.class, DataCommand.Split.class})
public final class DataCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Counts, density, cold users and items, degree quantiles and modalities of a dataset.")
    static final class Info implements Callable<Integer> {
        @Mixin
        DataOptions data;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> info = DataInfo.of(data.load());
            if (json) {
                System.out.println(Json.pretty(info));
            } else {
                info.forEach((k, v) -> System.out.printf("%-22s %s%n", k, forPeople(k, v)));
            }
            return 0;
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = {"Generate a synthetic multi-modal dataset in the authors' format.",
                    "Planted latent clusters, features that carry signal, power-law popularity, some cold items."})
    static final class Synth implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "Output directory (new or empty, unless --force).")
        Path out;
        @Option(names = "--users", defaultValue = "1500", description = "Users (default: ${DEFAULT-VALUE}).")
        int users;
        @Option(names = "--items", defaultValue = "1000", description = "Items (default: ${DEFAULT-VALUE}).")
        int items;
        @Option(names = "--modalities", defaultValue = "image:64,text:32",
                description = "name:dims,... (default: ${DEFAULT-VALUE}).")
        String modalities;
        @Option(names = "--interactions-per-user", defaultValue = "12", description = "Mean interactions per user (default: ${DEFAULT-VALUE}).")
        double perUser;
        @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
        long seed;
        @Option(names = "--force", description = "Write into a non-empty output directory.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            Path name = out.toAbsolutePath().normalize().getFileName();
            Dataset d = new SyntheticGenerator(users, items, SyntheticGenerator.parseModalities(modalities), seed)
                    .meanInteractions(perUser).generate(name == null ? "synthetic" : name.toString());
            writeFresh(d, out, DataFormat.AUTHORS, force);
            System.out.printf("wrote %s: %d users, %d items, %d/%d/%d interactions, modalities %s%n", out, d.users(),
                    d.items(), d.train().size(), d.validation().size(), d.test().size(), modalities);
            return 0;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true,
            description = "Convert a dataset between the authors', MMRec and CSV formats.")
    static final class Convert implements Callable<Integer> {
        @Option(names = "--data", required = true, paramLabel = "DIR", description = "Input directory.")
        Path data;
        @Option(names = "--from", paramLabel = "FORMAT", description = "Input format (default: detected).")
        String from;
        @Option(names = "--to", required = true, paramLabel = "FORMAT", description = "authors, mmrec or csv.")
        String to;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (new or empty).")
        Path out;
        @Option(names = "--force", description = "Write into a non-empty output directory.")
        boolean force;
        @Option(names = "--delimiter", paramLabel = "CHAR",
                description = "Field delimiter of csv input files: one character, or tab, comma, semicolon, pipe (default: comma).")
        String delimiter;

        @Override
        public Integer call() throws Exception {
            DataFormat input = from == null ? DataFormat.detect(data) : DataFormat.parse(from);
            Dataset d = DatasetLoader.load(data, input, DataOptions.delimiter(delimiter, ','));
            writeFresh(d, out, DataFormat.parse(to), force);
            System.out.println("wrote " + out + " (" + DataFormat.parse(to).lower() + ")");
            return 0;
        }
    }

    @Command(name = "split", mixinStandardHelpOptions = true,
            description = {"Split one raw interaction log into the train/validation/test splits the trainer reads.",
                    "The log: CSV/TSV user,item[,rating][,timestamp], a header optional. Minimum rating, one interaction"
                            + " per pair, iterative k-core, then a per-user random, temporal or leave-one-out split"
                            + " (RecBole's rules)."})
    static final class Split implements Callable<Integer> {
        @Option(names = "--input", required = true, paramLabel = "FILE", description = "The interaction log.")
        Path input;
        @Option(names = "--k-core", defaultValue = "0", paramLabel = "N",
                description = "Drop users and items with fewer than N interactions, repeatedly (default: ${DEFAULT-VALUE}, none).")
        int kCore;
        @Option(names = "--min-rating", paramLabel = "R", description = "Keep records rated at least R (needs a rating column).")
        Double minRating;
        @Option(names = "--split", required = true, paramLabel = "HOW", description = "random, temporal or leave-one-out.")
        String split;
        @Option(names = "--ratios", defaultValue = "0.8,0.1,0.1", paramLabel = "T,V,T",
                description = "Train, validation, test shares per user (default: ${DEFAULT-VALUE}; not for leave-one-out).")
        String ratios;
        @Option(names = "--seed", defaultValue = "42", description = "Seed of the random split (default: ${DEFAULT-VALUE}).")
        long seed;
        @Option(names = "--delimiter", paramLabel = "CHAR",
                description = "Field delimiter (default: tab for .tsv/.tab/.inter, comma otherwise).")
        String delimiter;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (new or empty, unless --force).")
        Path out;
        @Option(names = "--format", defaultValue = "csv", paramLabel = "FORMAT",
                description = "authors, mmrec or csv (default: ${DEFAULT-VALUE}, which keeps the original ids).")
        String format;
        @Option(names = "--force", description = "Write into a non-empty output directory.")
        boolean force;
        @Option(names = "--json", description = "Print the statistics as JSON.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            String[] parts = ratios.split(",", -1);
            double[] r = new double[parts.length];
            for (int k = 0; k < parts.length; k++) {
                try {
                    r[k] = Double.parseDouble(parts[k].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--ratios: '" + parts[k] + "' is not a number");
                }
            }
            InteractionLogSplitter.Strategy strategy = InteractionLogSplitter.Strategy.parse(split);
            DataFormat to = DataFormat.parse(format);
            InteractionLogSplitter.Result result = new InteractionLogSplitter().kCore(kCore).minRating(minRating)
                    .strategy(strategy).ratios(r).seed(seed)
                    .delimiter(delimiter == null ? null : DataOptions.delimiter(delimiter, ',')).split(input);
            writeFresh(result.dataset(), out, to, force);
            if (to != DataFormat.CSV) {
                writeIdMaps(result.dataset(), out);
            }
            Map<String, Object> stats = result.stats().asMap();
            if (json) {
                System.out.println(Json.pretty(stats));
            } else {
                stats.forEach((k, v) -> System.out.printf("%-24s %s%n", k, forPeople(k, v)));
                System.out.println("wrote " + out + " (" + to.lower() + ")" + (to == DataFormat.CSV ? ""
                        : "; user_ids.csv and item_ids.csv map its indices to the log's ids"));
            }
            return 0;
        }
    }

    /** index,id files beside formats that only speak indices. */
    static void writeIdMaps(Dataset d, Path out) throws java.io.IOException {
        DatasetLoader.writeIdMaps(d, out);
    }

    /** Writes into a sibling temporary directory, then moves it into place: nothing half-written. */
    static void writeFresh(Dataset d, Path out, DataFormat format, boolean force) throws Exception {
        try {
            writeFreshUnchecked(d, out, format, force);
        } catch (java.nio.file.FileSystemException e) {
            String where = e.getFile() == null || Path.of(e.getFile()).equals(out) ? out.toString()
                    : out + " (at " + e.getFile() + ")";
            throw new java.io.IOException("cannot write " + where + ": " + org.diffmmj.data.DataFiles.reason(e), e);
        } catch (java.io.IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("cannot ")) {
                throw e;
            }
            throw org.diffmmj.data.DataFiles.failure(out, "write", e);
        }
    }

    private static void writeFreshUnchecked(Dataset d, Path out, DataFormat format, boolean force) throws Exception {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException(out + " exists and is not a directory");
        }
        if (Files.exists(out)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent() && !force) {
                    throw new IllegalArgumentException(out + " exists and is not empty (use --force to write into it)");
                }
            }
        }
        Path tmp = AtomicFiles.newSiblingDirectory(out);
        try {
            DatasetLoader.write(d, tmp, format);
            if (Files.exists(out)) {
                try (Stream<Path> files = Files.list(tmp)) {
                    for (Path f : files.toList()) {
                        Files.move(f, out.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } else {
                Files.move(tmp, out, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
    }

    /** A value as a person reads it: density in percent, other fractions to four significant digits. */
    static String forPeople(String key, Object v) {
        if (v instanceof Double d) {
            return key.contains("density") ? Text.number(100 * d) + " %" : Text.number(d);
        }
        if (v instanceof Map<?, ?> m) {
            java.util.StringJoiner j = new java.util.StringJoiner(", ", "{", "}");
            m.forEach((k, x) -> j.add(k + "=" + forPeople(String.valueOf(k), x)));
            return j.toString();
        }
        return String.valueOf(v);
    }
}
