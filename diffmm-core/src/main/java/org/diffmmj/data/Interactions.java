package org.diffmmj.data;

import java.util.Arrays;

/**
 * An immutable 0/1 user×item matrix, stored twice in compressed form (by user and by item) and
 * never densely. Items of a user are sorted, so membership is a binary search.
 */
public final class Interactions {

    private final int users;
    private final int items;
    private final int[] userPtr;
    private final int[] userItems;
    private final int[] itemPtr;
    private final int[] itemUsers;

    private Interactions(int users, int items, int[] userPtr, int[] userItems, int[] itemPtr, int[] itemUsers) {
        this.users = users;
        this.items = items;
        this.userPtr = userPtr;
        this.userItems = userItems;
        this.itemPtr = itemPtr;
        this.itemUsers = itemUsers;
    }

    /**
     * Builds from aligned (user, item) pairs. Throws IllegalArgumentException naming the pair for
     * an index out of range or a repeated pair (readers add the file and line).
     */
    public static Interactions fromPairs(int users, int items, int[] userIdx, int[] itemIdx) {
        if (users < 0 || items < 0) {
            throw new IllegalArgumentException("negative matrix size " + users + "×" + items);
        }
        if (userIdx.length != itemIdx.length) {
            throw new IllegalArgumentException("user and item arrays differ in length: " + userIdx.length + " vs "
                    + itemIdx.length);
        }
        int n = userIdx.length;
        int[] uptr = new int[users + 1];
        for (int k = 0; k < n; k++) {
            int u = userIdx[k];
            int i = itemIdx[k];
            if (u < 0 || u >= users) {
                throw new IllegalArgumentException("entry " + k + ": user index " + u + " outside [0, " + users + ")");
            }
            if (i < 0 || i >= items) {
                throw new IllegalArgumentException("entry " + k + ": item index " + i + " outside [0, " + items + ")");
            }
            uptr[u + 1]++;
        }
        for (int u = 0; u < users; u++) {
            uptr[u + 1] += uptr[u];
        }
        int[] next = Arrays.copyOf(uptr, users);
        int[] uitems = new int[n];
        int[] origin = new int[n];
        for (int k = 0; k < n; k++) {
            int p = next[userIdx[k]]++;
            uitems[p] = itemIdx[k];
            origin[p] = k;
        }
        for (int u = 0; u < users; u++) {
            Arrays.sort(uitems, uptr[u], uptr[u + 1]);
            for (int p = uptr[u] + 1; p < uptr[u + 1]; p++) {
                if (uitems[p] == uitems[p - 1]) {
                    throw new IllegalArgumentException("duplicate interaction (user " + u + ", item " + uitems[p] + ")");
                }
            }
        }
        int[] iptr = new int[items + 1];
        for (int i : uitems) {
            iptr[i + 1]++;
        }
        for (int i = 0; i < items; i++) {
            iptr[i + 1] += iptr[i];
        }
        int[] inext = Arrays.copyOf(iptr, items);
        int[] iusers = new int[n];
        for (int u = 0; u < users; u++) {
            for (int p = uptr[u]; p < uptr[u + 1]; p++) {
                iusers[inext[uitems[p]]++] = u;
            }
        }
        return new Interactions(users, items, uptr, uitems, iptr, iusers);
    }

    public int users() {
        return users;
    }

    public int items() {
        return items;
    }

    public int size() {
        return userItems.length;
    }

    public int[] userPtr() {
        return userPtr;
    }

    public int[] userItems() {
        return userItems;
    }

    public int[] itemPtr() {
        return itemPtr;
    }

    public int[] itemUsers() {
        return itemUsers;
    }

    public int userDegree(int u) {
        return userPtr[u + 1] - userPtr[u];
    }

    public int itemDegree(int i) {
        return itemPtr[i + 1] - itemPtr[i];
    }

    public boolean contains(int u, int i) {
        return Arrays.binarySearch(userItems, userPtr[u], userPtr[u + 1], i) >= 0;
    }

    public int[] itemsOf(int u) {
        return Arrays.copyOfRange(userItems, userPtr[u], userPtr[u + 1]);
    }

    /** Users of each pair, user-major, aligned with {@link #pairItems()}. */
    public int[] pairUsers() {
        int[] out = new int[userItems.length];
        for (int u = 0; u < users; u++) {
            Arrays.fill(out, userPtr[u], userPtr[u + 1], u);
        }
        return out;
    }

    public int[] pairItems() {
        return userItems.clone();
    }

    public int[] usersWithInteractions() {
        return java.util.stream.IntStream.range(0, users).filter(u -> userDegree(u) > 0).toArray();
    }

    /**
     * The pairs whose item has no interaction in {@code reference} (cold items: for a held-out
     * split against the training split, the interactions a pure collaborative model cannot rank
     * from data). Same users and items; the pairs keep their order.
     */
    public Interactions onlyItemsAbsentFrom(Interactions reference) {
        if (reference.items != items || reference.users != users) {
            throw new IllegalArgumentException("onlyItemsAbsentFrom: " + users + "x" + items + " pairs against a "
                    + reference.users + "x" + reference.items + " reference");
        }
        int[] u = pairUsers();
        int[] i = pairItems();
        int kept = 0;
        for (int k = 0; k < i.length; k++) {
            if (reference.itemDegree(i[k]) == 0) {
                u[kept] = u[k];
                i[kept] = i[k];
                kept++;
            }
        }
        return fromPairs(users, items, java.util.Arrays.copyOf(u, kept), java.util.Arrays.copyOf(i, kept));
    }

    /** The first (user, item) pair, user-major, that is also in {@code other}, or null. */
    public int[] firstCommonPair(Interactions other) {
        for (int u = 0; u < Math.min(users, other.users); u++) {
            for (int p = userPtr[u]; p < userPtr[u + 1]; p++) {
                if (userItems[p] < other.items && other.contains(u, userItems[p])) {
                    return new int[] {u, userItems[p]};
                }
            }
        }
        return null;
    }

    /** True when no (user, item) pair is in both. */
    public boolean disjointFrom(Interactions other) {
        for (int u = 0; u < Math.min(users, other.users); u++) {
            for (int p = userPtr[u]; p < userPtr[u + 1]; p++) {
                if (other.contains(u, userItems[p])) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Interactions other && users == other.users && items == other.items
                && Arrays.equals(userPtr, other.userPtr) && Arrays.equals(userItems, other.userItems);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(userPtr) + Arrays.hashCode(userItems);
    }
}
