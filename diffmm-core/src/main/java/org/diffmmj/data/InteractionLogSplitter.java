package org.diffmmj.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * From the single raw interaction log users have (CSV/TSV: user,item[,rating][,timestamp]) to the
 * train/validation/test splits the trainer reads: optional minimum rating, one interaction per
 * (user, item), iterative k-core filtering, then a per-user split.
 *
 * <p>Follows RecBole's data preparation (RUCAIBox/RecBole@7b02be5, recbole/data/dataset/dataset.py):
 * the per-user ratio split counts are {@code _calcu_split_ids} (every part but the first rounded
 * down, a part whose share is below one interaction given one while the first keeps more than one;
 * ratios need not sum to 1), leave-one-out is {@code _split_index_by_leave_one_out} with two parts
 * held out (a user with two interactions gives its last to test, a user with one keeps it in
 * train), temporal ordering is by timestamp with ties in file order, and k-core is the fixed point
 * of {@code _filter_by_inter_num} with the same lower bound for users and items. Departures: a
 * repeated (user, item) keeps its earliest occurrence (RecBole keeps all unless {@code rm_dup_inter};
 * our interaction matrices are 0/1), and the random split shuffles each user's interactions with
 * that user's own {@link SplittableRandom}, seeded from the seed and the user's id alone
 * ({@link #userRandom}; RecBole shuffles the whole table with NumPy), so equal seeds give equal
 * splits on any machine, and a user's split does not depend on the other users or on the order
 * users are met: a distributed job (diffmm-spark's {@code prepare}) calls {@link #splitUser} per
 * user, in any order on any executor, and gets the same split.
 */
public final class InteractionLogSplitter implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    /** How each user's interactions are divided. */
    public enum Strategy {
        /** Shuffled with the seed, then cut by the ratios. */
        RANDOM,
        /** Sorted by timestamp (ties in file order), earliest to train, latest to test, cut by the ratios. */
        TEMPORAL,
        /** The last interaction (by timestamp, else file order) to test, the one before to validation. */
        LEAVE_ONE_OUT;

        public static Strategy parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
                case "random" -> RANDOM;
                case "temporal" -> TEMPORAL;
                case "leave-one-out", "loo" -> LEAVE_ONE_OUT;
                default -> throw new IllegalArgumentException("unknown split '" + s
                        + "'; choose random, temporal or leave-one-out");
            };
        }
    }

    /** What happened to the log, for people. */
    public record Stats(int records, int belowMinRating, int duplicates, int kCoreRounds, int usersBefore,
                        int itemsBefore, int interactionsBefore, int users, int items, int interactions,
                        int train, int validation, int test) {

        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("records", records);
            m.put("below_min_rating", belowMinRating);
            m.put("duplicate_pairs_dropped", duplicates);
            Map<String, Object> before = new LinkedHashMap<>();
            before.put("users", usersBefore);
            before.put("items", itemsBefore);
            before.put("interactions", interactionsBefore);
            m.put("before_k_core", before);
            m.put("k_core_rounds", kCoreRounds);
            m.put("users", users);
            m.put("items", items);
            m.put("interactions", interactions);
            m.put("density", users == 0 || items == 0 ? 0.0 : interactions / ((double) users * items));
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("train", train);
            s.put("validation", validation);
            s.put("test", test);
            m.put("splits", s);
            return m;
        }
    }

    /** The dataset and how it was made. */
    public record Result(Dataset dataset, Stats stats) {
    }

    private int kCore;
    private Double minRating;
    private Strategy strategy = Strategy.RANDOM;
    private double[] ratios = {0.8, 0.1, 0.1};
    private long seed = 42;
    private Character delimiter;

    /** Users and items with fewer than {@code k} interactions are removed, repeatedly (0 or 1: none). */
    public InteractionLogSplitter kCore(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("--k-core must be ≥ 0, got " + k);
        }
        this.kCore = k;
        return this;
    }

    /** Keeps only records whose rating is at least r (needs a rating column). */
    public InteractionLogSplitter minRating(Double r) {
        if (r != null && !Double.isFinite(r)) {
            throw new IllegalArgumentException("--min-rating must be a finite number");
        }
        this.minRating = r;
        return this;
    }

    public InteractionLogSplitter strategy(Strategy s) {
        this.strategy = s;
        return this;
    }

    /** Train, validation and test shares (normalised; leave-one-out ignores them). */
    public InteractionLogSplitter ratios(double... r) {
        if (r.length != 3) {
            throw new IllegalArgumentException("--ratios needs three values (train,validation,test), got " + r.length);
        }
        double sum = 0;
        for (double x : r) {
            if (!Double.isFinite(x) || x < 0) {
                throw new IllegalArgumentException("--ratios must be non-negative numbers, got " + Arrays.toString(r));
            }
            sum += x;
        }
        if (!(r[0] > 0) || !(r[1] > 0) || !(r[2] > 0)) {
            throw new IllegalArgumentException("--ratios: every split needs a positive share, got " + Arrays.toString(r));
        }
        this.ratios = new double[] {r[0] / sum, r[1] / sum, r[2] / sum};
        return this;
    }

    public InteractionLogSplitter seed(long s) {
        this.seed = s;
        return this;
    }

    /** The field delimiter; by default a tab for .tsv/.tab/.inter files and a comma otherwise. */
    public InteractionLogSplitter delimiter(Character d) {
        this.delimiter = d;
        return this;
    }

    /** One record of the log, in file order. */
    private record Event(int user, int item, double time, int line) {
    }

    public Result split(Path file) throws IOException {
        char delim = delimiter != null ? delimiter : defaultDelimiter(file);
        List<TextTables.Row> rows = TextTables.records(file, delim);
        if (rows.isEmpty()) {
            throw new DataFormatException(file + ": empty file (expected user" + delim + "item[" + delim + "rating]["
                    + delim + "timestamp] records)");
        }
        int[] cols = columns(file, rows.get(0));
        boolean header = cols[4] == 1;
        int uc = cols[0];
        int ic = cols[1];
        int rc = cols[2];
        int tc = cols[3];
        if (minRating != null && rc < 0) {
            throw new DataFormatException(file + ": --min-rating needs a rating column (user,item,rating[,timestamp])");
        }
        if (strategy == Strategy.TEMPORAL && tc < 0) {
            throw new DataFormatException(file + ": the temporal split needs a timestamp column "
                    + "(user,item,rating,timestamp or a header naming 'timestamp')");
        }
        int width = header ? rows.get(0).fields().length : -1;
        Map<String, Integer> userIndex = new HashMap<>();
        List<String> userNames = new ArrayList<>();
        Map<String, Integer> itemIndex = new HashMap<>();
        List<String> itemNames = new ArrayList<>();
        Map<Long, Integer> firstOf = new HashMap<>();
        List<Event> events = new ArrayList<>();
        int records = 0;
        int below = 0;
        int duplicates = 0;
        for (int r = header ? 1 : 0; r < rows.size(); r++) {
            TextTables.Row row = rows.get(r);
            records++;
            if (width < 0) {
                width = row.fields().length;
                if (width < 2 || width > 4) {
                    throw new DataFormatException(file + ":" + row.line() + ": " + width + " fields; expected user"
                            + delim + "item[" + delim + "rating][" + delim + "timestamp] (or a header naming the columns)");
                }
            } else if (row.fields().length != width) {
                throw new DataFormatException(file + ":" + row.line() + ": " + row.fields().length + " fields, expected "
                        + width + " like the " + (header ? "header" : "first record"));
            }
            String user = TextTables.id(file, row, uc, "user id");
            String item = TextTables.id(file, row, ic, "item id");
            double rating = rc >= 0 ? number(file, row, rc, "rating") : Double.NaN;
            double time = tc >= 0 ? number(file, row, tc, "timestamp") : records;
            if (minRating != null && rating < minRating) {
                below++;
                continue;
            }
            int u = userIndex.computeIfAbsent(user, k -> {
                userNames.add(k);
                return userNames.size() - 1;
            });
            int i = itemIndex.computeIfAbsent(item, k -> {
                itemNames.add(k);
                return itemNames.size() - 1;
            });
            long key = ((long) u << 32) | i;
            Integer at = firstOf.get(key);
            Event e = new Event(u, i, time, row.line());
            if (at == null) {
                firstOf.put(key, events.size());
                events.add(e);
            } else {
                duplicates++;
                if (time < events.get(at).time()) {
                    events.set(at, e);
                }
            }
        }
        if (events.isEmpty()) {
            throw new DataFormatException(file + ": no interactions left" + (below > 0 ? " (all " + below
                    + " records are below --min-rating " + minRating + ")" : ""));
        }
        int usersBefore = userNames.size();
        int itemsBefore = itemNames.size();
        int interactionsBefore = events.size();

        // Iterative k-core: drop users and items below k until none is.
        boolean[] alive = new boolean[events.size()];
        Arrays.fill(alive, true);
        int rounds = 0;
        if (kCore > 1) {
            int[] userDeg = new int[usersBefore];
            int[] itemDeg = new int[itemsBefore];
            for (Event e : events) {
                userDeg[e.user()]++;
                itemDeg[e.item()]++;
            }
            boolean changed = true;
            while (changed) {
                changed = false;
                boolean[] dropUser = new boolean[usersBefore];
                boolean[] dropItem = new boolean[itemsBefore];
                for (int u = 0; u < usersBefore; u++) {
                    dropUser[u] = userDeg[u] > 0 && userDeg[u] < kCore;
                }
                for (int i = 0; i < itemsBefore; i++) {
                    dropItem[i] = itemDeg[i] > 0 && itemDeg[i] < kCore;
                }
                for (int k = 0; k < events.size(); k++) {
                    Event e = events.get(k);
                    if (alive[k] && (dropUser[e.user()] || dropItem[e.item()])) {
                        alive[k] = false;
                        userDeg[e.user()]--;
                        itemDeg[e.item()]--;
                        changed = true;
                    }
                }
                if (changed) {
                    rounds++;
                }
            }
        }
        // Dense indices in order of first appearance among what is left.
        int[] userMap = new int[usersBefore];
        int[] itemMap = new int[itemsBefore];
        Arrays.fill(userMap, -1);
        Arrays.fill(itemMap, -1);
        List<String> users = new ArrayList<>();
        List<String> items = new ArrayList<>();
        List<List<Event>> byUser = new ArrayList<>();
        for (int k = 0; k < events.size(); k++) {
            if (!alive[k]) {
                continue;
            }
            Event e = events.get(k);
            if (userMap[e.user()] < 0) {
                userMap[e.user()] = users.size();
                users.add(userNames.get(e.user()));
                byUser.add(new ArrayList<>());
            }
            if (itemMap[e.item()] < 0) {
                itemMap[e.item()] = items.size();
                items.add(itemNames.get(e.item()));
            }
            byUser.get(userMap[e.user()]).add(new Event(userMap[e.user()], itemMap[e.item()], e.time(), e.line()));
        }
        if (users.isEmpty()) {
            throw new DataFormatException(file + ": nothing is left after the " + kCore + "-core filter ("
                    + interactionsBefore + " interactions of " + usersBefore + " users and " + itemsBefore + " items before it)");
        }
        int kept = 0;
        List<int[]>[] parts = new List[] {new ArrayList<int[]>(), new ArrayList<int[]>(), new ArrayList<int[]>()};
        for (int u = 0; u < byUser.size(); u++) {
            List<Event> list = byUser.get(u);
            kept += list.size();
            double[] times = new double[list.size()];
            for (int k = 0; k < times.length; k++) {
                times[k] = list.get(k).time();
            }
            UserSplit split = splitUser(users.get(u), times);
            int p = 0;
            for (int s = 0; s < 3; s++) {
                for (int c = 0; c < split.counts()[s]; c++, p++) {
                    Event e = list.get(split.order()[p]);
                    parts[s].add(new int[] {e.user(), e.item()});
                }
            }
        }
        String[] names = {"training", "validation", "test"};
        Interactions[] built = new Interactions[3];
        for (int s = 0; s < 3; s++) {
            if (parts[s].isEmpty()) {
                throw new DataFormatException(file + ": the " + names[s] + " split is empty: users have too few interactions"
                        + " for these ratios (" + users.size() + " users, " + kept + " interactions); use a larger --k-core"
                        + " or other ratios");
            }
            built[s] = Interactions.fromPairs(users.size(), items.size(), parts[s].stream().mapToInt(x -> x[0]).toArray(),
                    parts[s].stream().mapToInt(x -> x[1]).toArray());
        }
        String fname = file.getFileName().toString();
        String name = fname.contains(".") ? fname.substring(0, fname.lastIndexOf('.')) : fname;
        Dataset d = new Dataset(name, built[0], built[1], built[2], Map.of(), IdMapping.of(users), IdMapping.of(items));
        Stats stats = new Stats(records, below, duplicates, rounds, usersBefore, itemsBefore, interactionsBefore,
                users.size(), items.size(), kept, built[0].size(), built[1].size(), built[2].size());
        return new Result(d, stats);
    }

    /**
     * One user's split: {@code order} lists the positions of its interactions (as given, in log
     * order) in split order, the first {@code counts[0]} to training, the next {@code counts[1]}
     * to validation, the last {@code counts[2]} to test.
     */
    public record UserSplit(int[] order, int[] counts) implements java.io.Serializable {
    }

    /**
     * Splits one user's interactions, given in log order (first occurrence of each pair) with
     * their timestamps (the record number where the log has none): random shuffles them with
     * {@link #userRandom}(seed, userId) (Fisher–Yates from the last position down), temporal and
     * leave-one-out sort them by time, ties in log order; then RecBole's counts. Depends on
     * nothing but its arguments and this splitter's settings, so any process computes the same.
     */
    public UserSplit splitUser(String userId, double[] times) {
        int n = times.length;
        int[] order = new int[n];
        for (int k = 0; k < n; k++) {
            order[k] = k;
        }
        if (strategy == Strategy.RANDOM) {
            SplittableRandom random = userRandom(seed, userId);
            for (int k = n - 1; k > 0; k--) {
                int j = random.nextInt(k + 1);
                int t = order[k];
                order[k] = order[j];
                order[j] = t;
            }
        } else {
            // Stable: equal timestamps keep log order.
            Integer[] boxed = new Integer[n];
            for (int k = 0; k < n; k++) {
                boxed[k] = k;
            }
            Arrays.sort(boxed, (a, b) -> Double.compare(times[a], times[b]));
            for (int k = 0; k < n; k++) {
                order[k] = boxed[k];
            }
        }
        int[] counts = strategy == Strategy.LEAVE_ONE_OUT ? leaveOneOutCounts(n) : splitCounts(n, ratios);
        return new UserSplit(order, counts);
    }

    /**
     * The random split's stream for one user: a {@link SplittableRandom} seeded with the seed and
     * a 64-bit FNV-1a hash of the id's UTF-8 bytes, combined through SplitMix64's finaliser
     * (Stafford's mix 13), so distinct ids get unrelated streams and the stream depends on
     * (seed, id) alone.
     */
    public static SplittableRandom userRandom(long seed, String userId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : userId.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return new SplittableRandom(mix64(mix64(seed) ^ h));
    }

    private static long mix64(long z) {
        z += 0x9e3779b97f4a7c15L;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The settings, for a job that repeats the log-wide steps itself and calls {@link #splitUser}. */
    public int kCoreValue() {
        return kCore;
    }

    public Double minRatingValue() {
        return minRating;
    }

    public Strategy strategyValue() {
        return strategy;
    }

    /** The normalised train, validation and test shares. */
    public double[] ratiosValue() {
        return ratios.clone();
    }

    public long seedValue() {
        return seed;
    }

    /** RecBole's {@code _calcu_split_ids}: parts 2.. rounded down, tiny shares given one while the first keeps > 1. */
    static int[] splitCounts(int total, double[] ratios) {
        int[] cnt = new int[ratios.length];
        int rest = 0;
        for (int k = 1; k < ratios.length; k++) {
            cnt[k] = (int) (ratios[k] * total);
            rest += cnt[k];
        }
        cnt[0] = total - rest;
        for (int k = 1; k < ratios.length; k++) {
            if (cnt[0] <= 1) {
                break;
            }
            int idx = ratios.length - k;
            double share = ratios[idx] * total;
            if (share > 0 && share < 1) {
                cnt[idx]++;
                cnt[0]--;
            }
        }
        return cnt;
    }

    /** RecBole's {@code _split_index_by_leave_one_out} with two held-out parts. */
    static int[] leaveOneOutCounts(int total) {
        int held = Math.min(2, total - 1);
        return held == 2 ? new int[] {total - 2, 1, 1} : held == 1 ? new int[] {total - 1, 0, 1} : new int[] {total, 0, 0};
    }

    private static char defaultDelimiter(Path file) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".tsv") || n.endsWith(".tab") || n.endsWith(".inter") ? '\t' : ',';
    }

    private static final java.util.regex.Pattern DECIMAL =
            java.util.regex.Pattern.compile("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    /**
     * A rating or timestamp as this splitter reads it: a plain decimal number (no NaN, Infinity,
     * hex or type suffixes); NaN for anything else (null included), which readers refuse.
     */
    public static double parseDecimal(String v) {
        return v != null && DECIMAL.matcher(v).matches() ? Double.parseDouble(v) : Double.NaN;
    }

    /** A plain decimal number (no NaN, Infinity, hex or type suffixes), finite. */
    private static double number(Path file, TextTables.Row row, int col, String what) {
        String v = row.fields()[col];
        double x = parseDecimal(v);
        if (!Double.isFinite(x)) {
            throw new DataFormatException(file + ":" + row.line() + ": " + what + " " + DataFiles.excerpt(v)
                    + " is not a finite decimal number");
        }
        return x;
    }

    /**
     * Column positions {user, item, rating, timestamp, hasHeader} from the first record: a header
     * when it names user and item columns (RecBole's {@code user_id:token} style included), else
     * the positional user,item[,rating][,timestamp].
     */
    private static int[] columns(Path file, TextTables.Row first) {
        try {
            return logColumns(first.fields());
        } catch (IllegalArgumentException e) {
            throw new DataFormatException(file + ":" + first.line() + ": " + e.getMessage());
        }
    }

    /**
     * Column positions {user, item, rating, timestamp, hasHeader} (−1: absent; hasHeader 1 or 0)
     * of a log whose first record has these fields: a header when it names user and item columns
     * (user, user_id, uid, RecBole's user_id:token; item likewise; rating/score;
     * timestamp/time/ts), else positional user,item[,rating][,timestamp]. Throws
     * IllegalArgumentException for a header that names only one of user and item.
     */
    public static int[] logColumns(String[] f) {
        int u = -1;
        int i = -1;
        int r = -1;
        int t = -1;
        for (int k = 0; k < f.length; k++) {
            String n = f[k].strip().toLowerCase(Locale.ROOT);
            if (n.contains(":")) {
                n = n.substring(0, n.indexOf(':'));
            }
            n = n.replace("_", "");
            switch (n) {
                case "user", "userid", "uid" -> u = u < 0 ? k : u;
                case "item", "itemid", "iid" -> i = i < 0 ? k : i;
                case "rating", "ratings", "score" -> r = r < 0 ? k : r;
                case "timestamp", "time", "ts" -> t = t < 0 ? k : t;
                default -> {
                }
            }
        }
        if (u >= 0 && i >= 0) {
            return new int[] {u, i, r, t, 1};
        }
        if (u >= 0 || i >= 0) {
            throw new IllegalArgumentException("the header names "
                    + (u >= 0 ? "a user but no item" : "an item but no user") + " column");
        }
        return new int[] {0, 1, f.length >= 3 ? 2 : -1, f.length >= 4 ? 3 : -1, 0};
    }
}
