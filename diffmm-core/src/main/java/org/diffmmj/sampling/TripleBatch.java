package org.diffmmj.sampling;

/** BPR triples: user, a training positive, a sampled negative (aligned arrays). */
public record TripleBatch(int[] users, int[] positives, int[] negatives) implements Batch {

    public TripleBatch {
        Batch.sameLength(users, positives);
        Batch.sameLength(users, negatives);
    }

    @Override
    public int size() {
        return users.length;
    }
}
