package org.diffmmj.model;

import java.util.List;
import java.util.Map;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.data.Interactions;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.optim.Adam;
import org.diffmmj.sampling.Batch;
import org.diffmmj.sampling.BatchSource;
import org.diffmmj.sampling.BatchSources;

/**
 * One recommender behind the shared training loop, in the spirit of MMRec's base class: the loop
 * owns data, batching, the main optimiser and evaluation; a model says what its parameters are,
 * which batches it trains on, what the loss of a batch is, and how it scores users over all items.
 * Models are registered by name in {@link ModelRegistry}.
 */
public interface Recommender extends AutoCloseable {

    /** Registry name, e.g. {@code "lightgcn"}. */
    String name();

    /** Parameters trained by the loop's main Adam optimiser on the batch loss. */
    List<Parameter> parameters();

    /**
     * The batches this model trains on: BPR triples by default; {@link BatchSources} also has
     * triples with k negatives, positives only, and user rows.
     */
    default BatchSource batchSource(Interactions train) {
        return BatchSources.triples(train);
    }

    /**
     * Work done once per epoch before the batches: DiffMM trains its denoisers and rebuilds its
     * modality graphs here. Returns named loss values to log (may be empty); phases are timed
     * through {@link EpochContext#timer()}.
     */
    default Map<String, Double> beforeEpoch(EpochContext context) {
        return Map.of();
    }

    /** Records the loss of one batch (of the kind {@link #batchSource} yields) on the tape. */
    LossTerms batchLoss(Tape tape, Batch batch, EpochContext context);

    /**
     * Scores over all items with the current parameters, computed without gradients: an
     * {@link EmbeddingScorer} for dot-product models (serving's fast path), any
     * {@link ScoreSource} otherwise. The caller closes it.
     */
    ScoreSource scorer();

    /** Extra state to checkpoint beyond {@link #parameters()} (e.g. DiffMM's denoisers). */
    default List<Parameter> auxiliaryParameters() {
        return List.of();
    }

    /** Optimisers the model runs itself in {@link #beforeEpoch} (their state is checkpointed). */
    default List<Adam> auxiliaryOptimizers() {
        return List.of();
    }

    @Override
    default void close() {
    }
}
