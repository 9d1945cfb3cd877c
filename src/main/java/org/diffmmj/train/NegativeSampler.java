package org.diffmmj.train;

import java.util.ArrayList;
import java.util.List;

import org.diffmmj.data.Interactions;
import org.diffmmj.random.Rng;

/**
 * Per-epoch BPR triples: every training interaction once, each with one negative drawn uniformly
 * from the items its user has not interacted with in training, shuffled, cut into batches (the
 * last, partial batch included).
 */
public final class NegativeSampler {

    private final Interactions train;

    public NegativeSampler(Interactions train) {
        this.train = train;
        for (int u = 0; u < train.users(); u++) {
            if (train.userDegree(u) >= train.items()) {
                throw new IllegalArgumentException("user " + u + " interacted with every item; no negative exists");
            }
        }
    }

    public List<TripleBatch> epoch(int batchSize, Rng rng) {
        int n = train.size();
        int[] pairUsers = train.pairUsers();
        int[] pairItems = train.pairItems();
        int[] order = new int[n];
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        rng.shuffle(order);
        int items = train.items();
        List<TripleBatch> batches = new ArrayList<>((n + batchSize - 1) / batchSize);
        for (int start = 0; start < n; start += batchSize) {
            int size = Math.min(batchSize, n - start);
            int[] users = new int[size];
            int[] pos = new int[size];
            int[] neg = new int[size];
            for (int k = 0; k < size; k++) {
                int pair = order[start + k];
                int u = pairUsers[pair];
                users[k] = u;
                pos[k] = pairItems[pair];
                int j;
                do {
                    j = rng.nextInt(items);
                } while (train.contains(u, j));
                neg[k] = j;
            }
            batches.add(new TripleBatch(users, pos, neg));
        }
        return batches;
    }
}
