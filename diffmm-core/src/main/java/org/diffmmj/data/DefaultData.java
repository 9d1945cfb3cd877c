package org.diffmmj.data;

import org.diffmmj.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/**
 * The embedded default dataset: a small synthetic multi-modal set, generated once and cached
 * under the user's cache directory ($XDG_CACHE_HOME/diffmm-j or ~/.cache/diffmm-j).
 */
public final class DefaultData {

    public static final int USERS = 1500;
    public static final int ITEMS = 1000;
    public static final Map<String, Integer> MODALITIES = Map.of("image", 64, "text", 32);
    public static final long SEED = 42;
    public static final double MEAN_INTERACTIONS = 12;
    private static final String VERSION = "default-v2";

    private DefaultData() {
    }

    public static Path cacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("diffmm-j");
    }

    public static Dataset generate() {
        Map<String, Integer> ordered = new java.util.LinkedHashMap<>();
        ordered.put("image", MODALITIES.get("image"));
        ordered.put("text", MODALITIES.get("text"));
        // Sparse enough (about 9 training items per user) that graph propagation and item features
        // matter: on it DiffMM beats LightGCN, which beats MF-BPR.
        return new SyntheticGenerator(USERS, ITEMS, ordered, SEED).meanInteractions(MEAN_INTERACTIONS)
                .generate("synthetic-default");
    }

    /** The cached directory, generating it (atomically) on first use. */
    public static synchronized Path ensure() throws IOException {
        Path dir = cacheRoot().resolve(VERSION);
        if (AuthorsFormat.looksLike(dir)) {
            return dir;
        }
        Path tmp = AtomicFiles.newSiblingDirectory(dir);
        try {
            System.err.println("diffmm: generating the default synthetic dataset in " + dir);
            AuthorsFormat.write(generate(), tmp);
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!AuthorsFormat.looksLike(dir)) {
                    throw e;
                }
            }
        } finally {
            AtomicFiles.deleteTree(tmp);
        }
        return dir;
    }
}
