package org.diffmmj.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;
import org.diffmmj.data.TestData;
import org.diffmmj.io.SavedModel;

/** Runs the library examples, and checks that docs/library.md quotes them as they are. */
class LibraryExamplesTest {

    @TempDir
    Path dir;

    @Test
    void trainingThenInferenceGiveTenUnseenItems() throws Exception {
        Path data = dir.resolve("data");
        DatasetLoader.write(TestData.synthetic(120, 80, 4), data, DataFormat.AUTHORS);
        Path model = LibraryExamples.trainAndSave(data, dir.resolve("model.ckpt"));
        var top = LibraryExamples.topTen(model, "3");
        assertThat(top).hasSize(10);
        try (SavedModel saved = SavedModel.load(model)) {
            int user = saved.userIds().index("3");
            for (var item : top) {
                assertThat(saved.train().contains(user, saved.itemIds().index(item.item()))).isFalse();
            }
        }
        for (int r = 1; r < top.size(); r++) {
            assertThat(top.get(r).score()).isLessThanOrEqualTo(top.get(r - 1).score());
        }
    }

    @Test
    void aRawLogBecomesADatasetTheTrainerReads() throws Exception {
        StringBuilder log = new StringBuilder("user,item,rating,timestamp\n");
        for (int u = 0; u < 30; u++) {
            for (int i = 0; i < 12; i++) {
                log.append("user ").append(u).append(",\"item, ").append((u + i) % 20).append("\",5,").append(100 * i + u).append('\n');
            }
        }
        Path file = dir.resolve("log.csv");
        Files.writeString(file, log.toString());
        Dataset d = LibraryExamples.splitLog(file, dir.resolve("split"));
        assertThat(d.users()).isEqualTo(30);
        assertThat(d.items()).isEqualTo(20);
        assertThat(d.itemIds().index("item, 3")).isGreaterThanOrEqualTo(0);
        assertThat(d.train().size() + d.validation().size() + d.test().size()).isEqualTo(360);
    }

    @Test
    void theGuideQuotesTheExamplesVerbatim() throws Exception {
        Path guide = Files.exists(Path.of("../docs/library.md")) ? Path.of("../docs/library.md") : Path.of("docs/library.md");
        String doc = Files.readString(guide);
        String source = Files.readString(Path.of("src/test/java/org/diffmmj/examples/LibraryExamples.java"));
        Matcher m = Pattern.compile("// example: (\\w+)\\n(.*?)    // end", Pattern.DOTALL).matcher(source);
        List<String> names = new ArrayList<>();
        while (m.find()) {
            names.add(m.group(1));
            String body = m.group(2).stripTrailing().stripIndent().strip();
            assertThat(doc).as("docs/library.md quotes the %s example", m.group(1)).contains(body);
        }
        assertThat(names).containsExactly("data", "training", "inference");
    }
}
