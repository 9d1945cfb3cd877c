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
        List<String> itemIds = new ArrayList<>();
        Map<String, Integer> itemIndex = new LinkedHashMap<>();
        Path itemsFile = dir.resolve("items.csv");
        boolean fixedItems = Files.isRegularFile(itemsFile);
        if (fixedItems) {
            TextTables.Table items = TextTables.readAll(itemsFile, ",");
            int col = TextTables.column(itemsFile, items.header(), "item");
            for (TextTables.Row row : items.rows()) {
                String id = field(itemsFile, row, col);
                if (itemIndex.putIfAbsent(id, itemIds.size()) != null) {
                    throw new DataFormatException(itemsFile + ":" + row.line() + ": item '" + id + "' listed twice");
                }
                itemIds.add(id);
            }
        }
        List<String> userIds = new ArrayList<>();
        Map<String, Integer> userIndex = new LinkedHashMap<>();
        Path usersFile = dir.resolve("users.csv");
        if (Files.isRegularFile(usersFile)) {
            TextTables.Table users = TextTables.readAll(usersFile, ",");
            int col = TextTables.column(usersFile, users.header(), "user");
            for (TextTables.Row row : users.rows()) {
                String id = field(usersFile, row, col);
                if (userIndex.putIfAbsent(id, userIds.size()) != null) {
                    throw new DataFormatException(usersFile + ":" + row.line() + ": user '" + id + "' listed twice");
                }
                userIds.add(id);
            }
        }
        List<List<int[]>> splits = new ArrayList<>();
        for (String name : SPLITS) {
            Path file = dir.resolve(name);
            TextTables.Table table = TextTables.readAll(file, ",");
            int uc = TextTables.column(file, table.header(), "user");
            int ic = TextTables.column(file, table.header(), "item");
            List<int[]> pairs = new ArrayList<>();
            for (TextTables.Row row : table.rows()) {
                String user = field(file, row, uc);
                String item = field(file, row, ic);
                Integer u = userIndex.get(user);
                if (u == null) {
                    u = userIds.size();
                    userIndex.put(user, u);
                    userIds.add(user);
                }
                Integer i = itemIndex.get(item);
                if (i == null) {
                    if (fixedItems) {
                        throw new DataFormatException(file + ":" + row.line() + ": item '" + item + "' is not in items.csv");
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
        for (int s = 0; s < 3; s++) {
            List<int[]> pairs = splits.get(s);
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (int[] p : pairs) {
                if (!seen.add((long) p[0] * items + p[1])) {
                    throw new DataFormatException(dir.resolve(SPLITS[s]) + ":" + p[2] + ": duplicate interaction (user '"
                            + userIds.get(p[0]) + "', item '" + itemIds.get(p[1]) + "')");
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
                FeatureMatrix m = fname.endsWith(".npy") ? fromNpy(f, name) : fromCsv(f, name);
                if (m.rows() != items) {
                    throw new DataFormatException(f + ": " + m.rows() + " feature rows, items.csv lists " + items + " items");
                }
                modalities.put(name, m);
            }
        }
        return new Dataset(dir.toAbsolutePath().normalize().getFileName().toString(), built[0], built[1], built[2],
                modalities, IdMapping.of(userIds), IdMapping.of(itemIds));
    }

    private static String field(Path file, TextTables.Row row, int col) {
        if (col >= row.fields().length || row.fields()[col].isEmpty()) {
            throw new DataFormatException(file + ":" + row.line() + ": missing value in column " + (col + 1));
        }
        return row.fields()[col];
    }

    private static FeatureMatrix fromNpy(Path f, String name) throws IOException {
        NpyIO.Matrix m = NpyIO.read(f);
        return new FeatureMatrix(name, m.rows(), m.cols(), m.data());
    }

    private static FeatureMatrix fromCsv(Path f, String name) throws IOException {
        List<String> lines = TextTables.lines(f);
        List<float[]> rows = new ArrayList<>();
        int width = -1;
        for (int k = 0; k < lines.size(); k++) {
            String line = lines.get(k);
            if (line.isBlank()) {
                continue;
            }
            String[] parts = line.split(",");
            if (width < 0) {
                width = parts.length;
            } else if (parts.length != width) {
                throw new DataFormatException(f + ":" + (k + 1) + ": " + parts.length + " values, expected " + width);
            }
            float[] row = new float[width];
            for (int c = 0; c < width; c++) {
                try {
                    row[c] = Float.parseFloat(parts[c].trim());
                } catch (NumberFormatException e) {
                    throw new DataFormatException(f + ":" + (k + 1) + ": column " + (c + 1) + " is not a number: '"
                            + parts[c].trim() + "'");
                }
                if (!Float.isFinite(row[c])) {
                    throw new DataFormatException(f + ":" + (k + 1) + ": non-finite value in column " + (c + 1));
                }
            }
            rows.add(row);
        }
        if (rows.isEmpty()) {
            throw new DataFormatException(f + ": no feature rows");
        }
        float[] data = new float[rows.size() * width];
        for (int r = 0; r < rows.size(); r++) {
            System.arraycopy(rows.get(r), 0, data, r * width, width);
        }
        return new FeatureMatrix(name, rows.size(), width, data);
    }

    public static void write(Dataset data, Path dir) throws IOException {
        Files.createDirectories(dir);
        Interactions[] splits = {data.train(), data.validation(), data.test()};
        for (int s = 0; s < 3; s++) {
            StringBuilder sb = new StringBuilder("user,item\n");
            int[] us = splits[s].pairUsers();
            int[] is = splits[s].pairItems();
            for (int k = 0; k < us.length; k++) {
                sb.append(data.userIds().externalId(us[k])).append(',').append(data.itemIds().externalId(is[k])).append('\n');
            }
            AtomicFiles.write(dir.resolve(SPLITS[s]), sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        StringBuilder users = new StringBuilder("user\n");
        for (int u = 0; u < data.users(); u++) {
            users.append(data.userIds().externalId(u)).append('\n');
        }
        AtomicFiles.write(dir.resolve("users.csv"), users.toString().getBytes(StandardCharsets.UTF_8));
        StringBuilder items = new StringBuilder("item\n");
        for (int i = 0; i < data.items(); i++) {
            items.append(data.itemIds().externalId(i)).append('\n');
        }
        AtomicFiles.write(dir.resolve("items.csv"), items.toString().getBytes(StandardCharsets.UTF_8));
        for (FeatureMatrix f : data.modalities().values()) {
            NpyIO.writeFloat32(dir.resolve(f.name() + "_feat.npy"), f.rows(), f.cols(), f.data());
        }
    }
}
