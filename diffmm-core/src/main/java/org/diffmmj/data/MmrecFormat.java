package org.diffmmj.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.diffmmj.util.AtomicFiles;

/**
 * MMRec's format: one tab-separated {@code <name>.inter} with userID, itemID and x_label
 * (0 train, 1 validation, 2 test; 0-based integer ids) plus {@code <modality>_feat.npy}.
 */
public final class MmrecFormat {

    private MmrecFormat() {
    }

    public static Dataset read(Path dir) throws IOException {
        Path inter;
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().endsWith(".inter")).sorted().toList();
            if (found.size() != 1) {
                throw new DataFormatException(dir + ": expected exactly one .inter file, found " + found.size());
            }
            inter = found.get(0);
        } catch (IOException e) {
            throw DataFiles.failure(dir, "list", e);
        }
        TextTables.Table table = TextTables.readAll(inter, '\t');
        int u = TextTables.column(inter, table.header(), "userID");
        int i = TextTables.column(inter, table.header(), "itemID");
        int x = TextTables.column(inter, table.header(), "x_label");
        Map<String, FeatureMatrix> modalities = readFeatures(dir);
        // MMRec's ids are dense 0-based indices (its preprocessing remaps them), so no id can reach the
        // number of records (users) or of records and feature rows (items): a larger id is an unmapped
        // raw id, and trusting it would size arrays by it (id 2000000000 would allocate gigabytes).
        long records = table.rows().size();
        long itemBound = records;
        for (FeatureMatrix f : modalities.values()) {
            itemBound = Math.max(itemBound, f.rows());
        }
        List<int[]> parsed = new ArrayList<>();
        for (TextTables.Row row : table.rows()) {
            parsed.add(parseAt(inter, row, u, i, x, records, itemBound));
        }
        if (parsed.isEmpty()) {
            throw new DataFormatException(inter + ": no interactions");
        }
        int users = 0;
        int items = 0;
        for (int[] r : parsed) {
            users = Math.max(users, r[0] + 1);
            items = Math.max(items, r[1] + 1);
        }
        for (FeatureMatrix f : modalities.values()) {
            if (f.rows() < items) {
                throw new DataFormatException(dir.resolve(f.name() + "_feat.npy") + ": " + f.rows()
                        + " rows but " + inter.getFileName() + " names item " + (items - 1));
            }
            items = Math.max(items, f.rows());
        }
        Map<Long, int[]> seen = new java.util.HashMap<>();
        for (int[] r : parsed) {
            int[] before = seen.putIfAbsent((long) r[0] * items + r[1], r);
            if (before != null) {
                throw new DataFormatException(inter + ":" + r[3] + ": " + (before[2] == r[2]
                        ? "duplicate interaction (user " + r[0] + ", item " + r[1] + "), first on line " + before[3]
                        : "interaction (user " + r[0] + ", item " + r[1] + ") is in " + SPLIT_NAMES[r[2]] + " here and in "
                                + SPLIT_NAMES[before[2]] + " on line " + before[3] + "; the splits must not overlap"));
            }
        }
        Interactions[] splits = new Interactions[3];
        for (int s = 0; s < 3; s++) {
            final int label = s;
            int[] us = parsed.stream().filter(r -> r[2] == label).mapToInt(r -> r[0]).toArray();
            int[] is = parsed.stream().filter(r -> r[2] == label).mapToInt(r -> r[1]).toArray();
            if (us.length == 0) {
                throw new DataFormatException(inter + ": no " + SPLIT_NAMES[s] + " interactions (x_label " + s + ")");
            }
            try {
                splits[s] = Interactions.fromPairs(users, items, us, is);
            } catch (IllegalArgumentException e) {
                throw new DataFormatException(inter + ": " + e.getMessage());
            }
        }
        for (FeatureMatrix f : modalities.values()) {
            if (f.rows() != items) {
                throw new DataFormatException(dir.resolve(f.name() + "_feat.npy") + ": " + f.rows() + " rows for "
                        + items + " items");
            }
        }
        return new Dataset(inter.getFileName().toString().replace(".inter", ""), splits[0], splits[1], splits[2],
                modalities, IdMapping.identity(users), IdMapping.identity(items));
    }

    private static final String[] SPLIT_NAMES = {"train", "validation", "test"};

    private static int[] parseAt(Path file, TextTables.Row row, int u, int i, int x, long userBound, long itemBound) {
        String[] f = row.fields();
        int max = Math.max(u, Math.max(i, x));
        if (f.length <= max) {
            throw new DataFormatException(file + ":" + row.line() + ": expected at least " + (max + 1)
                    + " tab-separated fields, found " + f.length);
        }
        int user = index(file, row, f[u], "userID", userBound,
                "userIDs must be dense 0-based indices below the number of interactions (" + userBound + ")");
        int item = index(file, row, f[i], "itemID", itemBound,
                "itemIDs must be dense 0-based indices below the number of interactions or feature rows (" + itemBound + ")");
        int label = index(file, row, f[x], "x_label", 3, "x_label must be 0, 1 or 2");
        return new int[] {user, item, label, row.line()};
    }

    /** A canonical non-negative decimal ("0", "17"; not "+5", "05", " 5 ", "5.0") below a bound. */
    static int index(Path file, TextTables.Row row, String v, String what, long bound, String rule) {
        if (!CANONICAL.matcher(v).matches()) {
            throw new DataFormatException(file + ":" + row.line() + ": " + what + " " + DataFiles.excerpt(v)
                    + " is not a canonical non-negative integer (digits only, no sign, spaces or leading zeros)");
        }
        long value = v.length() > 10 ? Long.MAX_VALUE : Long.parseLong(v);
        if (value >= bound) {
            throw new DataFormatException(file + ":" + row.line() + ": " + what + " " + DataFiles.excerpt(v)
                    + " out of range: " + rule);
        }
        return (int) value;
    }

    private static final java.util.regex.Pattern CANONICAL = java.util.regex.Pattern.compile("0|[1-9][0-9]*");

    static Map<String, FeatureMatrix> readFeatures(Path dir) throws IOException {
        Map<String, FeatureMatrix> modalities = new LinkedHashMap<>();
        List<Path> featureFiles;
        try (Stream<Path> files = Files.list(dir)) {
            featureFiles = files.filter(p -> p.getFileName().toString().endsWith("_feat.npy")).sorted().toList();
        } catch (IOException e) {
            throw DataFiles.failure(dir, "list", e);
        }
        for (Path f : featureFiles) {
            String name = f.getFileName().toString().replace("_feat.npy", "");
            NpyIO.Matrix m = NpyIO.read(f);
            modalities.put(name, new FeatureMatrix(name, m.rows(), m.cols(), m.data()));
        }
        return modalities;
    }

    public static void write(Dataset data, Path dir) throws IOException {
        if (!data.userIds().isIdentity() || !data.itemIds().isIdentity()) {
            System.err.println("note: MMRec uses integer ids; string ids become their indices (see the csv format to keep them)");
        }
        Files.createDirectories(dir);
        StringBuilder sb = new StringBuilder("userID\titemID\tx_label\n");
        Interactions[] splits = {data.train(), data.validation(), data.test()};
        for (int s = 0; s < 3; s++) {
            int[] us = splits[s].pairUsers();
            int[] is = splits[s].pairItems();
            for (int k = 0; k < us.length; k++) {
                sb.append(us[k]).append('\t').append(is[k]).append('\t').append(s).append('\n');
            }
        }
        String name = data.name().replaceAll("[^A-Za-z0-9_-]", "_");
        AtomicFiles.write(dir.resolve(name + ".inter"), sb.toString().getBytes(StandardCharsets.UTF_8));
        for (FeatureMatrix f : data.modalities().values()) {
            NpyIO.writeFloat32(dir.resolve(f.name() + "_feat.npy"), f.rows(), f.cols(), f.data());
        }
    }
}
