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
        }
        TextTables.Table table = TextTables.readAll(inter, "\t");
        int u = TextTables.column(inter, table.header(), "userID");
        int i = TextTables.column(inter, table.header(), "itemID");
        int x = TextTables.column(inter, table.header(), "x_label");
        List<int[]> parsed = new ArrayList<>();
        for (TextTables.Row row : table.rows()) {
            parsed.add(parseAt(inter, row, u, i, x));
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
        Map<String, FeatureMatrix> modalities = readFeatures(dir);
        for (FeatureMatrix f : modalities.values()) {
            if (f.rows() < items) {
                throw new DataFormatException(dir.resolve(f.name() + "_feat.npy") + ": " + f.rows()
                        + " rows but " + inter.getFileName() + " names item " + (items - 1));
            }
            items = Math.max(items, f.rows());
        }
        Interactions[] splits = new Interactions[3];
        for (int s = 0; s < 3; s++) {
            final int label = s;
            int[] us = parsed.stream().filter(r -> r[2] == label).mapToInt(r -> r[0]).toArray();
            int[] is = parsed.stream().filter(r -> r[2] == label).mapToInt(r -> r[1]).toArray();
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

    private static int[] parseAt(Path file, TextTables.Row row, int u, int i, int x) {
        String[] f = row.fields();
        int max = Math.max(u, Math.max(i, x));
        if (f.length <= max) {
            throw new DataFormatException(file + ":" + row.line() + ": expected at least " + (max + 1)
                    + " tab-separated fields, found " + f.length);
        }
        try {
            int user = Integer.parseInt(f[u]);
            int item = Integer.parseInt(f[i]);
            int label = Integer.parseInt(f[x]);
            if (user < 0 || item < 0) {
                throw new DataFormatException(file + ":" + row.line() + ": negative id");
            }
            if (label < 0 || label > 2) {
                throw new DataFormatException(file + ":" + row.line() + ": x_label must be 0, 1 or 2, found " + label);
            }
            return new int[] {user, item, label};
        } catch (NumberFormatException e) {
            throw new DataFormatException(file + ":" + row.line() + ": expected integer userID, itemID and x_label");
        }
    }

    static Map<String, FeatureMatrix> readFeatures(Path dir) throws IOException {
        Map<String, FeatureMatrix> modalities = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith("_feat.npy")).sorted().toList()) {
                String name = f.getFileName().toString().replace("_feat.npy", "");
                NpyIO.Matrix m = NpyIO.read(f);
                modalities.put(name, new FeatureMatrix(name, m.rows(), m.cols(), m.data()));
            }
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
