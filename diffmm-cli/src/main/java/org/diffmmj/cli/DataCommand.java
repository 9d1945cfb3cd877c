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
import org.diffmmj.data.SyntheticGenerator;

@Command(name = "data", mixinStandardHelpOptions = true,
        description = "Inspect, generate and convert datasets.",
        subcommands = {DataCommand.Info.class, DataCommand.Synth.class, DataCommand.Convert.class})
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
            description = {"Generate a synthetic multi-modal dataset in the authors' format: planted latent clusters,",
                    "features that carry signal, power-law popularity, some cold items."})
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
            Dataset d = new SyntheticGenerator(users, items, SyntheticGenerator.parseModalities(modalities), seed)
                    .meanInteractions(perUser).generate(String.valueOf(out.toAbsolutePath().normalize().getFileName()));
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

        @Override
        public Integer call() throws Exception {
            Dataset d = from == null ? DatasetLoader.load(data) : DatasetLoader.load(data, DataFormat.parse(from));
            writeFresh(d, out, DataFormat.parse(to), force);
            System.out.println("wrote " + out + " (" + DataFormat.parse(to).lower() + ")");
            return 0;
        }
    }

    /** Writes into a sibling temporary directory, then moves it into place: nothing half-written. */
    static void writeFresh(Dataset d, Path out, DataFormat format, boolean force) throws Exception {
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
