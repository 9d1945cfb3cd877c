package org.diffmmj.train;

import java.util.Map;

/**
 * What one epoch produced: mean loss parts over its batches (plus any the model's epoch hook
 * reported), validation and test metrics when it was evaluated (otherwise null), seconds per
 * phase, and the process's memory at its end ({@code rss} and {@code peak_rss}, MB; empty when
 * unknown), so a run shows whether memory stays flat.
 */
public record EpochRecord(int epoch, Map<String, Double> losses, Map<String, Double> val,
                          Map<String, Double> test, Map<String, Double> seconds, Map<String, Double> memoryMb) {

    public EpochRecord(int epoch, Map<String, Double> losses, Map<String, Double> val,
                       Map<String, Double> test, Map<String, Double> seconds) {
        this(epoch, losses, val, test, seconds, Map.of());
    }

    public boolean evaluated() {
        return val != null;
    }

    public double totalSeconds() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
