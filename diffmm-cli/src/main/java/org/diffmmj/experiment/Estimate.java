package org.diffmmj.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.diffmmj.io.TrainingState;
import org.diffmmj.train.RunConfig;
import org.diffmmj.train.TrainingConfig;

/**
 * The up-front estimate of an experiment's time: one timed epoch of each model (a one-epoch
 * {@code train} of its first run's config, in a separate directory, kept so a rerun does not time
 * it again), then, for every run not finished, start-up plus its remaining epochs at that rate. It
 * is an upper bound where early stopping ends runs sooner, and it assumes the machine is as busy as
 * it was during the timing. The timing's peak RSS is also what {@code --jobs} is checked against.
 */
public final class Estimate {

    /** One model's timing: seconds outside the epoch (JVM start, data loading), one epoch's seconds, peak RSS. */
    public record Timing(String model, double startSeconds, double epochSeconds, double peakRssMb) {
    }

    private Estimate() {
    }

    /** Times each model of {@code runs} not timed before in {@code dir}; prints a line per model. */
    public static Map<String, Timing> time(List<PlannedRun> runs, Path dir, RunLauncher launcher, PrintStream out)
            throws IOException, InterruptedException {
        Map<String, Timing> timings = new LinkedHashMap<>();
        for (PlannedRun run : runs) {
            if (timings.containsKey(run.model()) || RunFiles.stage(run.dir(), run.config().training())
                    == RunFiles.Stage.FINISHED) {
                continue;
            }
            Path modelDir = dir.resolve(run.model());
            Path cached = modelDir.resolve("timing.json");
            if (Files.exists(cached)) {
                Map<String, Object> t = RunFiles.readMap(cached);
                timings.put(run.model(), new Timing(run.model(), ((Number) t.get("start_seconds")).doubleValue(),
                        ((Number) t.get("epoch_seconds")).doubleValue(), ((Number) t.get("peak_rss_mb")).doubleValue()));
                continue;
            }
            TrainingConfig t = run.config().training();
            RunConfig one = new RunConfig(run.config().model(), run.config().preset(), run.config().data(),
                    run.config().format(), new TrainingConfig(1, t.learningRate(), t.batchSize(), t.seed(), 1, 0,
                    t.selectionMetric(), t.ks()), run.config().modelConfig());
            PlannedRun timing = new PlannedRun("timing", run.model(), run.seed(), modelDir, one);
            Files.createDirectories(modelDir);
            Files.writeString(modelDir.resolve(RunFiles.REQUESTED), one.toYaml());
            long t0 = System.nanoTime();
            int rc = launcher.run(List.of("train", "--config", modelDir.resolve(RunFiles.REQUESTED).toString(), "--out",
                    modelDir.toString(), "--force", "--no-progress"), modelDir.resolve(RunFiles.LOG));
            double wall = (System.nanoTime() - t0) / 1e9;
            if (rc != 0) {
                throw new IllegalStateException("the timing epoch of " + run.model() + " failed (exit status " + rc
                        + "; see " + modelDir.resolve(RunFiles.LOG) + ")");
            }
            double epoch = RunFiles.epochsAndSeconds(modelDir)[1];
            double peak = RunFiles.peakRss(RunFiles.readMap(modelDir.resolve(RunFiles.METRICS)));
            Timing timed = new Timing(run.model(), Math.max(0, wall - epoch), epoch, Double.isNaN(peak) ? -1 : peak);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", timed.model());
            json.put("start_seconds", timed.startSeconds());
            json.put("epoch_seconds", timed.epochSeconds());
            json.put("peak_rss_mb", timed.peakRssMb());
            RunFiles.writeJson(cached, json);
            Files.deleteIfExists(modelDir.resolve(TrainingState.FILE_NAME));
            Files.deleteIfExists(modelDir.resolve(org.diffmmj.io.SavedModel.FILE_NAME));
            timings.put(run.model(), timed);
            out.printf("timing: %s, one epoch %s (with evaluation), start-up %s, peak RSS %s%n", run.model(),
                    Durations.format(epoch), Durations.format(timed.startSeconds()),
                    timed.peakRssMb() < 0 ? "unknown" : String.format("%.0f MB", timed.peakRssMb()));
        }
        return timings;
    }

    /** Seconds left for {@code runs} at the timed rates, run after run. */
    public static double remainingSeconds(List<PlannedRun> runs, Map<String, Timing> timings) throws IOException {
        double total = 0;
        for (PlannedRun run : runs) {
            Timing t = timings.get(run.model());
            if (t == null) {
                continue;
            }
            RunFiles.Stage stage = RunFiles.stage(run.dir(), run.config().training());
            if (stage == RunFiles.Stage.FINISHED || stage == RunFiles.Stage.TRAINED) {
                continue;
            }
            int done = 0;
            Path state = run.dir().resolve(TrainingState.FILE_NAME);
            if (stage == RunFiles.Stage.PARTIAL) {
                done = TrainingState.lastEpoch(state) + 1;
            }
            total += t.startSeconds() + Math.max(0, run.config().training().epochs() - done) * t.epochSeconds();
        }
        return total;
    }

    /**
     * The jobs memory allows: each run is its own JVM, resident at about its timed peak RSS, so
     * {@code jobs} runs need jobs × the largest peak; at most 90 % of the memory available now
     * (MemAvailable) is planned for. Unknown figures leave {@code jobs} as asked.
     */
    public static int jobsMemoryAllows(int jobs, Map<String, Timing> timings, PrintStream out) {
        double peak = timings.values().stream().mapToDouble(Timing::peakRssMb).max().orElse(-1);
        long available = availableMb();
        if (jobs <= 1 || peak <= 0 || available <= 0) {
            return jobs;
        }
        int fit = (int) Math.max(1, Math.floor(0.9 * available / peak));
        if (fit < jobs) {
            out.printf("--jobs %d lowered to %d: each run is a JVM of up to %.0f MB resident (the largest timed peak RSS),"
                    + " and %d MB is available%n", jobs, fit, peak, available);
            return fit;
        }
        return jobs;
    }

    static long availableMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: unknown
        }
        return -1;
    }

    static List<String> describe(Map<String, Timing> timings) {
        List<String> out = new ArrayList<>();
        timings.values().forEach(t -> out.add(t.model() + " " + Durations.format(t.epochSeconds()) + "/epoch"));
        return out;
    }
}
