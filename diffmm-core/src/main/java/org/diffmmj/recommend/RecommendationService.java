package org.diffmmj.recommend;

import java.util.ArrayList;
import java.util.List;

import org.diffmmj.data.IdMapping;
import org.diffmmj.eval.ScoreSource;
import org.diffmmj.data.Interactions;
import org.diffmmj.io.SavedModel;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.TopK;

/**
 * Answers recommendation questions from a saved model: top-k items for a user (seen items
 * excluded unless asked) and items similar to an item (cosine of embeddings). Thread-safe.
 * For a dot-product model it holds only immutable heap copies of the final embeddings, so each
 * request is a plain dot-product scan with no native allocation; any other model (e.g. DiffRec,
 * ranking by denoised rows) is scored through its own score source, one request at a time, and
 * has no item similarity. The best {@code precompute} unseen items of every user are computed
 * once at start-up, so the common request, k up to that many without seen items, is a lookup.
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

    private final String modelName;
    private final IdMapping userIds;
    private final IdMapping itemIds;
    private final Interactions train;
    private final int dim;
    private final int items;
    /** Non-null for models that do not score by embeddings; guarded by itself. */
    private final ScoreSource generalScores;
    private final float[] userEmb;
    private final float[] itemEmb;
    /**
     * Item embeddings one array per dimension, so a user's scores are axpy-style loops over the
     * same index in two arrays, which the JIT turns into SIMD code (with a common array and an
     * offset it cannot rule out overlap, and does not).
     */
    private final float[][] itemColumns;
    private final float[] itemNorms;
    private final int precomputed;
    private final int[][] topItems;
    private final float[][] topScores;

    /** Default number of best items kept per user: covers the usual k with ~0.8 KB per user. */
    public static final int DEFAULT_PRECOMPUTE = 100;

    public RecommendationService(SavedModel model) {
        this(model, DEFAULT_PRECOMPUTE);
    }

    /** {@code precompute} = 0 scores every request live. */
    public RecommendationService(SavedModel model, int precompute) {
        this(model, precompute, null);
    }

    /**
     * {@code data}: the dataset a model without saved embeddings is rebuilt on (null: read again
     * from the directory it was trained on); unused for dot-product models.
     */
    public RecommendationService(SavedModel model, int precompute, org.diffmmj.data.Dataset data) {
        if (precompute < 0) {
            throw new IllegalArgumentException("precompute must be >= 0, got " + precompute);
        }
        this.modelName = model.modelName();
        this.userIds = model.userIds();
        this.itemIds = model.itemIds();
        this.train = model.train();
        if (model.hasEmbeddings()) {
            var scorer = model.embeddingScorer();
            this.generalScores = null;
            this.dim = scorer.userEmbeddings().cols();
            this.items = scorer.items();
            this.userEmb = scorer.userEmbeddings().toArray();
            this.itemEmb = scorer.itemEmbeddings().toArray();
        } else {
            try {
                this.generalScores = model.scorer(data);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("rebuilding " + model.modelName() + " needs its training data", e);
            }
            this.dim = 0;
            this.items = generalScores.items();
            this.userEmb = new float[0];
            this.itemEmb = new float[0];
        }
        this.itemColumns = new float[dim][items];
        for (int i = 0; i < items; i++) {
            for (int c = 0; c < dim; c++) {
                itemColumns[c][i] = itemEmb[i * dim + c];
            }
        }
        this.itemNorms = new float[items];
        for (int i = 0; i < items; i++) {
            double s = 0;
            for (int c = 0; c < dim; c++) {
                s += itemEmb[i * dim + c] * itemEmb[i * dim + c];
            }
            itemNorms[i] = (float) Math.sqrt(s);
        }
        int users = userIds.size();
        this.precomputed = Math.min(precompute, items);
        this.topItems = precomputed > 0 ? new int[users][] : null;
        this.topScores = precomputed > 0 ? new float[users][] : null;
        if (precomputed > 0 && generalScores == null) {
            Parallel.forRange(users, 64, (from, to) -> {
                for (int u = from; u < to; u++) {
                    keepBest(u, unseenScores(u));
                }
            });
        } else if (precomputed > 0) {
            // A general scorer does its work per batch (DiffRec denoises rows through all its steps):
            // one call per batch of users, not one per user.
            int batch = 256;
            float[] buf = new float[batch * items];
            for (int start = 0; start < users; start += batch) {
                int[] ids = new int[Math.min(batch, users - start)];
                for (int r = 0; r < ids.length; r++) {
                    ids[r] = start + r;
                }
                generalScores.score(ids, buf);
                for (int r = 0; r < ids.length; r++) {
                    float[] scores = java.util.Arrays.copyOfRange(buf, r * items, (r + 1) * items);
                    maskSeen(ids[r], scores);
                    keepBest(ids[r], scores);
                }
            }
        }
    }

    private void keepBest(int u, float[] unseen) {
        int[] best = new int[precomputed];
        int found = TopK.select(unseen, 0, items, precomputed, best, 0, new float[precomputed]);
        topItems[u] = java.util.Arrays.copyOf(best, found);
        topScores[u] = new float[found];
        for (int r = 0; r < found; r++) {
            topScores[u][r] = unseen[best[r]];
        }
    }

    /** How many best items per user were computed at start-up. */
    public int precomputed() {
        return precomputed;
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
        if (!includeSeen && k <= precomputed) {
            int n = Math.min(k, topItems[u].length);
            List<ScoredItem> out = new ArrayList<>(n);
            for (int r = 0; r < n; r++) {
                out.add(new ScoredItem(itemIds.externalId(topItems[u][r]), topScores[u][r]));
            }
            return out;
        }
        return top(includeSeen ? scores(u) : unseenScores(u), k, -1);
    }

    /** Whether {@link #similarItems} is available (models with item embeddings). */
    public boolean hasItemSimilarity() {
        return generalScores == null;
    }

    private float[] scores(int u) {
        if (generalScores == null) {
            return dotWithAllItems(userEmb, u * dim);
        }
        float[] out = new float[items];
        synchronized (generalScores) {
            generalScores.score(new int[] {u}, out);
        }
        return out;
    }

    /** The user's scores with training items at −∞. */
    private float[] unseenScores(int u) {
        float[] scores = scores(u);
        maskSeen(u, scores);
        return scores;
    }

    private void maskSeen(int u, float[] scores) {
        int[] ptr = train.userPtr();
        int[] seen = train.userItems();
        for (int p = ptr[u]; p < ptr[u + 1]; p++) {
            scores[seen[p]] = Float.NEGATIVE_INFINITY;
        }
    }

    public List<ScoredItem> similarItems(String itemId, int k) {
        if (!hasItemSimilarity()) {
            throw new UnsupportedOperationException("this model (" + modelName + ") has no item embeddings to compare");
        }
        int item = itemIds.index(itemId);
        if (item < 0 || item >= items) {
            throw new UnknownIdException("unknown item '" + itemId + "'");
        }
        float[] scores = dotWithAllItems(itemEmb, item * dim);
        for (int i = 0; i < items; i++) {
            float norm = itemNorms[item] * itemNorms[i];
            scores[i] = norm > 0 ? scores[i] / norm : 0f;
        }
        return top(scores, k, item);
    }

    /**
     * ⟨query, item i⟩ for every item, summed over dimensions in order (the same float result as
     * a per-item loop), with items innermost: no reduction chain, so the JIT emits SIMD code,
     * about 50× faster than one dependent sum per item.
     */
    private float[] dotWithAllItems(float[] queries, int offset) {
        float[] scores = new float[items];
        for (int c = 0; c < dim; c++) {
            float q = queries[offset + c];
            float[] column = itemColumns[c];
            for (int i = 0; i < items; i++) {
                scores[i] += q * column[i];
            }
        }
        return scores;
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
