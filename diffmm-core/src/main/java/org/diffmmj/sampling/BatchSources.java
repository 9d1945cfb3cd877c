package org.diffmmj.sampling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.diffmmj.data.Interactions;
import org.diffmmj.random.Rng;

/** The batch sources models choose from. */
public final class BatchSources {

    private BatchSources() {
    }

    /**
     * BPR triples: every training interaction once, in shuffled order, each with one negative
     * drawn uniformly from the items its user has not interacted with in training.
     */
    public static BatchSource triples(Interactions train) {
        requireNegatives(train);
        return (batchSize, rng) -> {
            List<TripleBatch> out = new ArrayList<>();
            for (Drawn d : interactions(train, batchSize, rng, 1)) {
                out.add(new TripleBatch(d.users, d.positives, d.negatives));
            }
            return out;
        };
    }

    /** Every training interaction once with {@code k} negatives, drawn as in {@link #triples}. */
    public static BatchSource negatives(Interactions train, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("negatives per positive must be >= 1, got " + k);
        }
        requireNegatives(train);
        return (batchSize, rng) -> {
            List<NegativesBatch> out = new ArrayList<>();
            for (Drawn d : interactions(train, batchSize, rng, k)) {
                out.add(new NegativesBatch(d.users, d.positives, d.negatives, k));
            }
            return out;
        };
    }

    /**
     * Every training interaction once with {@code k} negatives drawn uniformly, with replacement,
     * from {@code pool} (item ids) less the user's training items: CLCRec draws its negatives
     * among the warm items only. A user with no negative in the pool is refused.
     */
    public static BatchSource negatives(Interactions train, int k, int[] pool) {
        if (k < 1) {
            throw new IllegalArgumentException("negatives per positive must be >= 1, got " + k);
        }
        int[] candidates = pool.clone();
        boolean[] member = new boolean[train.items()];
        int distinct = 0;
        for (int item : candidates) {
            distinct += member[item] ? 0 : 1;
            member[item] = true;
        }
        int[] taken = new int[train.users()];
        int[] pairUsers = train.pairUsers();
        int[] pairItems = train.pairItems();
        for (int e = 0; e < pairUsers.length; e++) {
            taken[pairUsers[e]] += member[pairItems[e]] ? 1 : 0;
        }
        for (int u = 0; u < taken.length; u++) {
            if (train.userDegree(u) > 0 && taken[u] >= distinct) {
                throw new IllegalArgumentException("user " + u + " interacted with every item of the negative pool");
            }
        }
        return (batchSize, rng) -> {
            List<NegativesBatch> out = new ArrayList<>();
            for (Drawn d : interactions(train, batchSize, rng, k, candidates)) {
                out.add(new NegativesBatch(d.users, d.positives, d.negatives, k));
            }
            return out;
        };
    }

    /** Every training interaction once, in shuffled order, without negatives. */
    public static BatchSource positives(Interactions train) {
        return (batchSize, rng) -> {
            List<PositiveBatch> out = new ArrayList<>();
            for (Drawn d : interactions(train, batchSize, rng, 0)) {
                out.add(new PositiveBatch(d.users, d.positives));
            }
            return out;
        };
    }

    /** Every user once (those without training interactions too), in shuffled order. */
    public static BatchSource users(Interactions train) {
        return (batchSize, rng) -> {
            requireBatchSize(batchSize);
            int n = train.users();
            int[] order = identity(n);
            rng.shuffle(order);
            List<UserBatch> out = new ArrayList<>();
            for (int start = 0; start < n; start += batchSize) {
                out.add(new UserBatch(Arrays.copyOfRange(order, start, Math.min(n, start + batchSize))));
            }
            return out;
        };
    }

    private record Drawn(int[] users, int[] positives, int[] negatives) {
    }

    /** Shuffled interactions, each followed by its k negatives in the random stream. */
    private static List<Drawn> interactions(Interactions train, int batchSize, Rng rng, int k) {
        return interactions(train, batchSize, rng, k, null);
    }

    /** As above, the negatives drawn from {@code pool} (all items when null). */
    private static List<Drawn> interactions(Interactions train, int batchSize, Rng rng, int k, int[] pool) {
        requireBatchSize(batchSize);
        int n = train.size();
        int[] pairUsers = train.pairUsers();
        int[] pairItems = train.pairItems();
        int[] order = identity(n);
        rng.shuffle(order);
        int items = train.items();
        List<Drawn> batches = new ArrayList<>((n + batchSize - 1) / batchSize);
        for (int start = 0; start < n; start += batchSize) {
            int size = Math.min(batchSize, n - start);
            int[] users = new int[size];
            int[] pos = new int[size];
            int[] neg = new int[size * k];
            for (int b = 0; b < size; b++) {
                int pair = order[start + b];
                int u = pairUsers[pair];
                users[b] = u;
                pos[b] = pairItems[pair];
                for (int j = 0; j < k; j++) {
                    int item;
                    do {
                        item = pool == null ? rng.nextInt(items) : pool[rng.nextInt(pool.length)];
                    } while (train.contains(u, item));
                    neg[b * k + j] = item;
                }
            }
            batches.add(new Drawn(users, pos, neg));
        }
        return batches;
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    private static void requireBatchSize(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
    }

    private static void requireNegatives(Interactions train) {
        for (int u = 0; u < train.users(); u++) {
            if (train.userDegree(u) >= train.items()) {
                throw new IllegalArgumentException("user " + u + " interacted with every item; no negative exists");
            }
        }
    }
}
