package org.diffmmj.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;

/** Small datasets for tests, and the shared real data when present. */
public final class TestData {

    /**
     * The shared data directory beside the project root: {@code ../shared/data} of the root, which
     * is {@code ../../shared/data} from a module directory, where Maven runs each module's tests.
     */
    public static final Path SHARED_DATA = Files.isDirectory(Path.of("../shared/data")) ? Path.of("../shared/data")
            : Path.of("../../shared/data");
    public static final Path TIKTOK = SHARED_DATA.resolve("tiktok");

    private TestData() {
    }

    /** Skips the calling test, with a printed reason, when the shared TikTok data is absent. */
    public static Path tiktokOrSkip(String test) {
        boolean present = Files.isRegularFile(TIKTOK.resolve("trnMat.pkl"));
        if (!present) {
            System.out.println("SKIPPED " + test + ": " + TIKTOK.toAbsolutePath() + " is absent");
        }
        Assumptions.assumeTrue(present, "needs " + TIKTOK);
        return TIKTOK;
    }

    public static Dataset synthetic(int users, int items, long seed) {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("image", 16);
        m.put("text", 8);
        return new SyntheticGenerator(users, items, m, seed).meanInteractions(12).generate("tiny");
    }
}
