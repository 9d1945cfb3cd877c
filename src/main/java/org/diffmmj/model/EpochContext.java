package org.diffmmj.model;

import org.diffmmj.random.Rng;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.train.PhaseTimer;

/**
 * What the training loop lends a model during one epoch: the epoch number, a random stream
 * for that epoch, the buffer pool its tapes draw from, and the timer for named phases.
 */
public record EpochContext(int epoch, Rng rng, BufferPool pool, PhaseTimer timer) {
}
