package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.config.YamlFiles;

/**
 * {@code reproduce --ablations diffmm --quick} through the command line, in-process on a small
 * synthetic dataset with two modalities: every variant × two seeds, each run with its switch in its
 * config, the ablation table with the changes against full DiffMM, and a rerun that redoes nothing.
 */
class AblationCommandTest {

    @TempDir
    static Path dir;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String[] run(String... args) {
        return CliRunner.run(args);
    }

    @Test
    void reproduceAblationsRunsEveryVariantAndWritesTheAblationTable() throws Exception {
        Path data = dir.resolve("data");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "80",
                "--items", "60", "--modalities", "image:8,audio:4", "--seed", "5")).isZero();
        Path small = dir.resolve("small.yaml");
        Files.writeString(small, "dim: 8\nbatch: 64\ndims: [16]\ncl_method: main\nkeepRate: 0.5\n");
        Path out = dir.resolve("ablation");
        String[] args = {"reproduce", "--ablations", "diffmm", "--quick", "--in-process", "--data", data.toString(),
                "--config", small.toString(), "--out", out.toString()};
        String[] r = run(args);
        assertThat(r[0]).as(r[1] + r[2]).isEqualTo("0");
        assertThat(r[1]).contains("5 diffmm variants × 2 seeds = 10 runs").contains("[10/10]");
        for (String f : List.of("ablations.md", "ablations.csv", "ablations.json", "table.md", "table.csv", "table.png")) {
            assertThat(out.resolve(f)).isNotEmptyFile();
        }

        // Each variant's runs train DiffMM with its one switch off, and the switch shows in what they did.
        Map<String, String> switches = Map.of("diffmm-wo-msi", "msi", "diffmm-wo-cl", "cl",
                "diffmm-wo-diffusion", "diffusion_graphs", "diffmm-wo-features", "modality_features");
        for (String variant : List.of("diffmm", "diffmm-wo-msi", "diffmm-wo-cl", "diffmm-wo-diffusion", "diffmm-wo-features")) {
            for (String seed : List.of("seed-421", "seed-7")) {
                Path runDir = out.resolve("runs").resolve(variant).resolve(seed);
                Map<String, Object> config = YamlFiles.read(runDir.resolve("config.yaml"));
                assertThat(config.get("model")).isEqualTo("diffmm");
                assertThat(config.get("dim").toString()).isEqualTo("8");
                for (String key : switches.values()) {
                    assertThat(config.get(key)).as(variant + " " + key).isEqualTo(!key.equals(switches.get(variant)));
                }
                JsonNode epoch = JSON.readTree(runDir.resolve("metrics.json").toFile()).get("epochs").get(0);
                assertThat(epoch.get("losses").has("msi")).as(variant)
                        .isEqualTo(List.of("diffmm", "diffmm-wo-cl").contains(variant));
                assertThat(epoch.get("losses").has("cl")).as(variant).isEqualTo(!variant.equals("diffmm-wo-cl"));
                // No denoisers without diffusion graphs: no diffusion loss, no diffusion training time.
                assertThat(epoch.get("losses").has("diffusion")).as(variant).isEqualTo(!variant.equals("diffmm-wo-diffusion"));
                assertThat(epoch.get("seconds").has("diffusion_training")).as(variant)
                        .isEqualTo(!variant.equals("diffmm-wo-diffusion"));
            }
        }

        List<String> csv = Files.readAllLines(out.resolve("ablations.csv"));
        assertThat(csv).hasSize(1 + 2 * 5 * 2);
        assertThat(csv.get(0)).isEqualTo("protocol,variant,label,metric,mean,sd,n,delta,delta_relative,p_value,overrides");
        JsonNode table = JSON.readTree(out.resolve("table.json").toFile());
        JsonNode ablation = JSON.readTree(out.resolve("ablations.json").toFile());
        assertThat(ablation.get("full").asText()).isEqualTo("diffmm");
        double full = table.get("models").get("diffmm").get("validation-selected").get("recall@20").get("mean").asDouble();
        for (JsonNode v : ablation.get("variants")) {
            String id = v.get("id").asText();
            JsonNode recall = v.get("validation-selected").get("recall@20");
            // The table's cells, and the change against full DiffMM computed from them.
            assertThat(recall.get("mean").asDouble()).isEqualTo(
                    table.get("models").get(id).get("validation-selected").get("recall@20").get("mean").asDouble());
            assertThat(recall.get("values")).hasSize(2);
            if (id.equals("diffmm")) {
                assertThat(recall.has("delta")).isFalse();
                assertThat(v.has("p_value_recall@20")).isFalse();
            } else {
                assertThat(recall.get("delta").asDouble()).isEqualTo(recall.get("mean").asDouble() - full);
                assertThat(v.get("p_value_recall@20").asDouble()).isBetween(0.0, 1.0);
                assertThat(v.get("overrides").get(switches.get(id)).asBoolean()).isFalse();
            }
        }
        assertThat(csv).anyMatch(l -> l.startsWith("validation-selected,diffmm,DiffMM,recall@20,") && l.endsWith(",,,,"))
                .anyMatch(l -> l.startsWith("best-test,diffmm-wo-cl,w/o CL,ndcg@20,") && l.endsWith(",cl=false"));
        String md = Files.readString(out.resolve("ablations.md"));
        assertThat(md).contains("# Ablation of diffmm on data: 2 seeds (421, 7)", "Made by `./diffmm reproduce --ablations diffmm",
                "## Validation-selected", "## Best test epoch", "Δ Recall@20", "Δ NDCG@20", "| w/o MSI |", "| w/o CL |",
                "| w/o diffusion graphs |", "| w/o modality features |", "`modality_features=false`", "Wilcoxon signed-rank");

        // Rerun: nothing trained again, the same ablation table.
        r = run(args);
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        assertThat(r[1].split("already finished, not redone", -1)).hasSize(11);
        assertThat(Files.readString(out.resolve("ablations.md"))).isEqualTo(md);
    }

    @Test
    void ablationsRefuseAModelListAndUnknownStudies() {
        Path out = dir.resolve("refused");
        String[] r = run("reproduce", "--ablations", "diffmm", "--models", "lightgcn", "--quick", "--in-process",
                "--out", out.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[2]).contains("leave out --models");
        r = run("reproduce", "--ablations", "lightgcn", "--quick", "--in-process", "--out", out.toString());
        assertThat(r[0]).isNotEqualTo("0");
        assertThat(r[2]).contains("no ablation study for model 'lightgcn'; known: diffmm");
    }
}
