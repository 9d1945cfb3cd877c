package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.train.TripleBatch;

/**
 * One recommender behind the shared training loop, in the spirit of MMRec's base class: the loop
 * owns data, negative sampling, batching, the main optimiser and evaluation; a model only says
 * what its parameters are, what the loss of a batch is, and how it scores users over all items.
 */
public interface Recommender extends AutoCloseable {

    /** Registry name, e.g. {@code "lightgcn"}. */
    String name();

    /** Parameters trained by the loop's main Adam optimiser on the batch loss. */
    List<Parameter> parameters();

    /**
     * Work done once per epoch before the batches: DiffMM trains its denoisers and rebuilds its
     * modality graphs here. Returns named loss values to log (may be empty); phases are timed
     * through {@link EpochContext#timer()}.
     */
    default Map<String, Double> beforeEpoch(EpochContext context) {
        return Map.of();
    }

    /** Records the loss of one batch of (user, positive, negative) triples on the tape. */
    LossTerms batchLoss(Tape tape, TripleBatch batch, EpochContext context);

    /**
     * Final user and item representations with the current parameters, computed without
     * gradients; scores are their dot products. The caller closes the returned scorer.
     */
    EmbeddingScorer scorer();

    /** Extra state to checkpoint beyond {@link #parameters()} (e.g. DiffMM's denoisers). */
    default List<Parameter> auxiliaryParameters() {
        return List.of();
    }

    /** Optimisers the model runs itself in {@link #beforeEpoch} (their state is checkpointed). */
    default List<org.diffmmj.optim.Adam> auxiliaryOptimizers() {
        return List.of();
    }

    @Override
    default void close() {
    }
}
