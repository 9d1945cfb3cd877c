package org.diffmmj.model;

import org.diffmmj.autograd.GradCheck;
import org.diffmmj.data.Dataset;
import org.diffmmj.nn.Tapes;
import org.diffmmj.random.Rng;
import org.diffmmj.sampling.Batch;

/** A model's batch-loss gradients against finite differences, on the first batch of an epoch of 16. */
final class BatchGradCheck {

    private BatchGradCheck() {
    }

    /** A fresh context per evaluation: a model that draws from it draws the same numbers. */
    static EpochContext context() {
        return new EpochContext(0, new Rng(7), 16, new Tapes(), new PhaseTimer());
    }

    static void check(Recommender model, Dataset data) {
        EpochContext warmup = context();
        model.beforeEpoch(warmup);
        warmup.tapes().releaseTemporaries();
        Batch batch = model.batchSource(data.train()).epoch(16, new Rng(2)).get(0);
        // A small step: leaky-ReLU kinks would be straddled by a large one.
        GradCheck.check(model.parameters(), tape -> model.batchLoss(tape, batch, context()).total(), 2e-3f, 3e-2);
    }
}
