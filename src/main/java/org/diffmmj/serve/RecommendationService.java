package org.diffmmj.serve;

import java.util.ArrayList;
import java.util.List;

import org.diffmmj.data.IdMapping;
import org.diffmmj.data.Interactions;
import org.diffmmj.io.SavedModel;
import org.diffmmj.tensor.TopK;

/**
 * Answers recommendation questions from a saved model: top-k items for a user (seen items
 * excluded unless asked) and items similar to an item (cosine of embeddings). Thread-safe:
 * it holds only immutable heap copies of the final embeddings, so each request is a plain
 * dot-product scan with no native allocation.
 */
public final class RecommendationService {

    /** An item in the caller's ids with its score. */
    public record ScoredItem(String item, double score) {
    }

    /** The caller named a user or item the model does not know. */
    public static final class UnknownIdException extends RuntimeException {
        public UnknownIdException(String message) {
            super(message);
        }
    }

    private final IdMapping userIds;
    private final IdMapping itemIds;
    private final Interactions train;
    private final int dim;
    private final int items;
    private final float[] userEmb;
    private final float[] itemEmb;
    private final float[] itemNorms;

    public RecommendationService(SavedModel model) {
        this.userIds = model.userIds();
        this.itemIds = model.itemIds();
        this.train = model.train();
        var scorer = model.scorer();
        this.dim = scorer.userEmbeddings().cols();
        this.items = scorer.items();
        this.userEmb = scorer.userEmbeddings().toArray();
        this.itemEmb = scorer.itemEmbeddings().toArray();
        this.itemNorms = new float[items];
        for (int i = 0; i < items; i++) {
            double s = 0;
            for (int c = 0; c < dim; c++) {
                s += itemEmb[i * dim + c] * itemEmb[i * dim + c];
            }
            itemNorms[i] = (float) Math.sqrt(s);
        }
    }

    public int users() {
        return userIds.size();
    }

    public int items() {
        return items;
    }

    public List<ScoredItem> recommend(String userId, int k, boolean includeSeen) {
        int u = userIds.index(userId);
        if (u < 0 || u >= userIds.size()) {
            throw new UnknownIdException("unknown user '" + userId + "'");
        }
        float[] scores = new float[items];
        for (int i = 0; i < items; i++) {
            float s = 0;
            for (int c = 0; c < dim; c++) {
                s += userEmb[u * dim + c] * itemEmb[i * dim + c];
            }
            scores[i] = s;
        }
        if (!includeSeen) {
            int[] ptr = train.userPtr();
            int[] seen = train.userItems();
            for (int p = ptr[u]; p < ptr[u + 1]; p++) {
                scores[seen[p]] = Float.NEGATIVE_INFINITY;
            }
        }
        return top(scores, k, -1);
    }

    public List<ScoredItem> similarItems(String itemId, int k) {
        int item = itemIds.index(itemId);
        if (item < 0 || item >= items) {
            throw new UnknownIdException("unknown item '" + itemId + "'");
        }
        float[] scores = new float[items];
        for (int i = 0; i < items; i++) {
            float s = 0;
            for (int c = 0; c < dim; c++) {
                s += itemEmb[item * dim + c] * itemEmb[i * dim + c];
            }
            float norm = itemNorms[item] * itemNorms[i];
            scores[i] = norm > 0 ? s / norm : 0f;
        }
        return top(scores, k, item);
    }

    /** Top k by score (ties: lower index first), skipping {@code exclude} and −∞ entries. */
    private List<ScoredItem> top(float[] scores, int k, int exclude) {
        if (exclude >= 0) {
            scores[exclude] = Float.NEGATIVE_INFINITY;
        }
        int n = Math.min(k, items);
        int[] best = new int[n];
        int found = TopK.select(scores, 0, items, n, best, 0, new float[n]);
        List<ScoredItem> out = new ArrayList<>(found);
        for (int r = 0; r < found; r++) {
            out.add(new ScoredItem(itemIds.externalId(best[r]), scores[best[r]]));
        }
        return out;
    }
}
