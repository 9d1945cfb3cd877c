package org.diffmmj.sampling;

/** Training interactions without negatives (BM3-style models that need none). */
public record PositiveBatch(int[] users, int[] positives) implements Batch {

    public PositiveBatch {
        Batch.sameLength(users, positives);
    }

    @Override
    public int size() {
        return users.length;
    }
}
