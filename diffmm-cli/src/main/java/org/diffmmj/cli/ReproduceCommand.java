package org.diffmmj.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.experiment.AblationTable;
import org.diffmmj.experiment.Ablations;
import org.diffmmj.experiment.Durations;
import org.diffmmj.experiment.Estimate;
import org.diffmmj.experiment.MarkedSection;
import org.diffmmj.experiment.PlannedRun;
import org.diffmmj.experiment.ResultTable;
import org.diffmmj.experiment.RunExecutor;
import org.diffmmj.experiment.RunLauncher;
import org.diffmmj.experiment.RunOutcome;
import org.diffmmj.model.Ablation;
import org.diffmmj.model.ModelDefinition;
import org.diffmmj.model.ModelRegistry;
import org.diffmmj.train.RunConfig;
import org.diffmmj.util.AtomicFiles;

@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train every model with every seed and build the results table (Table 1).",
                "Each model trains with its preset named like the data directory (e.g. tiktok) where it has one, "
                        + "then --config files, then --epochs/--patience and the seed.",
                "Runs go to OUT/runs/MODEL/seed-S (train's config.yaml, metrics.json, model.ckpt, plus train.log, "
                        + "per_user_test.json and run.json); then OUT/table.md, table.csv, table.json, table.tex (LaTeX) and table.png: "
                        + "test Recall/NDCG/Precision@K, mean ± sd over seeds, under the validation-selected and the "
                        + "paper's best-test protocol, the best model marked and a Wilcoxon signed-rank test of its "
                        + "lead over the runner-up on the test users' Recall@K.",
                "Rerunning with the same --out continues: finished runs are kept, a half-finished one resumes from "
                        + "its training state.",
                "--ablations diffmm runs the model's ablation study instead of --models: the full model and each "
                        + "variant (its keys over the same preset and --config), every seed, under OUT/runs/VARIANT/seed-S; "
                        + "then the table files above and OUT/ablations.md, ablations.csv, ablations.json: Recall/NDCG@K "
                        + "per variant and its change against the full model."})
public final class ReproduceCommand implements Callable<Integer> {

    /** The seeds, in order: the project's three (README, queue) first. */
    static final long[] SEEDS = {421, 7, 2024, 1, 2, 3, 4, 5, 6, 8};

    @Mixin
    ExperimentOptions options = new ExperimentOptions();

    @Option(names = "--models", paramLabel = "all|A,B", defaultValue = "all",
            description = "Models to run, in the table's order (default: all registered: ${DEFAULT-VALUE}).")
    String models;

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds per model, the first N of 421, 7, 2024, 1, 2, ... "
            + "(default 3; --quick: 2).")
    Integer seeds;

    @Option(names = "--config", paramLabel = "[MODEL=]FILE",
            description = "YAML keys over the preset: FILE for every model, MODEL=FILE for one (repeatable; later wins).")
    List<String> configs = new ArrayList<>();

    @Option(names = "--ablations", paramLabel = "MODEL",
            description = "Run MODEL's ablation study instead of --models (known: diffmm): the full model and every variant.")
    String ablations;

    @Option(names = "--k", paramLabel = "K", defaultValue = "20", description = "Cut-off of the table's metrics (default 20).")
    int k;

    @Option(names = "--no-estimate", description = "Skip the timed epoch per model and the time estimate (--quick skips it).")
    boolean noEstimate;

    @Option(names = "--into", paramLabel = "FILE.md[#NAME]",
            description = "Also write the table (with --ablations: the ablation table) into FILE.md, replacing the lines "
                    + "between <!-- reproduce:NAME:begin --> and <!-- reproduce:NAME:end --> (NAME: results, with "
                    + "--ablations: ablations), headings two levels down to sit under a ## section: how the README's "
                    + "Results are made. Checked before training; written only when every run finished.")
    String into;

    @Option(names = "--reuse", paramLabel = "DIR",
            description = "An earlier reproduce output: a run planned here with exactly the settings of one finished there "
                    + "(its requested.yaml: model, keys, epochs, seed, and data: the same directory or the same content) is "
                    + "copied, not trained (repeatable). E.g. "
                    + "--ablations diffmm --reuse the table's output: the full model's runs are the table's DiffMM runs. "
                    + "Settings are compared, not code: reuse outputs of the code you would run.")
    List<Path> reuse = new ArrayList<>();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<Ablation> variants = null;
        if (ablations != null) {
            if (!"all".equals(models)) {
                throw new IllegalArgumentException("--ablations runs one model's variants; leave out --models");
            }
            variants = Ablations.of(ablations);
        }
        List<String> names = variants != null ? variants.stream().map(Ablation::id).toList()
                : "all".equals(models) ? ModelRegistry.names() : List.of(models.split(","));
        if (variants == null) {
            for (String n : names) {
                ModelRegistry.get(n.trim());
            }
        }
        int seedCount = seeds != null ? seeds : options.quick ? 2 : 3;
        if (seedCount < 1 || seedCount > SEEDS.length) {
            throw new IllegalArgumentException("--seeds must be 1 to " + SEEDS.length);
        }
        List<PlannedRun> runs = variants != null ? planAblations(variants, seedCount)
                : plan(names.stream().map(String::trim).toList(), seedCount);
        RunExecutor.checkReusable(reuse);
        MarkedSection section = into == null ? null : MarkedSection.parse(into, ablations != null ? "ablations" : "results");
        if (section != null) {
            section.check();
        }
        Path out = options.out;
        // One load of the data for the estimate's --reuse lookup and the executor.
        RunExecutor.DataSource data = RunExecutor.DataSource.loadedOnce(options.dataSource());
        RunLauncher launcher = options.launcher();
        int jobs = options.jobs;
        System.out.printf("reproduce: %d %s × %d seeds = %d runs on %s, into %s%n", names.size(),
                variants != null ? ablations + " variants" : "models", seedCount, runs.size(), options.datasetName(), out);
        if (options.dryRun) {
            return options.preview(new RunExecutor(launcher, jobs, System.out, data, null).withReuse(reuse),
                    runs);
        }
        if (!options.quick && !noEstimate) {
            List<PlannedRun> toTrain = new ArrayList<>();
            var fingerprint = RunExecutor.fingerprintOf(data);
            for (PlannedRun r : runs) {
                if (RunExecutor.donor(reuse, r, fingerprint) == null) {
                    toTrain.add(r);
                }
            }
            var timings = Estimate.time(toTrain, out.resolve("timing"), launcher, System.out);
            double left = Estimate.remainingSeconds(toTrain, timings);
            jobs = launcher.parallel() ? Estimate.jobsMemoryAllows(jobs, timings, System.out) : 1;
            System.out.printf("estimate: %s for the runs left, one after another (an upper bound where early stopping ends"
                    + " runs sooner)%s%n", Durations.format(left), jobs > 1 ? String.format(", at best %s with %d jobs"
                    + " (they share %d cores)", Durations.format(left / jobs), jobs,
                    Runtime.getRuntime().availableProcessors()) : "");
        }
        RunExecutor executor = new RunExecutor(launcher, jobs, System.out, data, "recall@" + k)
                .withReuse(reuse);
        List<RunOutcome> outcomes = executor.execute(runs);
        int failed = (int) outcomes.stream().filter(o -> o == null).count();
        String setting = String.format("%s: %d seed%s (%s), %s", options.datasetName(), seedCount,
                seedCount == 1 ? "" : "s",
                seedList(seedCount).stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")),
                epochsText(runs));
        String title = (variants != null ? "Ablation variants of " + ablations + " on " : "Results on ") + setting;
        List<String> args = spec == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        ResultTable table = new ResultTable(title, names, outcomes, k)
                .withCommand("./diffmm " + String.join(" ", args));
        table.write(out);
        String intoMarkdown = table.markdown();
        if (variants != null) {
            AblationTable ablationTable = new AblationTable("Ablation of " + ablations + " on " + setting, ablations,
                    variants, table, k).withCommand("./diffmm " + String.join(" ", args));
            ablationTable.write(out);
            intoMarkdown = ablationTable.markdown();
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("command", "reproduce");
        record.put("args", args);
        record.put("version", RunRecord.version());
        record.put("git_commit", System.getProperty("diffmm.commit", null));
        record.put("models", names);
        if (variants != null) {
            record.put("ablations", ablations);
        }
        record.put("seeds", seedList(seedCount));
        record.put("runs", runs.stream().map(r -> out.relativize(r.dir()).toString()).toList());
        record.put("failed", failed);
        AtomicFiles.write(out.resolve("reproduce.json"), Json.pretty(record).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        System.out.println(table.significanceSentence().replace("**", ""));
        System.out.println("wrote " + out.resolve("table.md") + ", table.csv, table.json, table.tex and table.png"
                + (variants != null ? "; " + out.resolve("ablations.md") + ", ablations.csv and ablations.json" : ""));
        if (section != null && failed == 0) {
            section.replace(intoMarkdown, 2);
            System.out.println("wrote the table into " + section.file() + " between " + section.markers());
        }
        if (failed > 0) {
            if (section != null) {
                System.err.println(section.file() + " not changed: its table would lack the failed runs");
            }
            System.err.println(failed + " run(s) failed; rerun the same command to retry them (finished runs are kept)");
            return 1;
        }
        return 0;
    }

    /** "up to 50 epochs, patience 10" when every model shares them, else each model's. */
    private static String epochsText(List<PlannedRun> runs) {
        Map<String, String> perModel = new LinkedHashMap<>();
        for (PlannedRun r : runs) {
            var t = r.config().training();
            perModel.put(r.model(), t.epochs() + " epochs" + (t.patience() > 0 ? ", patience " + t.patience() : ""));
        }
        if (new java.util.HashSet<>(perModel.values()).size() == 1) {
            return "up to " + perModel.values().iterator().next();
        }
        List<String> parts = new ArrayList<>();
        perModel.forEach((m, e) -> parts.add(m + " up to " + e));
        return String.join("; ", parts);
    }

    private List<Long> seedList(int n) {
        List<Long> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(SEEDS[i]);
        }
        return l;
    }

    private List<PlannedRun> plan(List<String> names, int seedCount) throws java.io.IOException {
        List<PlannedRun> runs = new ArrayList<>();
        for (String name : names) {
            for (int i = 0; i < seedCount; i++) {
                runs.add(planned(name, name, null, SEEDS[i]));
            }
        }
        return runs;
    }

    /** Every variant (rows named by its id) × every seed, each the model's run with the variant's keys. */
    private List<PlannedRun> planAblations(List<Ablation> variants, int seedCount) throws java.io.IOException {
        List<PlannedRun> runs = new ArrayList<>();
        for (Ablation a : variants) {
            for (int i = 0; i < seedCount; i++) {
                runs.add(planned(ablations, a.id(), a, SEEDS[i]));
            }
        }
        return runs;
    }

    /**
     * One run of {@code name} (a model) grouped as {@code row}: defaults, preset, --config files, the
     * ablation variant's keys (if any), then --epochs/--patience, the seed, the model and --data.
     */
    private PlannedRun planned(String name, String row, Ablation variant, long seed) throws java.io.IOException {
        ModelDefinition<?> definition = ModelRegistry.get(name);
        List<RunConfig.Layer> layers = new ArrayList<>();
        layers.add(new RunConfig.Layer(options.runKeys(definition), "reproduce"));
        for (String c : configs) {
            int eq = c.indexOf('=');
            if (eq > 0 && ModelRegistry.contains(c.substring(0, eq))) {
                if (c.substring(0, eq).equals(name)) {
                    layers.add(RunConfig.file(Path.of(c.substring(eq + 1))));
                }
            } else {
                layers.add(RunConfig.file(Path.of(c)));
            }
        }
        if (variant != null && !variant.overrides().isEmpty()) {
            layers.add(new RunConfig.Layer(variant.overrides(), "ablation " + variant.label()));
        }
        Map<String, Object> flags = options.overridingRunKeys(definition);
        flags.put("seed", seed);
        if (options.epochsOrQuick() != null) {
            flags.put("epochs", options.epochsOrQuick());
        }
        if (options.patience != null) {
            flags.put("patience", options.patience);
        }
        layers.add(new RunConfig.Layer(flags, "reproduce option"));
        RunConfig config = RunConfig.resolve(layers);
        return new PlannedRun(row + "/seed-" + seed, row, seed,
                options.out.resolve("runs").resolve(row).resolve("seed-" + seed), config);
    }
}
