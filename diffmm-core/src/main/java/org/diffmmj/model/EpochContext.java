package org.diffmmj.model;

import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;

/**
 * What the training loop lends a model during one epoch: the epoch number, a random stream for
 * that epoch, the loop's nominal batch size (the divisor of batch-mean losses that the reference
 * implementations take from their batch-size argument), the tapes to record work on, and the
 * timer for named phases.
 */
public record EpochContext(int epoch, Rng rng, int nominalBatchSize, Tapes tapes, PhaseTimer timer) {
}
