package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;

/** {@code evaluate}: the saved model's metrics again, and over the cold items' interactions alone. */
class EvaluateCommandTest {

    @TempDir
    static Path dir;

    @Test
    void coldItemsReportCountsTheHeldOutPairsWhoseItemNeverTrainedAndItsOwnRecall() throws Exception {
        Path data = dir.resolve("data");
        // few interactions per user over many items: some held-out items have no training interaction
        assertThat(CliRunner.run("data", "synth", "--out", data.toString(), "--users", "60", "--items", "400",
                "--interactions-per-user", "4", "--modalities", "image:4", "--seed", "9")[0]).isEqualTo("0");
        Path run = dir.resolve("run");
        assertThat(CliRunner.run("train", "--model", "mf-bpr", "--data", data.toString(), "--epochs", "1", "--dim", "8",
                "--quiet", "--out", run.toString())[0]).isEqualTo("0");
        String[] r = CliRunner.run("evaluate", "--model", run.toString(), "--cold-items", "--json", "--ks", "20");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        JsonNode out = new ObjectMapper().readTree(r[1]);

        Dataset d = DatasetLoader.load(data);
        int[] users = d.test().pairUsers();
        int[] items = d.test().pairItems();
        int cold = 0;
        Set<Integer> coldItems = new HashSet<>();
        Set<Integer> coldUsers = new HashSet<>();
        for (int k = 0; k < items.length; k++) {
            if (d.train().itemDegree(items[k]) == 0) {
                cold++;
                coldItems.add(items[k]);
                coldUsers.add(users[k]);
            }
        }
        JsonNode report = out.get("test_cold_items");
        assertThat(cold).as("the synthetic data has cold test items").isPositive();
        assertThat(report.get("interactions").asInt()).isEqualTo(cold);
        assertThat(report.get("items").asInt()).isEqualTo(coldItems.size());
        assertThat(report.get("users").asInt()).isEqualTo(coldUsers.size());
        assertThat(report.get("recall@20").asDouble()).isBetween(0.0, 1.0);
        assertThat(out.get("test").get("recall@20").asDouble()).isBetween(0.0, 1.0);
    }
}
