package org.diffmmj.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.DefaultData;
import org.diffmmj.train.RunConfig;

/**
 * Which model to train and how, shared by train and bench: config files and {@code --set}
 * layered over the model's defaults and preset, plus flags for the common settings. An option
 * given on the command line wins over files and {@code --set}.
 */
public final class RunOptions {

    @Option(names = "--model", paramLabel = "NAME",
            description = "Model to train (default: diffmm); ./diffmm models lists them with their keys.")
    String model;

    @Option(names = "--preset", paramLabel = "NAME",
            description = "A dataset preset of the model (DiffMM: tiktok, baby, sports), applied over its defaults.")
    String preset;

    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML file of keys (repeatable; later files win), e.g. a run's config.yaml to rerun it.")
    List<Path> configFiles = new ArrayList<>();

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Sets one key (repeatable), over --config files; e.g. --set temp=0.2 --set dims=1000,200.")
    List<String> assignments = new ArrayList<>();

    @Mixin
    DataOptions dataOptions = new DataOptions();

    @Option(names = "--dim", paramLabel = "D", description = "Embedding size (key dim; default 64).")
    Integer dim;

    @Option(names = "--reg", paramLabel = "W", description = "L2 weight (key reg; default: the model's, see ./diffmm models).")
    String reg;

    @Option(names = "--layers", paramLabel = "L", description = "LightGCN's propagation layers (key layers; default 3).")
    Integer layers;

    @Option(names = "--lr", paramLabel = "RATE", description = "Learning rate of the main Adam optimiser (key lr; default 1e-3).")
    String lr;

    @Option(names = "--batch", paramLabel = "N", description = "Nominal batch size (key batch; default 1024).")
    Integer batch;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; same seed, same numbers (key seed; default 421).")
    Long seed;

    /**
     * The layers in precedence order: files, {@code --set}, then the options given here and
     * {@code extra} (the calling command's own options that were given; nulls are skipped).
     */
    public List<RunConfig.Layer> layers(Map<String, Object> extra) throws IOException {
        List<RunConfig.Layer> out = new ArrayList<>();
        for (Path file : configFiles) {
            out.add(RunConfig.file(file));
        }
        if (!assignments.isEmpty()) {
            out.add(RunConfig.assignments(assignments));
        }
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("model", model);
        flags.put("preset", preset);
        flags.put("data", dataOptions.data == null ? null : dataOptions.data.toString());
        flags.put("format", dataOptions.format);
        flags.put("dim", dim);
        flags.put("reg", reg);
        flags.put("layers", layers);
        flags.put("lr", lr);
        flags.put("batch", batch);
        flags.put("seed", seed);
        flags.putAll(extra);
        flags.values().removeIf(v -> v == null);
        if (!flags.isEmpty()) {
            out.add(new RunConfig.Layer(flags, "command-line option"));
        }
        return out;
    }

    public RunConfig resolve(Map<String, Object> extra) throws IOException {
        return RunConfig.resolve(layers(extra));
    }

    /** The run's dataset: its {@code data} key's directory, or the embedded default. */
    public static Dataset load(RunConfig run) throws IOException {
        Path dir = run.dataPath() == null ? DefaultData.ensure() : run.dataPath();
        return run.format() == null ? DatasetLoader.load(dir) : DatasetLoader.load(dir, DataFormat.parse(run.format()));
    }
}
