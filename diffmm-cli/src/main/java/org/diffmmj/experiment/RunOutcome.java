package org.diffmmj.experiment;

import java.util.Map;

/**
 * A finished run as its directory records it: the test metrics at the validation-selected epoch
 * and at the best test epoch (the paper's protocol), the validation metrics that selected, the
 * epochs, wall time and peak RSS (with what it covers: the run's own process, or the whole
 * in-process experiment so far), and (where computed) each test user's value of the per-user
 * metric at the validation-selected checkpoint, users by internal index.
 */
public record RunOutcome(PlannedRun run, Map<String, Double> testAtBestVal, Map<String, Double> valAtBestVal,
                         Map<String, Double> bestTest, int bestValEpoch, int bestTestEpoch, int epochsTrained,
                         double wallSeconds, double peakRssMb, String peakRssScope, int[] users,
                         double[] perUser) {
}
