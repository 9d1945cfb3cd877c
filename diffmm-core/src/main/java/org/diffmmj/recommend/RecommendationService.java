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
    /** Dot-product scoring and top-k with seen items excluded, shared with the Spark batch job. */
    private final EmbeddingTopK scorer;
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
        this.scorer = new EmbeddingTopK(itemEmb, items, dim);
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
                    keepBest(u, scores(u));
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
                    keepBest(ids[r], java.util.Arrays.copyOfRange(buf, r * items, (r + 1) * items));
                }
            }
        }
    }

    /** The precomputed best unseen items of user u from its (unmasked) scores. */
    private void keepBest(int u, float[] scores) {
        int[] best = new int[precomputed];
        float[] bestScores = new float[precomputed];
        int found = topUnseen(u, scores, precomputed, best, bestScores);
        topItems[u] = java.util.Arrays.copyOf(best, found);
        topScores[u] = java.util.Arrays.copyOf(bestScores, found);
    }

    private int topUnseen(int u, float[] scores, int k, int[] best, float[] bestScores) {
        int[] ptr = train.userPtr();
        return EmbeddingTopK.topUnseen(scores, 0, items, train.userItems(), ptr[u], ptr[u + 1], k, best, bestScores,
                new float[Math.min(k, items)]);
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
        if (includeSeen) {
            return top(scores(u), k, -1);
        }
        int n = Math.min(k, items);
        int[] best = new int[n];
        float[] bestScores = new float[n];
        int found = topUnseen(u, scores(u), n, best, bestScores);
        List<ScoredItem> out = new ArrayList<>(found);
        for (int r = 0; r < found; r++) {
            out.add(new ScoredItem(itemIds.externalId(best[r]), bestScores[r]));
        }
        return out;
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

    /** ⟨query, item i⟩ for every item (the shared scorer's sums, in dimension order). */
    private float[] dotWithAllItems(float[] queries, int offset) {
        float[] scores = new float[items];
        scorer.scores(queries, offset, scores);
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
