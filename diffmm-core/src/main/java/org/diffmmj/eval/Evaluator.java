package org.diffmmj.eval;

import java.util.LinkedHashMap;
import java.util.Map;

import org.diffmmj.data.Interactions;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.TopK;

/**
 * Full-ranking Recall, Precision and NDCG at several K, with the paper authors' definitions:
 * every item is ranked except the user's training items; users without held-out items are
 * skipped; Recall = hits/|held-out|, Precision = hits/K, NDCG = DCG/IDCG with rank 0-based,
 * gain 1/log2(rank+2) and IDCG over min(|held-out|, K). Ties rank the lower item index first.
 * Also, as RecBole defines them: Hit = 1 when any of the top K is held out; MRR = 1/(r+1) for the
 * first held-out item at 0-based rank r &lt; K, else 0; MAP = Σ over held-out items at ranks r &lt; K
 * of (hits among the first r+1)/(r+1), divided by min(|held-out|, K); item coverage = distinct
 * items in anyone's top K / all items (a property of the whole list, not a mean over users).
 */
public final class Evaluator {

    /** The names a selection metric may take before "@K". */
    public static final java.util.List<String> METRICS = java.util.List.of("recall", "ndcg", "precision", "hit", "mrr",
            "map", "coverage");
    private static final int PER_USER = 6;

    private final int[] ks;

    public Evaluator(int... ks) {
        if (ks.length == 0) {
            throw new IllegalArgumentException("at least one K is needed");
        }
        for (int k : ks) {
            if (k <= 0) {
                throw new IllegalArgumentException("K must be > 0, got " + k);
            }
        }
        this.ks = ks.clone();
    }

    public static Evaluator defaults() {
        return new Evaluator(10, 20, 50);
    }

    public MetricReport evaluate(ScoreSource scores, Interactions train, Interactions heldOut) {
        return evaluate(scores, train, heldOut, 1024);
    }

    public MetricReport evaluate(ScoreSource scores, Interactions train, Interactions heldOut, int batchUsers) {
        return evaluate(scores, train, heldOut, batchUsers, null);
    }

    /**
     * One metric per evaluated user (those of {@code heldOut.usersWithInteractions()}, in that
     * order), for paired tests between models: {@code metric} is recall, precision, ndcg, hit, mrr
     * or map at one of this evaluator's K; the values' mean is {@link #evaluate}'s figure.
     */
    public double[] perUser(ScoreSource scores, Interactions train, Interactions heldOut, String metric) {
        String[] parts = metric.split("@");
        int kk = -1;
        for (int i = 0; i < ks.length; i++) {
            if (parts.length == 2 && Integer.toString(ks[i]).equals(parts[1])) {
                kk = i;
            }
        }
        int column = java.util.List.of("recall", "precision", "ndcg", "hit", "mrr", "map").indexOf(parts[0]);
        if (kk < 0 || column < 0) {
            throw new IllegalArgumentException("no per-user metric '" + metric + "' (K among " + java.util.Arrays.toString(ks)
                    + "; recall, precision, ndcg, hit, mrr or map)");
        }
        double[][] rows = new double[heldOut.usersWithInteractions().length][];
        evaluate(scores, train, heldOut, 1024, rows);
        double[] out = new double[rows.length];
        for (int u = 0; u < rows.length; u++) {
            out[u] = rows[u][PER_USER * kk + column];
        }
        return out;
    }

    private MetricReport evaluate(ScoreSource scores, Interactions train, Interactions heldOut, int batchUsers,
                                  double[][] keepRows) {
        int items = scores.items();
        if (items != heldOut.items() || items != train.items()) {
            throw new IllegalArgumentException("scores cover " + items + " items, the data " + heldOut.items());
        }
        int[] users = heldOut.usersWithInteractions();
        int maxK = 0;
        for (int k : ks) {
            maxK = Math.max(maxK, k);
        }
        int topK = Math.min(maxK, items);
        double[] recall = new double[ks.length];
        double[] precision = new double[ks.length];
        double[] ndcg = new double[ks.length];
        double[] hit = new double[ks.length];
        double[] mrr = new double[ks.length];
        double[] map = new double[ks.length];
        // Set from several threads, read after they have all joined.
        boolean[][] recommended = new boolean[ks.length][items];
        float[] buf = new float[Math.min(batchUsers, Math.max(1, users.length)) * items];
        for (int start = 0; start < users.length; start += batchUsers) {
            int size = Math.min(batchUsers, users.length - start);
            int[] batch = java.util.Arrays.copyOfRange(users, start, start + size);
            scores.score(batch, buf);
            double[][] perUser = new double[size][PER_USER * ks.length];
            Parallel.forRange(size, 8, (from, to) -> {
                int[] top = new int[topK];
                float[] best = new float[topK];
                for (int r = from; r < to; r++) {
                    int u = batch[r];
                    int base = r * items;
                    int[] trainPtr = train.userPtr();
                    int[] trainItems = train.userItems();
                    for (int p = trainPtr[u]; p < trainPtr[u + 1]; p++) {
                        buf[base + trainItems[p]] = Float.NEGATIVE_INFINITY;
                    }
                    int found = TopK.select(buf, base, items, topK, top, 0, best);
                    int relevant = heldOut.userDegree(u);
                    for (int kk = 0; kk < ks.length; kk++) {
                        int k = ks[kk];
                        int hits = 0;
                        double dcg = 0;
                        double reciprocalRank = 0;
                        double precisionSum = 0;
                        for (int rank = 0; rank < Math.min(k, found); rank++) {
                            recommended[kk][top[rank]] = true;
                            if (heldOut.contains(u, top[rank])) {
                                hits++;
                                dcg += 1 / log2(rank + 2);
                                if (reciprocalRank == 0) {
                                    reciprocalRank = 1.0 / (rank + 1);
                                }
                                precisionSum += (double) hits / (rank + 1);
                            }
                        }
                        double idcg = 0;
                        for (int rank = 0; rank < Math.min(relevant, k); rank++) {
                            idcg += 1 / log2(rank + 2);
                        }
                        double[] row = perUser[r];
                        int at = PER_USER * kk;
                        row[at] = (double) hits / relevant;
                        row[at + 1] = (double) hits / k;
                        row[at + 2] = dcg / idcg;
                        row[at + 3] = hits > 0 ? 1 : 0;
                        row[at + 4] = reciprocalRank;
                        row[at + 5] = precisionSum / Math.min(relevant, k);
                    }
                }
            });
            if (keepRows != null) {
                System.arraycopy(perUser, 0, keepRows, start, size);
            }
            // Summed in user order so the means do not depend on thread timing.
            for (double[] row : perUser) {
                for (int kk = 0; kk < ks.length; kk++) {
                    int at = PER_USER * kk;
                    recall[kk] += row[at];
                    precision[kk] += row[at + 1];
                    ndcg[kk] += row[at + 2];
                    hit[kk] += row[at + 3];
                    mrr[kk] += row[at + 4];
                    map[kk] += row[at + 5];
                }
            }
        }
        Map<String, Double> values = new LinkedHashMap<>();
        int n = Math.max(1, users.length);
        for (int kk = 0; kk < ks.length; kk++) {
            values.put("recall@" + ks[kk], recall[kk] / n);
            values.put("ndcg@" + ks[kk], ndcg[kk] / n);
            values.put("precision@" + ks[kk], precision[kk] / n);
        }
        for (int kk = 0; kk < ks.length; kk++) {
            values.put("hit@" + ks[kk], hit[kk] / n);
            values.put("mrr@" + ks[kk], mrr[kk] / n);
            values.put("map@" + ks[kk], map[kk] / n);
            int covered = 0;
            for (boolean b : recommended[kk]) {
                covered += b ? 1 : 0;
            }
            values.put("coverage@" + ks[kk], users.length == 0 ? 0 : (double) covered / items);
        }
        return new MetricReport(values, users.length);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}
