package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.diffmmj.io.SavedModel;
import org.diffmmj.io.TrainingState;
import org.diffmmj.train.TrainingConfig;
import org.diffmmj.util.AtomicFiles;

/**
 * What an experiment keeps in a run's directory beside what {@code train --out} writes there
 * ({@code config.yaml}, {@code metrics.json}, {@code model.ckpt}, {@code training-state.ckpt}):
 * the config it was planned with ({@code requested.yaml}), the training log, the per-user test
 * metric and, last of all, the marker {@code run.json} that says the run is finished and recorded.
 */
public final class RunFiles {

    public static final String MARKER = "run.json";
    public static final String REQUESTED = "requested.yaml";
    public static final String PER_USER = "per_user_test.json";
    public static final String LOG = "train.log";
    public static final String METRICS = "metrics.json";
    /** The epochs as train appends them, one JSON line each (what experiments tail for progress). */
    public static final String EPOCHS = "metrics.jsonl";
    static final String OWN_PROCESS = "the run's own process (VmHWM)";
    static final String WHOLE_PROCESS = "the whole experiment process so far (runs were in-process)";

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** How far a run got. */
    public enum Stage {
        /** Recorded: its marker is written; nothing is redone. */
        FINISHED,
        /** Training ended (all epochs, or stopped early) but the run was not recorded yet. */
        TRAINED,
        /** Stopped part-way: training resumes from its training state. */
        PARTIAL,
        /** Nothing usable: trains from the start. */
        FRESH
    }

    private RunFiles() {
    }

    public static Stage stage(Path dir, TrainingConfig planned) throws IOException {
        if (Files.exists(dir.resolve(MARKER))) {
            return Stage.FINISHED;
        }
        if (Files.exists(dir.resolve(METRICS)) && Files.exists(dir.resolve(SavedModel.FILE_NAME))
                && trainingEnded(readMap(dir.resolve(METRICS)), planned)) {
            return Stage.TRAINED;
        }
        if (Files.exists(dir.resolve(TrainingState.FILE_NAME))) {
            return Stage.PARTIAL;
        }
        return Stage.FRESH;
    }

    /**
     * Whether the history in {@code metrics} reached the planned epochs or would have stopped
     * early there (the training loop's rule: {@code patience} epochs without a better validation
     * metric).
     */
    @SuppressWarnings("unchecked")
    static boolean trainingEnded(Map<String, Object> metrics, TrainingConfig planned) {
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) metrics.get("epochs");
        if (epochs == null || epochs.isEmpty()) {
            return false;
        }
        int last = ((Number) epochs.get(epochs.size() - 1).get("epoch")).intValue();
        if (last + 1 >= planned.epochs()) {
            return true;
        }
        if (planned.patience() <= 0) {
            return false;
        }
        double best = Double.NEGATIVE_INFINITY;
        int since = 0;
        for (Map<String, Object> e : epochs) {
            Map<String, Object> val = (Map<String, Object>) e.get("val");
            if (val == null) {
                continue;
            }
            double v = ((Number) val.get(planned.selectionMetric())).doubleValue();
            if (v > best) {
                best = v;
                since = 0;
            } else {
                since += planned.evalEvery();
            }
        }
        return since >= planned.patience();
    }

    /** Epochs in {@code metrics.json} and the seconds they took (zero, zero when there is none). */
    @SuppressWarnings("unchecked")
    static double[] epochsAndSeconds(Path dir) throws IOException {
        Path f = dir.resolve(METRICS);
        if (!Files.exists(f)) {
            return new double[] {0, 0};
        }
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) readMap(f).get("epochs");
        double seconds = 0;
        for (Map<String, Object> e : epochs) {
            for (Object s : ((Map<String, Object>) e.get("seconds")).values()) {
                seconds += ((Number) s).doubleValue();
            }
        }
        return new double[] {epochs.size(), seconds};
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> readMap(Path file) throws IOException {
        return JSON.readValue(file.toFile(), LinkedHashMap.class);
    }

    static void writeJson(Path file, Object value) throws IOException {
        AtomicFiles.write(file, JSON.writeValueAsBytes(value));
    }

    /** The outcome of a finished run, from its marker, metrics and per-user file. */
    @SuppressWarnings("unchecked")
    public static RunOutcome outcome(PlannedRun run) throws IOException {
        Map<String, Object> marker = readMap(run.dir().resolve(MARKER));
        Map<String, Object> metrics = readMap(run.dir().resolve(METRICS));
        int[] users = null;
        double[] values = null;
        Path perUser = run.dir().resolve(PER_USER);
        if (Files.exists(perUser)) {
            Map<String, Object> p = readMap(perUser);
            List<Number> u = (List<Number>) p.get("users");
            List<Number> v = (List<Number>) p.get("values");
            users = u.stream().mapToInt(Number::intValue).toArray();
            values = v.stream().mapToDouble(Number::doubleValue).toArray();
        }
        return new RunOutcome(run, doubles(metrics.get("test_at_best_val")), doubles(metrics.get("val_at_best_val")),
                doubles(metrics.get("best_test")), intOf(metrics.get("best_val_epoch")), intOf(metrics.get("best_test_epoch")),
                ((List<?>) metrics.get("epochs")).size(), ((Number) marker.get("wall_seconds")).doubleValue(),
                marker.get("peak_rss_mb") == null ? Double.NaN : ((Number) marker.get("peak_rss_mb")).doubleValue(),
                (String) marker.get("peak_rss_scope"), users, values);
    }

    /** The highest {@code memory_mb.peak_rss} over the epochs of {@code metrics}, NaN when none was recorded. */
    @SuppressWarnings("unchecked")
    static double peakRss(Map<String, Object> metrics) {
        double peak = Double.NaN;
        for (Map<String, Object> e : (List<Map<String, Object>>) metrics.get("epochs")) {
            Map<String, Object> m = (Map<String, Object>) e.get("memory_mb");
            if (m != null && m.get("peak_rss") != null) {
                double v = ((Number) m.get("peak_rss")).doubleValue();
                peak = Double.isNaN(peak) ? v : Math.max(peak, v);
            }
        }
        return peak;
    }

    private static int intOf(Object o) {
        return o == null ? -1 : ((Number) o).intValue();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Double> doubles(Object o) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (o != null) {
            ((Map<String, Object>) o).forEach((k, v) -> out.put(k, ((Number) v).doubleValue()));
        }
        return out;
    }

    static List<Object> list(int[] a) {
        List<Object> l = new ArrayList<>();
        for (int x : a) {
            l.add(x);
        }
        return l;
    }
}
