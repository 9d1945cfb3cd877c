package org.diffmmj.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** Wall-clock seconds spent in named phases of one epoch, in the order they first ran. */
public final class PhaseTimer {

    private final Map<String, Double> seconds = new LinkedHashMap<>();

    public <T> T time(String phase, Supplier<T> work) {
        long start = System.nanoTime();
        try {
            return work.get();
        } finally {
            seconds.merge(phase, (System.nanoTime() - start) / 1e9, Double::sum);
        }
    }

    public void time(String phase, Runnable work) {
        time(phase, () -> {
            work.run();
            return null;
        });
    }

    public Map<String, Double> seconds() {
        return new LinkedHashMap<>(seconds);
    }
}
