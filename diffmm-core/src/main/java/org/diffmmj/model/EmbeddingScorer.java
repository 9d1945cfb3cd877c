package org.diffmmj.model;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.Tensor;

/**
 * Scores users over all items as dot products of final embeddings. Owns the two tables; one
 * gemm per batch of users, so full-ranking evaluation and serving share the same path.
 */
public final class EmbeddingScorer implements ScoreSource {

    private final Tensor userEmbeddings;
    private final Tensor itemEmbeddings;

    public EmbeddingScorer(Tensor userEmbeddings, Tensor itemEmbeddings) {
        if (userEmbeddings.cols() != itemEmbeddings.cols()) {
            throw new IllegalArgumentException("user and item embeddings differ in width: "
                    + userEmbeddings.cols() + " vs " + itemEmbeddings.cols());
        }
        this.userEmbeddings = userEmbeddings;
        this.itemEmbeddings = itemEmbeddings;
    }

    /**
     * Copies a stacked [users; items] table (rows 0..users−1 users, the rest items) out of a
     * tape into a scorer that owns its tables.
     */
    public static EmbeddingScorer split(Tape tape, Var stacked, int users) {
        return new EmbeddingScorer(tape.sliceRows(stacked, 0, users).value().copy(),
                tape.sliceRows(stacked, users, stacked.rows()).value().copy());
    }

    public Tensor userEmbeddings() {
        return userEmbeddings;
    }

    public Tensor itemEmbeddings() {
        return itemEmbeddings;
    }

    public int users() {
        return userEmbeddings.rows();
    }

    @Override
    public int items() {
        return itemEmbeddings.rows();
    }

    @Override
    public void score(int[] users, float[] out) {
        int d = userEmbeddings.cols();
        int n = items();
        if (out.length < (long) users.length * n) {
            throw new IllegalArgumentException("score buffer holds " + out.length + " floats, need "
                    + (long) users.length * n);
        }
        try (Tensor batch = Tensor.zeros(users.length, d); Tensor scores = Tensor.zeros(users.length, n)) {
            float[] row = new float[d];
            for (int r = 0; r < users.length; r++) {
                userEmbeddings.copyRowTo(users[r], row, 0);
                for (int c = 0; c < d; c++) {
                    batch.set(r, c, row[c]);
                }
            }
            Blas.gemm(false, true, 1f, batch, itemEmbeddings, 0f, scores);
            scores.copyTo(out, 0);
        }
    }

    @Override
    public void close() {
        userEmbeddings.close();
        itemEmbeddings.close();
    }
}
