package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

import org.diffmmj.config.YamlFiles;
import org.diffmmj.train.RunConfig;

/**
 * Whether the plan a run directory records ({@code requested.yaml}) is the plan of this invocation.
 * Every key is compared by value except {@code data}, a path: a finished run is the same run wherever
 * its data lay when it trained, if the data given now is the same data, i.e. has the fingerprint its
 * {@code metrics.json} records. That is what lets a clone whose data lies elsewhere reuse the records
 * committed under {@code results/}. An unfinished run is held to its path: resuming it reads the data
 * from there.
 */
final class RecordedPlan {

    private static final String DATA = "data";

    /**
     * @param same       whether the recorded plan is this one
     * @param note       for a finished run matched by its data's fingerprint, where that data lay; else null
     * @param difference when not the same, the keys that differ with both values
     */
    record Match(boolean same, String note, String difference) {
    }

    private RecordedPlan() {
    }

    /**
     * Compares {@code dir}'s {@code requested.yaml} with {@code planned}; {@code fingerprint} (the
     * fingerprint of the data given now) is asked only when the data paths differ.
     */
    static Match compare(Path dir, RunConfig planned, Supplier<String> fingerprint) throws IOException {
        Path file = dir.resolve(RunFiles.REQUESTED);
        String recordedText = Files.readString(file, StandardCharsets.UTF_8);
        String plannedText = planned.toYaml();
        if (recordedText.equals(plannedText)) {
            return new Match(true, null, null);
        }
        Map<String, Object> recorded = YamlFiles.parse(recordedText, file.toString());
        Map<String, Object> now = YamlFiles.parse(plannedText, "this invocation's plan");
        Set<String> keys = new LinkedHashSet<>(recorded.keySet());
        keys.addAll(now.keySet());
        List<String> differing = keys.stream().filter(k -> !Objects.equals(recorded.get(k), now.get(k))).toList();
        if (differing.equals(List.of(DATA))) {
            String recordedFingerprint = finishedRunFingerprint(dir);
            String given = recordedFingerprint == null ? null : fingerprint.get();
            if (recordedFingerprint != null && recordedFingerprint.equals(given)) {
                return new Match(true, "recorded with the same data at " + shown(recorded.get(DATA)), null);
            }
            return new Match(false, null, change(DATA, recorded, now) + (recordedFingerprint == null
                    ? " (the run is not finished, so it goes on with the data it started with)"
                    : "; not the same data: fingerprint " + recordedFingerprint + " there, " + given + " here"));
        }
        List<String> parts = new ArrayList<>();
        for (String k : differing) {
            parts.add(change(k, recorded, now));
        }
        return new Match(false, null, String.join("; ", parts));
    }

    /** The fingerprint of the data a finished run trained on, from its metrics; null when unfinished or not recorded. */
    @SuppressWarnings("unchecked")
    private static String finishedRunFingerprint(Path dir) throws IOException {
        if (!Files.exists(dir.resolve(RunFiles.MARKER)) || !Files.exists(dir.resolve(RunFiles.METRICS))) {
            return null;
        }
        Object dataset = RunFiles.readMap(dir.resolve(RunFiles.METRICS)).get("dataset");
        Object fp = dataset instanceof Map<?, ?> m ? ((Map<String, Object>) m).get("fingerprint") : null;
        return fp == null ? null : fp.toString();
    }

    private static String change(String key, Map<String, Object> recorded, Map<String, Object> now) {
        return key + ": " + shown(recorded.get(key)) + " there, " + shown(now.get(key)) + " here";
    }

    private static String shown(Object value) {
        return value == null ? "(not set)" : value.toString();
    }
}
