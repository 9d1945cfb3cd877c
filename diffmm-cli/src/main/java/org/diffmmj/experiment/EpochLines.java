package org.diffmmj.experiment;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Progress inside a run: each epoch its train process appends to {@code metrics.jsonl}, as one line
 * (the validation metric, the best so far, seconds an epoch, the time left at that pace). A DiffMM
 * run on TikTok takes half an hour; without these its experiment would say nothing in between.
 * Polled, not pushed: the run may be another process. Each epoch is told once, in order; epochs
 * that were in the file when the run (re)started are not told again.
 */
final class EpochLines {

    private final Path jsonl;
    private final int plannedEpochs;
    private final String metric;
    private final Consumer<String> out;
    private int lastTold;

    /**
     * @param alreadyTrained epochs in the run's history before this launch (not told)
     * @param out            receives each line (without the run's name)
     */
    EpochLines(Path jsonl, int plannedEpochs, String metric, int alreadyTrained, Consumer<String> out) {
        this.jsonl = jsonl;
        this.plannedEpochs = plannedEpochs;
        this.metric = metric;
        this.out = out;
        this.lastTold = alreadyTrained - 1;
    }

    /** Tells the epochs written since the last poll; a line still being appended waits for the next. */
    @SuppressWarnings("unchecked")
    synchronized void poll() {
        String text;
        try {
            text = Files.readString(jsonl, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // Not written yet (or unreadable for a moment): the next poll will see it.
            return;
        }
        double best = Double.NEGATIVE_INFINITY;
        int bestEpoch = -1;
        double seconds = 0;
        int timed = 0;
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return;
        }
        for (String line : text.substring(0, end).split("\n")) {
            Map<String, Object> e;
            try {
                e = RunFiles.JSON.readValue(line, Map.class);
            } catch (JsonProcessingException ex) {
                // Lines end only once written whole (train appends them, or renames a whole file over
                // this one), so this is damage, not a write in progress: tell nothing rather than guess.
                return;
            }
            int epoch = ((Number) e.get("epoch")).intValue();
            Map<String, Object> val = (Map<String, Object>) e.get("val");
            Object v = val == null ? null : val.get(metric);
            if (v != null && ((Number) v).doubleValue() > best) {
                best = ((Number) v).doubleValue();
                bestEpoch = epoch;
            }
            Map<String, Object> phases = (Map<String, Object>) e.get("seconds");
            if (phases != null && !phases.isEmpty()) {
                seconds += phases.values().stream().mapToDouble(x -> ((Number) x).doubleValue()).sum();
                timed++;
            }
            if (epoch > lastTold) {
                lastTold = epoch;
                double perEpoch = timed == 0 ? Double.NaN : seconds / timed;
                int left = plannedEpochs - (epoch + 1);
                StringBuilder s = new StringBuilder(String.format("epoch %d (%d/%d)", epoch, epoch + 1, plannedEpochs));
                s.append(v == null ? ": not evaluated" : String.format(": val %s %.4f", metric, ((Number) v).doubleValue()));
                if (bestEpoch >= 0) {
                    s.append(String.format(", best %.4f at epoch %d", best, bestEpoch));
                }
                if (!Double.isNaN(perEpoch)) {
                    s.append("; ").append(Durations.format(perEpoch)).append(" an epoch");
                    if (left > 0) {
                        s.append(", at most ").append(Durations.format(perEpoch * left)).append(" left");
                    }
                }
                out.accept(s.toString());
            }
        }
    }
}
