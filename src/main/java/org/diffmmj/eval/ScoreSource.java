package org.diffmmj.eval;

/** Scores of users over all items; higher is better. */
public interface ScoreSource {

    int items();

    /** Fills out (users.length × items, row-major) with the users' scores. */
    void score(int[] users, float[] out);
}
