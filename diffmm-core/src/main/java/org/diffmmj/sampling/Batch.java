package org.diffmmj.sampling;

/**
 * One training batch, of the kind a model's {@link BatchSource} yields: BPR triples (the default),
 * triples with k negatives, positive pairs only, or user rows.
 */
public sealed interface Batch permits TripleBatch, NegativesBatch, PositiveBatch, UserBatch {

    /** Rows in the batch (users, or interactions). */
    int size();

    /** This batch as the kind a model asked for; a model given another kind fails here, clearly. */
    default <B extends Batch> B as(Class<B> kind) {
        if (!kind.isInstance(this)) {
            throw new IllegalStateException("expected a " + kind.getSimpleName() + " but the batch source gave a "
                    + getClass().getSimpleName() + "; a model's batchSource() and batchLoss() must agree");
        }
        return kind.cast(this);
    }

    static void sameLength(int[] a, int[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("batch arrays differ in length: " + a.length + " vs " + b.length);
        }
    }
}
