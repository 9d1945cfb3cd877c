package org.diffmmj.train;

import java.util.Map;

/**
 * What one epoch produced: mean loss parts over its batches (plus any the model's epoch hook
 * reported), validation and test metrics when it was evaluated (otherwise null), and seconds
 * per phase.
 */
public record EpochRecord(int epoch, Map<String, Double> losses, Map<String, Double> val,
                          Map<String, Double> test, Map<String, Double> seconds) {

    public boolean evaluated() {
        return val != null;
    }

    public double totalSeconds() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
