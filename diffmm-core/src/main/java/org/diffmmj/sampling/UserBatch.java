package org.diffmmj.sampling;

/** Users whose whole interaction rows a model trains on (DiffRec-style). */
public record UserBatch(int[] users) implements Batch {

    @Override
    public int size() {
        return users.length;
    }
}
