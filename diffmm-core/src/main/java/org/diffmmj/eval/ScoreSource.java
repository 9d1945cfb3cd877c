package org.diffmmj.eval;

/**
 * Scores of users over all items; higher is better. Dot-product models give two embedding tables
 * (the model package's {@code EmbeddingScorer}, the fast path serving uses); others, such as
 * DiffRec ranking by denoised interaction rows, implement {@link #score} however they compute it.
 */
public interface ScoreSource extends AutoCloseable {

    int items();

    /** Fills out (users.length × items, row-major) with the users' scores. */
    void score(int[] users, float[] out);

    /** Releases what the scorer holds; the default holds nothing that needs it. */
    @Override
    default void close() {
    }
}
