package org.diffmmj.nn;

/** Index arithmetic models share. */
public final class Indices {

    private Indices() {
    }

    /**
     * {@code ids} shifted by {@code by}: item ids to their rows in a stacked [users; items] table,
     * where item i is row users + i.
     */
    public static int[] offset(int[] ids, int by) {
        int[] rows = new int[ids.length];
        for (int k = 0; k < ids.length; k++) {
            rows[k] = ids[k] + by;
        }
        return rows;
    }
}
