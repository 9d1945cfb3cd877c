package org.diffmmj.recommend;

import java.io.Serializable;

import org.diffmmj.tensor.TopK;

/**
 * The one place where a dot-product model's top-k for a user is computed: scores of every item
 * as ⟨user, item⟩ summed over dimensions in order in float (items innermost, so the JIT emits
 * SIMD code and no reduction chain), the user's training items excluded, then the k best, ties
 * to the lower item index ({@link TopK#select}). {@link RecommendationService} (the single-process
 * {@code recommend} and {@code serve}) and the Spark batch job both call it, so their lists agree
 * to the last bit.
 *
 * <p>Holds the item embeddings one array per dimension (immutable after construction) and is
 * {@link Serializable}, so a distributed job can broadcast it. Thread-safe; callers pass their
 * own scratch.
 */
public final class EmbeddingTopK implements Serializable {

    private static final long serialVersionUID = 1L;

    /** How many item columns a block pass covers at a time: a tile of scores and columns stays in cache. */
    private static final int ITEM_TILE = 2048;

    private final int dim;
    private final int items;
    /** Item embeddings one array per dimension: itemColumns[c][i] = item i's coordinate c. */
    private final float[][] itemColumns;

    /** From an items × dim row-major table (copied). */
    public EmbeddingTopK(float[] itemEmbeddings, int items, int dim) {
        if (items < 0 || dim < 0 || (long) items * dim != itemEmbeddings.length) {
            throw new IllegalArgumentException("item table of " + itemEmbeddings.length + " floats is not " + items + " × " + dim);
        }
        this.dim = dim;
        this.items = items;
        this.itemColumns = new float[dim][items];
        for (int i = 0; i < items; i++) {
            for (int c = 0; c < dim; c++) {
                itemColumns[c][i] = itemEmbeddings[i * dim + c];
            }
        }
    }

    public int dim() {
        return dim;
    }

    public int items() {
        return items;
    }

    /** ⟨queries[offset..offset+dim), item i⟩ for every item i into out[0..items). */
    public void scores(float[] queries, int offset, float[] out) {
        java.util.Arrays.fill(out, 0, items, 0f);
        for (int c = 0; c < dim; c++) {
            float q = queries[offset + c];
            float[] column = itemColumns[c];
            for (int i = 0; i < items; i++) {
                out[i] += q * column[i];
            }
        }
    }

    /**
     * Scores of {@code rows} users at once (their embeddings row-major in {@code queries}) into
     * out (rows × items, row-major): the same sums in the same order as {@link #scores}, so the
     * same floats, but tiled over items so each tile of item columns is read once per block.
     */
    public void scoreBlock(float[] queries, int rows, float[] out) {
        java.util.Arrays.fill(out, 0, rows * items, 0f);
        for (int from = 0; from < items; from += ITEM_TILE) {
            int to = Math.min(items, from + ITEM_TILE);
            for (int c = 0; c < dim; c++) {
                float[] column = itemColumns[c];
                for (int r = 0; r < rows; r++) {
                    float q = queries[r * dim + c];
                    int base = r * items;
                    for (int i = from; i < to; i++) {
                        out[base + i] += q * column[i];
                    }
                }
            }
        }
    }

    /**
     * The k best of scores[offset..offset+items) (any score source's) with {@code seen[seenFrom..seenTo)} (item
     * indices) set to −∞ first (the scores are changed), best first, ties to the lower index;
     * returns how many were written to bestItems/bestScores (fewer than k only when fewer items
     * are left). {@code scratch} has length ≥ k.
     */
    public static int topUnseen(float[] scores, int offset, int items, int[] seen, int seenFrom, int seenTo, int k,
                                int[] bestItems, float[] bestScores, float[] scratch) {
        for (int p = seenFrom; p < seenTo; p++) {
            scores[offset + seen[p]] = Float.NEGATIVE_INFINITY;
        }
        int n = Math.min(k, items);
        int found = TopK.select(scores, offset, items, n, bestItems, 0, scratch);
        for (int r = 0; r < found; r++) {
            bestScores[r] = scores[offset + bestItems[r]];
        }
        return found;
    }
}
