package org.diffmmj.train;

/** One batch of BPR triples: user, a training positive, a sampled negative (aligned arrays). */
public record TripleBatch(int[] users, int[] positives, int[] negatives) {

    public TripleBatch {
        if (users.length != positives.length || users.length != negatives.length) {
            throw new IllegalArgumentException("triple arrays differ in length");
        }
    }

    public int size() {
        return users.length;
    }
}
