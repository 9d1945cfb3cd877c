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
 * Plain CSV: train.csv, val.csv, test.csv with user,item columns (any string ids), items.csv
 * listing item ids in feature-row order (column item), and {@code <modality>_feat.npy} or
 * {@code <modality>_feat.csv} (one row of numbers per item, no header). Users are indexed in
 * the order of users.csv when present, else of first appearance; every output can speak the original ids.
 */
public final class CsvFormat {

    private static final String[] SPLITS = {"train.csv", "val.csv", "test.csv"};

    private CsvFormat() {
    }

    public static Dataset read(Path dir) throws IOException {
        return read(dir, ',');
    }

    /** Reads with another field delimiter (tab, semicolon ...) for every .csv file of the directory. */
    public static Dataset read(Path dir, char delimiter) throws IOException {
        List<String> itemIds = new ArrayList<>();
        Map<String, Integer> itemIndex = new LinkedHashMap<>();
        Path itemsFile = dir.resolve("items.csv");
        boolean fixedItems = Files.isRegularFile(itemsFile);
        if (fixedItems) {
            TextTables.Table items = TextTables.readAll(itemsFile, delimiter);
            int col = TextTables.column(itemsFile, items.header(), "item");
            for (TextTables.Row row : items.rows()) {
                String id = TextTables.id(itemsFile, row, col, "item id");
                if (itemIndex.putIfAbsent(id, itemIds.size()) != null) {
                    throw new DataFormatException(itemsFile + ":" + row.line() + ": item " + DataFiles.excerpt(id) + " listed twice");
                }
                itemIds.add(id);
            }
        }
        List<String> userIds = new ArrayList<>();
        Map<String, Integer> userIndex = new LinkedHashMap<>();
        Path usersFile = dir.resolve("users.csv");
        if (Files.isRegularFile(usersFile)) {
            TextTables.Table users = TextTables.readAll(usersFile, delimiter);
            int col = TextTables.column(usersFile, users.header(), "user");
            for (TextTables.Row row : users.rows()) {
                String id = TextTables.id(usersFile, row, col, "user id");
                if (userIndex.putIfAbsent(id, userIds.size()) != null) {
                    throw new DataFormatException(usersFile + ":" + row.line() + ": user " + DataFiles.excerpt(id) + " listed twice");
                }
                userIds.add(id);
            }
        }
        List<List<int[]>> splits = new ArrayList<>();
        for (String name : SPLITS) {
            Path file = dir.resolve(name);
            TextTables.Table table = TextTables.readAll(file, delimiter);
            int uc = TextTables.column(file, table.header(), "user");
            int ic = TextTables.column(file, table.header(), "item");
            List<int[]> pairs = new ArrayList<>();
            for (TextTables.Row row : table.rows()) {
                String user = TextTables.id(file, row, uc, "user id");
                String item = TextTables.id(file, row, ic, "item id");
                Integer u = userIndex.get(user);
                if (u == null) {
                    u = userIds.size();
                    userIndex.put(user, u);
                    userIds.add(user);
                }
                Integer i = itemIndex.get(item);
                if (i == null) {
                    if (fixedItems) {
                        throw new DataFormatException(file + ":" + row.line() + ": item " + DataFiles.excerpt(item) + " is not in items.csv");
                    }
                    i = itemIds.size();
                    itemIndex.put(item, i);
                    itemIds.add(item);
                }
                pairs.add(new int[] {u, i, row.line()});
            }
            if (pairs.isEmpty()) {
                throw new DataFormatException(file + ": no interactions (every split needs at least one)");
            }
            splits.add(pairs);
        }
        int users = userIds.size();
        int items = itemIds.size();
        Interactions[] built = new Interactions[3];
        Map<Long, int[]> seen = new java.util.HashMap<>();
        for (int s = 0; s < 3; s++) {
            List<int[]> pairs = splits.get(s);
            for (int[] p : pairs) {
                int[] before = seen.putIfAbsent((long) p[0] * items + p[1], new int[] {s, p[2]});
                if (before != null) {
                    String what = "(user " + DataFiles.excerpt(userIds.get(p[0])) + ", item "
                            + DataFiles.excerpt(itemIds.get(p[1])) + ")";
                    throw new DataFormatException(dir.resolve(SPLITS[s]) + ":" + p[2] + ": " + (before[0] == s
                            ? "duplicate interaction " + what + ", first on line " + before[1]
                            : "interaction " + what + " is also in " + SPLITS[before[0]] + " line " + before[1]
                                    + "; the splits must not overlap"));
                }
            }
            built[s] = Interactions.fromPairs(users, items, pairs.stream().mapToInt(p -> p[0]).toArray(),
                    pairs.stream().mapToInt(p -> p[1]).toArray());
        }
        Map<String, FeatureMatrix> modalities = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches(".+_feat\\.(npy|csv)")).sorted().toList()) {
                String fname = f.getFileName().toString();
                String name = fname.substring(0, fname.length() - "_feat.npy".length());
                if (modalities.containsKey(name)) {
                    throw new DataFormatException(f + ": modality '" + name + "' given twice (.npy and .csv)");
                }
                if (!fixedItems) {
                    throw new DataFormatException(f + ": features need items.csv to say which row is which item");
                }
                FeatureMatrix m = fname.endsWith(".npy") ? fromNpy(f, name) : fromCsv(f, name, delimiter);
                if (m.rows() != items) {
                    throw new DataFormatException(f + ": " + m.rows() + " feature rows, items.csv lists " + items + " items");
                }
                modalities.put(name, m);
            }
        }
        Path abs = dir.toAbsolutePath().normalize();
        return new Dataset(abs.getFileName() == null ? abs.toString() : abs.getFileName().toString(), built[0], built[1], built[2],
                modalities, IdMapping.of(userIds), IdMapping.of(itemIds));
    }

    private static FeatureMatrix fromNpy(Path f, String name) throws IOException {
        NpyIO.Matrix m = NpyIO.read(f);
        return new FeatureMatrix(name, m.rows(), m.cols(), m.data());
    }

    private static FeatureMatrix fromCsv(Path f, String name, char delimiter) throws IOException {
        List<TextTables.Row> lines = TextTables.records(f, delimiter);
        if (lines.isEmpty()) {
            throw new DataFormatException(f + ": no feature rows");
        }
        int width = lines.get(0).fields().length;
        long total;
        try {
            total = Math.multiplyExact((long) lines.size(), (long) width);
        } catch (ArithmeticException e) {
            total = Long.MAX_VALUE;
        }
        if (total > DataFiles.MAX_ARRAY) {
            throw new DataFormatException(f + ": " + lines.size() + " rows × " + width + " values exceed one Java array");
        }
        float[] data = new float[(int) total];
        for (int r = 0; r < lines.size(); r++) {
            TextTables.Row row = lines.get(r);
            String[] parts = row.fields();
            if (parts.length != width) {
                throw new DataFormatException(f + ":" + row.line() + ": " + parts.length + " values, expected " + width);
            }
            for (int c = 0; c < width; c++) {
                float v;
                try {
                    v = Float.parseFloat(parts[c].strip());
                } catch (NumberFormatException e) {
                    throw new DataFormatException(f + ":" + row.line() + ": column " + (c + 1) + " is not a number: "
                            + DataFiles.excerpt(parts[c]));
                }
                if (!Float.isFinite(v)) {
                    throw new DataFormatException(f + ":" + row.line() + ": non-finite value in column " + (c + 1));
                }
                data[r * width + c] = v;
            }
        }
        return new FeatureMatrix(name, lines.size(), width, data);
    }

    public static void write(Dataset data, Path dir) throws IOException {
        Files.createDirectories(dir);
        Interactions[] splits = {data.train(), data.validation(), data.test()};
        for (int s = 0; s < 3; s++) {
            StringBuilder sb = new StringBuilder("user,item\n");
            int[] us = splits[s].pairUsers();
            int[] is = splits[s].pairItems();
            for (int k = 0; k < us.length; k++) {
                sb.append(TextTables.format(',', data.userIds().externalId(us[k]), data.itemIds().externalId(is[k])));
            }
            AtomicFiles.write(dir.resolve(SPLITS[s]), sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        StringBuilder users = new StringBuilder("user\n");
        for (int u = 0; u < data.users(); u++) {
            users.append(TextTables.format(',', data.userIds().externalId(u)));
        }
        AtomicFiles.write(dir.resolve("users.csv"), users.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder items = new StringBuilder("item\n");
        for (int i = 0; i < data.items(); i++) {
            items.append(TextTables.format(',', data.itemIds().externalId(i)));
        }
        AtomicFiles.write(dir.resolve("items.csv"), items.toString().getBytes(StandardCharsets.UTF_8));
        for (FeatureMatrix f : data.modalities().values()) {
            NpyIO.writeFloat32(dir.resolve(f.name() + "_feat.npy"), f.rows(), f.cols(), f.data());
        }
    }
}
