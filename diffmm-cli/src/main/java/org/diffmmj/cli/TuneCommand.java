package org.diffmmj.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.config.YamlFiles;
import org.diffmmj.experiment.Durations;
import org.diffmmj.experiment.PlannedRun;
import org.diffmmj.experiment.RunExecutor;
import org.diffmmj.experiment.RunFiles;
import org.diffmmj.experiment.RunOutcome;
import org.diffmmj.experiment.SearchSpace;
import org.diffmmj.experiment.TuneReport;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;
import org.diffmmj.train.RunConfig;
import org.diffmmj.util.AtomicFiles;

@Command(name = "tune", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search hyperparameters on validation: grid or random search over a YAML space, each trial a train "
                + "run with early stopping on the validation metric.",
                "Space: KEY: [v1, v2] (a list, MMRec-style), KEY: {min: A, max: B, log: true, int: false} (a range; random "
                        + "search), or KEY: v (fixed). Keys are any model or training keys (lr, reg, layers, ...).",
                "Trials go to OUT/trials/trial-NNN; the best by validation (never test) is written as OUT/config.yaml, "
                        + "ready for 'train --config'; OUT/trials.csv, trials.md and trials.png list and plot them.",
                "Rerunning with the same --out continues: finished trials are kept, a half-finished one resumes."})
public final class TuneCommand implements Callable<Integer> {

    /** The space --quick searches when none is given: a learning rate too small to learn against a working one. */
    static final String QUICK_SPACE = "lr: [1.0e-9, 1.0e-2]\n";

    @Mixin
    ExperimentOptions options = new ExperimentOptions();

    @Option(names = "--model", paramLabel = "NAME", description = "Model to tune (--quick: mf-bpr).")
    String model;

    @Option(names = "--space", paramLabel = "FILE.yaml", description = "The search space (default: the model's built-in "
            + "one, docs/spaces/MODEL.yaml, where it has one; --quick: " + "lr: [1.0e-9, 1.0e-2]).")
    Path space;

    @Option(names = "--config", paramLabel = "FILE", description = "Base keys under the space (repeatable).")
    List<Path> configs = new ArrayList<>();

    @Option(names = "--search", paramLabel = "grid|random",
            description = "grid: every combination of the lists; random: --trials draws (default: grid when the space has "
                    + "only lists, else random).")
    String search;

    @Option(names = "--trials", paramLabel = "N",
            description = "Random search: trials to draw (default 20). Grid: at most N of its points, in order.")
    Integer trials;

    @Option(names = "--budget", paramLabel = "TIME",
            description = "Start no trial after this much training time (e.g. 2h, 45m; counted over reruns too).")
    String budget;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "421", description = "Training seed of every trial (default 421).")
    long seed;

    @Option(names = "--search-seed", paramLabel = "S", defaultValue = "1", description = "Seed of the random draws (default 1).")
    long searchSeed;

    @Override
    public Integer call() throws Exception {
        String name = model != null ? model : options.quick ? "mf-bpr" : null;
        if (name == null) {
            throw new IllegalArgumentException("--model is required (or --quick)");
        }
        ModelDefinition<?> definition = ModelRegistry.get(name);
        String shipped = space == null && !options.quick ? SearchSpace.builtIn(name) : null;
        if (space == null && !options.quick && shipped == null) {
            throw new IllegalArgumentException("--space is required for " + name + ": no built-in search space for it "
                    + "(built in: " + String.join(", ", SearchSpace.builtInModels()) + "; or --quick)");
        }
        Path out = options.out;
        if (!options.dryRun) {
            Files.createDirectories(out);
        }
        SearchSpace searchSpace;
        if (space != null) {
            searchSpace = SearchSpace.read(space);
        } else {
            String text = shipped != null ? shipped : QUICK_SPACE;
            searchSpace = SearchSpace.parse(YamlFiles.parse(text, "the built-in space"), "the built-in space");
            if (!options.dryRun) {
                // The space tuned over is kept with the output, as a --space file would be named in its command.
                Path written = out.resolve("space.yaml");
                Files.writeString(written, text);
                if (shipped != null) {
                    System.out.println("space: the built-in one for " + name + " (docs/spaces/" + name
                            + ".yaml), copied to " + written + "; --space FILE to choose another");
                }
            }
        }
        String mode = search != null ? search : searchSpace.hasRanges() ? "random" : "grid";
        List<Map<String, Object>> points = switch (mode) {
            case "grid" -> {
                List<Map<String, Object>> g = searchSpace.grid();
                yield trials == null || trials >= g.size() ? g : g.subList(0, trials);
            }
            case "random" -> searchSpace.random(trials == null ? 20 : trials, searchSeed);
            default -> throw new IllegalArgumentException("--search is grid or random, got " + mode);
        };
        int patience = options.patience != null ? options.patience : options.quick ? 2 : 10;
        List<PlannedRun> runs = new ArrayList<>();
        List<TuneReport.Trial> planned = new ArrayList<>();
        for (int i = 0; i < points.size(); i++) {
            String id = String.format("trial-%03d", i + 1);
            Path dir = out.resolve("trials").resolve(id);
            List<RunConfig.Layer> layers = new ArrayList<>();
            layers.add(new RunConfig.Layer(options.runKeys(definition), "tune"));
            for (Path c : configs) {
                layers.add(RunConfig.file(c));
            }
            Map<String, Object> flags = options.overridingRunKeys(definition);
            flags.put("seed", seed);
            flags.put("patience", patience);
            if (options.epochsOrQuick() != null) {
                flags.put("epochs", options.epochsOrQuick());
            }
            layers.add(new RunConfig.Layer(flags, "tune option"));
            layers.add(new RunConfig.Layer(points.get(i), "search space, " + id));
            PlannedRun run = new PlannedRun(id, name, seed, dir, RunConfig.resolve(layers));
            runs.add(run);
            planned.add(new TuneReport.Trial(run, points.get(i), null));
        }
        String metric = runs.get(0).config().training().selectionMetric();
        System.out.printf("tune: %s, %s search, %d trials on %s (validation %s, patience %d), into %s%n", name, mode,
                runs.size(), options.datasetName(), metric, patience, out);
        RunExecutor executor = new RunExecutor(options.launcher(), options.jobs, System.out, options.dataSource(), null);
        if (options.dryRun) {
            return options.preview(executor, runs);
        }
        if (budget != null) {
            double spent = 0;
            for (PlannedRun r : runs) {
                if (Files.exists(r.dir().resolve(RunFiles.MARKER))) {
                    spent += RunFiles.outcome(r).wallSeconds();
                }
            }
            double total = Durations.parse(budget);
            System.out.printf("budget %s, %s spent by earlier invocations%n", Durations.format(total), Durations.format(spent));
            executor.withBudget(total - spent);
        }
        List<RunOutcome> outcomes = executor.execute(runs);
        List<TuneReport.Trial> done = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            done.add(new TuneReport.Trial(runs.get(i), points.get(i), outcomes.get(i)));
        }
        TuneReport report = new TuneReport(done, searchSpace.keys(), metric);
        report.write(out);
        TuneReport.Trial best = report.best();
        if (best == null) {
            System.err.println("no trial finished");
            return 1;
        }
        String header = String.format(Locale.ROOT, "# tune: %s, best of %d trials by validation %s = %.6f (%s: %s)%n"
                        + "# test %s at that epoch, reported only: %.6f%n", name, runs.size(), metric,
                best.outcome().valAtBestVal().get(metric), best.run().id(), best.values(), metric,
                best.outcome().testAtBestVal().getOrDefault(metric, Double.NaN));
        AtomicFiles.write(out.resolve(RunConfig.FILE_NAME), (header + Files.readString(best.run().dir()
                .resolve(RunConfig.FILE_NAME), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
        System.out.printf(Locale.ROOT, "best: %s %s: validation %s %.4f (epoch %d); test %s there %.4f (reported, not used"
                        + " to choose)%n", best.run().id(), best.values(), metric, best.outcome().valAtBestVal().get(metric),
                best.outcome().bestValEpoch(), metric, best.outcome().testAtBestVal().getOrDefault(metric, Double.NaN));
        System.out.println("wrote " + out.resolve(RunConfig.FILE_NAME) + " (train --config reruns it), "
                + out.resolve("trials.csv") + ", trials.md and trials.png");
        return outcomes.stream().anyMatch(o -> o == null) ? 1 : 0;
    }
}
