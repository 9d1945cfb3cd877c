package org.diffmmj.experiment;

import java.nio.file.Path;

import org.diffmmj.train.RunConfig;

/**
 * One training run of an experiment: a name for progress lines, the model and seed it is grouped
 * by, the directory that holds everything it writes, and the resolved config it trains.
 */
public record PlannedRun(String id, String model, long seed, Path dir, RunConfig config) {
}
