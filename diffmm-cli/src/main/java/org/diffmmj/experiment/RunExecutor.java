package org.diffmmj.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.diffmmj.data.Dataset;
import org.diffmmj.eval.Evaluator;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.io.SavedModel;
import org.diffmmj.io.TrainingState;
import org.diffmmj.train.RunConfig;
import org.diffmmj.util.AtomicFiles;
import org.diffmmj.util.RunLock;

/**
 * Runs an experiment's planned runs through {@code train} (the one training loop, called through a
 * {@link RunLauncher}), each in its own directory, {@code jobs} at a time, and records each as it
 * finishes. A run already recorded is not redone; one whose training ended but was not recorded is
 * only recorded; one stopped part-way resumes from its training state ({@code train --resume});
 * anything else trains from the start. Recording a run evaluates its validation-selected model
 * ({@code model.ckpt}) once more, user by user, for paired significance tests; those evaluations go
 * one at a time, so at most one model is rebuilt in this process however many jobs run.
 */
public final class RunExecutor {

    /** Supplies the dataset the runs train on, for plan comparison and the per-user evaluation. */
    public interface DataSource {
        Dataset load() throws IOException;

        /**
         * {@code source}, loaded on the first call and kept: the estimate's {@code --reuse} lookup and
         * the executor can share one load.
         */
        static DataSource loadedOnce(DataSource source) {
            return new DataSource() {
                private Dataset dataset;

                @Override
                public synchronized Dataset load() throws IOException {
                    if (dataset == null) {
                        dataset = source.load();
                    }
                    return dataset;
                }
            };
        }
    }

    private final RunLauncher launcher;
    private final int jobs;
    private final PrintStream progress;
    private final DataSource data;
    private final String perUserMetric;
    private final Object evaluationLock = new Object();
    private double budgetSeconds = Double.POSITIVE_INFINITY;
    private List<Path> reuseFrom = List.of();
    private final Map<Path, String> notes = new java.util.concurrent.ConcurrentHashMap<>();
    private long started;
    private ScheduledExecutorService poller;
    private static final long EPOCH_POLL_MS = 2000;

    /**
     * @param data the runs' data, loaded once here on first use (pass a {@link DataSource#loadedOnce}
     *             source to share that load with other callers)
     * @param perUserMetric the metric recorded per test user (e.g. recall@20), or null for none
     */
    public RunExecutor(RunLauncher launcher, int jobs, PrintStream progress, DataSource data, String perUserMetric) {
        this.launcher = launcher;
        this.jobs = launcher.parallel() ? Math.max(1, jobs) : 1;
        this.progress = progress;
        this.data = DataSource.loadedOnce(data);
        this.perUserMetric = perUserMetric;
    }

    /** No run starts once this many seconds have passed (runs already going finish). */
    public RunExecutor withBudget(double seconds) {
        this.budgetSeconds = seconds;
        return this;
    }

    /**
     * Before training a run from the start, look in these earlier outputs (their {@code runs/*\/seed-S})
     * for a finished run planned with exactly the same settings ({@code requested.yaml} equal: model,
     * every key, data, epochs, seed) and copy it instead: a DiffMM ablation study's full model is the
     * results table's DiffMM run, hours of training that need not be done twice. Settings only: the
     * code that trained it is the donor's.
     */
    public RunExecutor withReuse(List<Path> outputs) {
        checkReusable(outputs);
        this.reuseFrom = List.copyOf(outputs);
        return this;
    }

    /** Refuses a reuse directory that is not an experiment output, before any time is spent. */
    public static void checkReusable(List<Path> outputs) {
        for (Path o : outputs) {
            if (!Files.isDirectory(o.resolve("runs"))) {
                throw new IllegalArgumentException(o + ": not an experiment output (no runs/ directory in it)");
            }
        }
    }

    public int jobs() {
        return jobs;
    }

    /**
     * Runs what is left of {@code runs}; returns their outcomes in order, null for a run that
     * failed or was not started within the budget.
     */
    public List<RunOutcome> execute(List<PlannedRun> runs) throws IOException, InterruptedException {
        for (PlannedRun run : runs) {
            prepare(run);
        }
        started = System.nanoTime();
        AtomicInteger done = new AtomicInteger();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "experiment-epochs");
            t.setDaemon(true);
            return t;
        });
        ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
            Thread t = new Thread(r, "experiment-run");
            t.setDaemon(true);
            return t;
        });
        List<Future<RunOutcome>> futures = new ArrayList<>();
        try {
            for (PlannedRun run : runs) {
                futures.add(pool.submit(() -> runOne(run, done, runs.size())));
            }
            List<RunOutcome> out = new ArrayList<>();
            for (Future<RunOutcome> f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
            poller.shutdownNow();
        }
    }

    /**
     * What {@link #execute} would do with the runs: a line for each; how many it would train, refuse,
     * or find in training by another process now (which its own attempt would fail on).
     */
    public record Preview(List<String> lines, int toTrain, int refused, int busy) {
    }

    /**
     * What {@link #execute} would do with each run, changing nothing (no directory made, no file
     * written): finished, copied from a reused output, only recorded, resumed, trained from the
     * start, or refused because its directory was planned otherwise (every such run is named, where
     * {@code execute} stops at the first).
     */
    public Preview preview(List<PlannedRun> runs) throws IOException {
        List<String> lines = new ArrayList<>();
        int toTrain = 0;
        int refused = 0;
        int busy = 0;
        for (PlannedRun run : runs) {
            Path dir = run.dir();
            String what;
            RecordedPlan.Match match = Files.exists(dir.resolve(RunFiles.REQUESTED))
                    ? RecordedPlan.compare(dir, run.config(), this::dataFingerprint) : null;
            if (match != null && !match.same()) {
                what = "REFUSED: its directory holds a run planned with other settings (" + match.difference() + ")";
                refused++;
            } else if (!Files.exists(dir.resolve(RunFiles.MARKER)) && RunLock.isHeld(dir)) {
                what = "being trained now by another process (it holds the run's lock)";
                busy++;
            } else {
                RunFiles.Stage stage = RunFiles.stage(dir, run.config().training());
                Path donor = stage == RunFiles.Stage.FRESH ? donor(reuseFrom, run, this::dataFingerprint) : null;
                switch (stage) {
                    case FINISHED -> what = "finished, not redone" + (match == null || match.note() == null ? "" : " (" + match.note() + ")")
                            + ": " + summary(RunFiles.outcome(run));
                    case TRAINED -> what = "trained, to be recorded (its per-user test metric)";
                    case PARTIAL -> {
                        what = "to resume after epoch " + TrainingState.lastEpoch(dir.resolve(TrainingState.FILE_NAME))
                                + " (of " + run.config().training().epochs() + ")";
                        toTrain++;
                    }
                    default -> {
                        if (donor != null) {
                            what = "to be copied from " + donor;
                        } else {
                            what = "to train from the start (" + run.config().training().epochs() + " epochs)";
                            toTrain++;
                        }
                    }
                }
            }
            lines.add(String.format("%s (%s, seed %d) %s", run.id(), run.model(), run.seed(), what));
        }
        return new Preview(lines, toTrain, refused, busy);
    }

    /**
     * Writes the planned config beside the run, refusing a directory that holds a run planned
     * otherwise (a changed --epochs, model key or data would silently mix two experiments); see
     * {@link RecordedPlan} for a finished run whose data lay at another path.
     */
    private void prepare(PlannedRun run) throws IOException {
        Files.createDirectories(run.dir());
        Path requested = run.dir().resolve(RunFiles.REQUESTED);
        if (Files.exists(requested)) {
            RecordedPlan.Match match = RecordedPlan.compare(run.dir(), run.config(), this::dataFingerprint);
            if (!match.same()) {
                throw new IllegalArgumentException(run.dir() + " holds a run planned with other settings ("
                        + match.difference() + "); use another --out, or delete that directory to redo it");
            }
            if (match.note() != null) {
                notes.put(run.dir(), match.note());
            }
        } else {
            AtomicFiles.write(requested, run.config().toYaml().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The fingerprint of the data the runs are given, loading it on first use. */
    private String dataFingerprint() {
        return fingerprintOf(data).get();
    }

    /** {@code data}'s fingerprint, read when asked (for {@link #donor} outside an executor). */
    public static Supplier<String> fingerprintOf(DataSource data) {
        return () -> {
            try {
                return data.load().fingerprint();
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        };
    }

    /** One run; a failure (a crashed train, an unreadable file) is reported and leaves the others going. */
    private RunOutcome runOne(PlannedRun run, AtomicInteger done, int total) throws InterruptedException {
        try {
            return attempt(run, done, total);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            line(done.incrementAndGet(), total, run, "FAILED: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return null;
        }
    }

    private RunOutcome attempt(PlannedRun run, AtomicInteger done, int total) throws Exception {
        Path dir = run.dir();
        RunConfig config = run.config();
        RunFiles.Stage stage = RunFiles.stage(dir, config.training());
        if (stage == RunFiles.Stage.FINISHED) {
            RunOutcome o = RunFiles.outcome(run);
            String note = notes.get(dir);
            line(done.incrementAndGet(), total, run, "already finished, not redone" + (note == null ? "" : " (" + note + ")")
                    + ": " + summary(o));
            return o;
        }
        Path donor = donor(reuseFrom, run, this::dataFingerprint);
        if (donor != null) {
            copyFinished(donor, run);
            RunOutcome o = RunFiles.outcome(run);
            line(done.incrementAndGet(), total, run, "reused from " + donor + ": " + summary(o));
            return o;
        }
        double[] before = RunFiles.epochsAndSeconds(dir);
        double seconds = before[1];
        if (stage != RunFiles.Stage.TRAINED) {
            if ((System.nanoTime() - started) / 1e9 > budgetSeconds) {
                line(done.incrementAndGet(), total, run, "not started: the time budget is spent");
                return null;
            }
            List<String> args = new ArrayList<>();
            args.add("train");
            int trained = 0;
            if (stage == RunFiles.Stage.PARTIAL) {
                trained = TrainingState.lastEpoch(dir.resolve(TrainingState.FILE_NAME)) + 1;
                args.addAll(List.of("--resume", dir.toString()));
                if (trained < config.training().epochs()) {
                    args.addAll(List.of("--epochs", Integer.toString(config.training().epochs())));
                }
                startLine(run, "resuming after epoch " + (trained - 1));
            } else {
                args.addAll(List.of("--config", dir.resolve(RunFiles.REQUESTED).toString(), "--out", dir.toString(),
                        "--force"));
                // Epoch seconds of a run that never left a training state were lost with it.
                seconds = 0;
                // train --force clears it too, but only once its JVM is up: not to be told as this run's.
                Files.deleteIfExists(dir.resolve(RunFiles.EPOCHS));
                startLine(run, "started");
            }
            args.add("--no-progress");
            EpochLines epochs = new EpochLines(dir.resolve(RunFiles.EPOCHS), config.training().epochs(),
                    config.training().selectionMetric(), trained, s -> startLine(run, s));
            var watch = poller.scheduleWithFixedDelay(epochs::poll, EPOCH_POLL_MS, EPOCH_POLL_MS, TimeUnit.MILLISECONDS);
            long t0 = System.nanoTime();
            int rc;
            try {
                rc = launcher.run(args, dir.resolve(RunFiles.LOG));
            } finally {
                watch.cancel(false);
            }
            epochs.poll();
            seconds += (System.nanoTime() - t0) / 1e9;
            if (rc != 0 || RunFiles.stage(dir, config.training()) != RunFiles.Stage.TRAINED) {
                line(done.incrementAndGet(), total, run, "FAILED (exit status " + rc + "; see " + dir.resolve(RunFiles.LOG)
                        + ")");
                return null;
            }
        }
        record(run, seconds);
        RunOutcome o = RunFiles.outcome(run);
        line(done.incrementAndGet(), total, run, (stage == RunFiles.Stage.TRAINED ? "recorded: " : "finished: ")
                + summary(o));
        return o;
    }

    /**
     * A finished run of {@code outputs} planned exactly as {@code run} (its {@code requested.yaml}
     * the same plan as {@code run}'s, by {@link RecordedPlan}; {@code fingerprint}: the data's given
     * now), or null; null too when {@code run} has started here (a run with files of its own is
     * resumed or recorded, never replaced).
     */
    public static Path donor(List<Path> outputs, PlannedRun run, Supplier<String> fingerprint) throws IOException {
        if (RunFiles.stage(run.dir(), run.config().training()) != RunFiles.Stage.FRESH) {
            return null;
        }
        for (Path output : outputs) {
            List<Path> rows;
            try (var list = Files.list(output.resolve("runs"))) {
                rows = list.sorted().toList();
            }
            for (Path row : rows) {
                Path candidate = row.resolve("seed-" + run.seed());
                if (Files.exists(candidate.resolve(RunFiles.MARKER))
                        && Files.isRegularFile(candidate.resolve(RunFiles.REQUESTED))
                        && RecordedPlan.compare(candidate, run.config(), fingerprint).same()
                        && !candidate.toAbsolutePath().normalize().equals(run.dir().toAbsolutePath().normalize())) {
                    return candidate;
                }
            }
        }
        return null;
    }

    /**
     * Copies a finished run's files (each to a temporary name, then renamed), its marker last and
     * naming the donor, so that an interrupted copy is never taken for a finished run.
     */
    private static void copyFinished(Path donor, PlannedRun run) throws IOException {
        Path dir = run.dir();
        List<Path> files;
        try (var list = Files.list(donor)) {
            files = list.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            if (name.equals(RunFiles.MARKER) || name.equals(RunFiles.REQUESTED) || name.startsWith(".")) {
                continue;
            }
            Path tmp = dir.resolve("." + name + ".copy");
            Files.copy(f, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        Map<String, Object> marker = new LinkedHashMap<>(RunFiles.readMap(donor.resolve(RunFiles.MARKER)));
        marker.put("id", run.id());
        marker.put("reused_from", donor.toAbsolutePath().normalize().toString());
        RunFiles.writeJson(dir.resolve(RunFiles.MARKER), marker);
    }

    /** Per-user test metric of the validation-selected model, then the marker. */
    private void record(PlannedRun run, double wallSeconds) throws IOException {
        Path dir = run.dir();
        Map<String, Object> metrics = RunFiles.readMap(dir.resolve(RunFiles.METRICS));
        if (perUserMetric != null) {
            Map<String, Object> perUser = new LinkedHashMap<>();
            synchronized (evaluationLock) {
                try (SavedModel saved = SavedModel.load(dir)) {
                    int k = Integer.parseInt(perUserMetric.substring(perUserMetric.indexOf('@') + 1));
                    Dataset d = data.load();
                    ScoreSource scorer = saved.scorer(d);
                    double[] values;
                    try {
                        values = new Evaluator(k).perUser(scorer, d.train(), d.test(), perUserMetric);
                    } finally {
                        if (!saved.hasEmbeddings()) {
                            scorer.close();
                        }
                    }
                    perUser.put("metric", perUserMetric);
                    perUser.put("split", "test");
                    perUser.put("checkpoint_epoch", saved.header().get("epoch"));
                    perUser.put("mean", java.util.Arrays.stream(values).average().orElse(0));
                    perUser.put("users", RunFiles.list(d.test().usersWithInteractions()));
                    perUser.put("values", values);
                }
            }
            RunFiles.writeJson(dir.resolve(RunFiles.PER_USER), perUser);
        }
        Map<String, Object> marker = new LinkedHashMap<>();
        marker.put("id", run.id());
        marker.put("model", run.model());
        marker.put("seed", run.seed());
        marker.put("status", "finished");
        marker.put("finished", Instant.now().toString());
        marker.put("wall_seconds", wallSeconds);
        marker.put("wall_seconds_note", "this invocation's wall time of the train process, plus the epoch seconds"
                + " of earlier interrupted sessions (their start-up time is not known)");
        double peak = RunFiles.peakRss(metrics);
        marker.put("peak_rss_mb", Double.isNaN(peak) ? null : peak);
        marker.put("peak_rss_scope", launcher.isolated() ? RunFiles.OWN_PROCESS : RunFiles.WHOLE_PROCESS);
        marker.put("epochs_trained", ((List<?>) metrics.get("epochs")).size());
        marker.put("best_val_epoch", metrics.get("best_val_epoch"));
        RunFiles.writeJson(dir.resolve(RunFiles.MARKER), marker);
    }

    private String summary(RunOutcome o) {
        String metric = o.run().config().training().selectionMetric();
        return String.format("%d epochs, validation-selected epoch %d: val %s %.4f, test %s %.4f; %s, peak RSS %s",
                o.epochsTrained(), o.bestValEpoch(), metric, o.valAtBestVal().getOrDefault(metric, Double.NaN), metric,
                o.testAtBestVal().getOrDefault(metric, Double.NaN), Durations.format(o.wallSeconds()),
                Double.isNaN(o.peakRssMb()) ? "unknown" : String.format("%.0f MB", o.peakRssMb()));
    }

    private void startLine(PlannedRun run, String what) {
        synchronized (progress) {
            progress.printf("[%s] %s (%s, seed %d) %s%n", Durations.format((System.nanoTime() - started) / 1e9), run.id(),
                    run.model(), run.seed(), what);
        }
    }

    private void line(int k, int total, PlannedRun run, String what) {
        synchronized (progress) {
            progress.printf("[%d/%d] %s (%s, seed %d) %s%n", k, total, run.id(), run.model(), run.seed(), what);
        }
    }
}
