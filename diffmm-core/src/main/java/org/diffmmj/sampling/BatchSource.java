package org.diffmmj.sampling;

import java.util.List;

/**
 * Yields one epoch of batches. Each model picks its source ({@link BatchSources#triples} by
 * default); the training loop owns the nominal batch size and the random stream.
 */
@FunctionalInterface
public interface BatchSource {

    /** One epoch, shuffled with {@code rng}, cut into batches of {@code batchSize} (the last may be smaller). */
    List<? extends Batch> epoch(int batchSize, org.diffmmj.random.Rng rng);
}
