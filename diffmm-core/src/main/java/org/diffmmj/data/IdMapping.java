package org.diffmmj.data;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Between a dataset's own ids (strings) and dense indices; identity when ids are 0..n−1. */
public final class IdMapping {

    private final int size;
    private final List<String> ids;
    private final Map<String, Integer> index;

    private IdMapping(int size, List<String> ids) {
        this.size = size;
        this.ids = ids;
        if (ids == null) {
            this.index = null;
        } else {
            this.index = new HashMap<>(ids.size() * 2);
            for (int i = 0; i < ids.size(); i++) {
                if (index.put(ids.get(i), i) != null) {
                    throw new IllegalArgumentException("id '" + ids.get(i) + "' appears twice");
                }
            }
        }
    }

    public static IdMapping identity(int n) {
        return new IdMapping(n, null);
    }

    public static IdMapping of(List<String> ids) {
        return new IdMapping(ids.size(), List.copyOf(ids));
    }

    public int size() {
        return size;
    }

    public boolean isIdentity() {
        return ids == null;
    }

    public String externalId(int idx) {
        if (idx < 0 || idx >= size) {
            throw new IndexOutOfBoundsException("index " + idx + " outside [0, " + size + ")");
        }
        return ids == null ? Integer.toString(idx) : ids.get(idx);
    }

    /**
     * The index of an id, or −1 when unknown. Integer ids must be written canonically: "5", never
     * "+5", "05" or " 5 ", which would otherwise silently name user 5.
     */
    public int index(String externalId) {
        if (ids != null) {
            Integer i = index.get(externalId);
            return i == null ? -1 : i;
        }
        if (externalId == null || externalId.isEmpty() || externalId.length() > 10
                || !(externalId.equals("0") || externalId.matches("[1-9][0-9]*"))) {
            return -1;
        }
        long i = Long.parseLong(externalId);
        return i < size ? (int) i : -1;
    }
}
