package org.diffmmj.nn;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

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

    /** The distinct values of a list, in order of first occurrence, and how often each occurs. */
    public record Counted(int[] values, float[] counts) {
    }

    /** {@code ids}' distinct values in order of first occurrence, with their counts. */
    public static Counted counted(int[] ids) {
        Map<Integer, Integer> slot = new HashMap<>();
        int[] values = new int[ids.length];
        float[] counts = new float[ids.length];
        int distinct = 0;
        for (int id : ids) {
            Integer k = slot.putIfAbsent(id, distinct);
            if (k == null) {
                values[distinct] = id;
                counts[distinct++] = 1f;
            } else {
                counts[k]++;
            }
        }
        return new Counted(Arrays.copyOf(values, distinct), Arrays.copyOf(counts, distinct));
    }
}
