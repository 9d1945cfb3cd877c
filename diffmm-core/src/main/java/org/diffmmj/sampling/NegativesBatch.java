package org.diffmmj.sampling;

/**
 * Interactions with {@code k} sampled negatives each (CLCRec-style): {@code negatives} is
 * size × k, row-major, so the negatives of interaction b are {@code negatives[b·k .. b·k+k)}.
 */
public record NegativesBatch(int[] users, int[] positives, int[] negatives, int k) implements Batch {

    public NegativesBatch {
        Batch.sameLength(users, positives);
        if (k < 1 || negatives.length != (long) users.length * k) {
            throw new IllegalArgumentException("need " + users.length + " × " + k + " negatives, got " + negatives.length);
        }
    }

    @Override
    public int size() {
        return users.length;
    }
}
