package org.diffmmj.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.diffmmj.config.ConfigException;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.train.TrainingConfig;

/**
 * The experiment package's parts by hand: search spaces, the signed-rank test, durations, when
 * training has ended, progress lines inside a run.
 */
class ExperimentPartsTest {

    @TempDir
    Path tmp;

    @Test
    void epochLinesTellEachCompleteEpochOnceWithTheBestSoFarAndThePaceLeft() throws Exception {
        Path jsonl = tmp.resolve("metrics.jsonl");
        List<String> told = new ArrayList<>();
        // Five epochs planned; epoch 0 was trained before this launch (a resumed run): not told, but counted.
        EpochLines lines = new EpochLines(jsonl, 5, "recall@20", 1, told::add);
        lines.poll();
        assertThat(told).isEmpty();
        String e0 = "{\"epoch\":0,\"val\":{\"recall@20\":0.1},\"seconds\":{\"train\":10.0,\"evaluation\":2.0}}\n";
        String e1 = "{\"epoch\":1,\"val\":null,\"seconds\":{\"train\":8.0}}\n";
        String e2 = "{\"epoch\":2,\"val\":{\"recall@20\":0.25},\"seconds\":{\"train\":9.0,\"evaluation\":1.0}}\n";
        String e3 = "{\"epoch\":3,\"val\":{\"recall@20\":0.2},\"seconds\":{\"train\":12.0}}\n";
        // Epoch 2 half appended: waits for its newline.
        Files.writeString(jsonl, e0 + e1 + e2.substring(0, 20));
        lines.poll();
        // Epoch 1: (12 + 8) / 2 = 10 s an epoch, 3 epochs left.
        assertThat(told).containsExactly("epoch 1 (2/5): not evaluated, best 0.1000 at epoch 0; 10s an epoch, at most 30s left");
        Files.writeString(jsonl, e0 + e1 + e2 + e3);
        lines.poll();
        lines.poll();
        // Epoch 2: (12 + 8 + 10) / 3 = 10 s, 2 left; epoch 3: 42 / 4 = 10.5 s (shown rounded), 1 left.
        assertThat(told).containsExactly(
                "epoch 1 (2/5): not evaluated, best 0.1000 at epoch 0; 10s an epoch, at most 30s left",
                "epoch 2 (3/5): val recall@20 0.2500, best 0.2500 at epoch 2; 10s an epoch, at most 20s left",
                "epoch 3 (4/5): val recall@20 0.2000, best 0.2500 at epoch 2; 11s an epoch, at most 11s left");
    }

    private static Map<String, Object> yaml(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void gridIsTheProductOfTheListsFirstKeySlowestWithFixedValuesInEveryPoint() {
        SearchSpace s = SearchSpace.parse(yaml("lr", List.of("1e-3", "1e-2"), "layers", List.of(1, 2, 3), "reg", 0), "t");
        List<Map<String, Object>> g = s.grid();
        assertThat(g).hasSize(6);
        assertThat(g.get(0)).containsExactly(Map.entry("lr", "1e-3"), Map.entry("layers", 1), Map.entry("reg", 0));
        assertThat(g.get(2)).containsEntry("lr", "1e-3").containsEntry("layers", 3);
        assertThat(g.get(3)).containsEntry("lr", "1e-2").containsEntry("layers", 1);
        assertThat(s.keys()).containsExactly("lr", "layers", "reg");
    }

    @Test
    void randomDrawsStayInTheirRangesOnALogScaleAndRepeatWithTheSeed() {
        Map<String, Object> range = yaml("min", "1e-5", "max", "1e-1", "log", true);
        SearchSpace s = SearchSpace.parse(yaml("lr", range, "layers", yaml("min", 1, "max", 4, "int", true),
                "dim", List.of(32, 64)), "t");
        assertThat(s.hasRanges()).isTrue();
        assertThatThrownBy(s::grid).isInstanceOf(ConfigException.class).hasMessageContaining("--search random");
        List<Map<String, Object>> a = s.random(400, 7);
        assertThat(s.random(400, 7)).isEqualTo(a);
        assertThat(s.random(400, 8)).isNotEqualTo(a);
        int belowMillionth = 0;
        List<Object> dims = new ArrayList<>();
        for (Map<String, Object> p : a) {
            double lr = (Double) p.get("lr");
            assertThat(lr).isBetween(1e-5, 1e-1);
            // Log-uniform: a quarter of the draws fall in each decade.
            belowMillionth += lr < 1e-4 ? 1 : 0;
            assertThat((Long) p.get("layers")).isBetween(1L, 4L);
            dims.add(p.get("dim"));
        }
        assertThat(belowMillionth).isBetween(60, 140);
        assertThat(dims).contains(32, 64);
    }

    @Test
    void badSpacesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> SearchSpace.parse(yaml("lr", List.of()), "s.yaml")).hasMessageContaining("'lr' lists no");
        assertThatThrownBy(() -> SearchSpace.parse(yaml("lr", yaml("min", 0, "max", 1, "log", true)), "s.yaml"))
                .hasMessageContaining("min > 0");
        assertThatThrownBy(() -> SearchSpace.parse(yaml("lr", yaml("min", 1, "step", 2)), "s.yaml"))
                .hasMessageContaining("'step'");
    }

    /**
     * Differences +1, −2, +3, +4, +5 (ranks 1 to 5): W− = 2, W+ = 13; of the 32 equally likely
     * sign patterns, 3 have W− ≤ 2 ({}, {1}, {2}), so the exact two-sided p is 2·3/32. Users with
     * equal values are dropped first and change nothing.
     */
    @Test
    void signedRankTestByHandExactAndWithTiesDropped() {
        double[] a = {1, 0, 3, 4, 5, 0.5, 0.25};
        double[] b = {0, 2, 0, 0, 0, 0.5, 0.25};
        Significance s = Significance.wilcoxon(a, b);
        assertThat(s.users()).isEqualTo(7);
        assertThat(s.nonZero()).isEqualTo(5);
        assertThat(s.exact()).isTrue();
        assertThat(s.statistic()).isEqualTo(13);
        assertThat(s.pValue()).isCloseTo(2 * 3 / 32.0, within(1e-12));
        assertThat(s.meanDifference()).isCloseTo(11.0 / 7, within(1e-12));
        // All five positive: only the all-positive pattern is as extreme, p = 2/32.
        assertThat(Significance.wilcoxon(new double[] {1, 2, 3, 4, 5}, new double[5]).pValue())
                .isCloseTo(2 / 32.0, within(1e-12));
        assertThat(Significance.wilcoxon(new double[] {0.5, 0.5}, new double[] {0.5, 0.5}).pValue()).isEqualTo(1.0);
    }

    /**
     * 25 positive differences: the normal approximation Commons Math uses, W = min(W+, W−) = 0
     * against mean n(n+1)/4 = 162.5 and variance n(n+1)(2n+1)/24 = 1381.25, with its 0.5
     * continuity term: p = 2Φ((0 − 162.5 − 0.5)/√1381.25).
     */
    @Test
    void signedRankTestBeyondTwentyUsersUsesTheNormalApproximation() {
        double[] a = new double[25];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 1;
        }
        Significance s = Significance.wilcoxon(a, new double[25]);
        assertThat(s.exact()).isFalse();
        double z = (0 - 162.5 - 0.5) / Math.sqrt(1381.25);
        assertThat(s.pValue()).isCloseTo(2 * new NormalDistribution().cumulativeProbability(z), within(1e-12));
    }

    @Test
    void durationsReadAndPrint() {
        assertThat(Durations.parse("2h")).isEqualTo(7200);
        assertThat(Durations.parse("1h30m")).isEqualTo(5400);
        assertThat(Durations.parse("90")).isEqualTo(90);
        assertThat(Durations.parse("45s")).isEqualTo(45);
        assertThatThrownBy(() -> Durations.parse("2 hours")).hasMessageContaining("2h");
        assertThat(Durations.format(5.25)).isEqualTo("5.3s");
        assertThat(Durations.format(125)).isEqualTo("2m05s");
        assertThat(Durations.format(7260)).isEqualTo("2h01m");
    }

    /** Training has ended at the planned epochs, or when patience ran out exactly as the loop counts it. */
    @Test
    void trainingEndsAtItsEpochsOrWhenPatienceRunsOut() {
        TrainingConfig five = TrainingConfig.builder().epochs(5).patience(2).build();
        List<Object> epochs = new ArrayList<>();
        double[] val = {0.1, 0.3, 0.2};
        for (int e = 0; e < val.length; e++) {
            epochs.add(yaml("epoch", e, "val", Map.of("recall@20", val[e])));
        }
        assertThat(RunFiles.trainingEnded(yaml("epochs", epochs), five)).isFalse();
        epochs.add(yaml("epoch", 3, "val", Map.of("recall@20", 0.25)));
        assertThat(RunFiles.trainingEnded(yaml("epochs", epochs), five)).isTrue();
        TrainingConfig four = TrainingConfig.builder().epochs(4).build();
        assertThat(RunFiles.trainingEnded(yaml("epochs", epochs), four)).isTrue();
        assertThat(RunFiles.trainingEnded(yaml("epochs", epochs.subList(0, 3)), four)).isFalse();
    }

    @Test
    void parallelChildJvmsGetTheirShareOfTheCoresAndASingleRunAllOfThem() {
        int cores = Runtime.getRuntime().availableProcessors();
        List<String> alone = new JvmLauncher("x.Main", 1).command(List.of("train"));
        assertThat(alone).noneMatch(a -> a.startsWith("-XX:ActiveProcessorCount="));
        assertThat(alone.subList(alone.size() - 2, alone.size())).containsExactly("x.Main", "train");
        List<String> shared = new JvmLauncher("x.Main", 2).command(List.of("train"));
        assertThat(shared).contains("-XX:ActiveProcessorCount=" + Math.max(1, cores / 2));
        assertThat(new JvmLauncher("x.Main", 4 * cores).command(List.of())).contains("-XX:ActiveProcessorCount=1");
    }

    @Test
    void aMarkedSectionIsReplacedWithItsHeadingsMovedDownAndEverythingElseKept(@TempDir Path dir) throws Exception {
        Path readme = dir.resolve("README.md");
        String head = "# Project\n\n## Results\n\nIntro line.\n<!-- reproduce:results:begin -->\n";
        String tail = "<!-- reproduce:results:end -->\n\nThe rest, `code`.\n<!-- reproduce:other:begin -->\nx\n"
                + "<!-- reproduce:other:end -->\n";
        Files.writeString(readme, head + "old table\nold line\n" + tail);
        MarkedSection section = MarkedSection.parse(readme.toString(), "results");
        section.check();
        section.replace("# Results on tiktok\n\n| a | b |\n\n## Significance\n\np = 0.01\n", 2);
        assertThat(Files.readString(readme)).isEqualTo(head + "\n### Results on tiktok\n\n| a | b |\n\n#### Significance\n\n"
                + "p = 0.01\n\n" + tail);
        // A second replacement swaps the section again rather than nesting or appending.
        section.replace("new\n", 2);
        assertThat(Files.readString(readme)).isEqualTo(head + "\nnew\n\n" + tail);
        MarkedSection other = MarkedSection.parse(readme + "#other", "results");
        other.replace("y\n", 0);
        assertThat(Files.readString(readme)).contains("<!-- reproduce:other:begin -->\n\ny\n\n<!-- reproduce:other:end -->")
                .contains("\nnew\n");
    }

    @Test
    void aFileWithoutOneOrderedPairOfMarkersIsRefusedNamingTheLineAndLeftAlone(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("f.md");
        String[][] cases = {
                {"no markers\n", "expected a line <!-- reproduce:results:begin -->", "neither is there"},
                {"<!-- reproduce:results:begin -->\nx\n", "the end marker is missing"},
                {"a\n<!-- reproduce:results:end -->\n<!-- reproduce:results:begin -->\n", "f.md:2: <!-- reproduce:results:end --> before any"},
                {"<!-- reproduce:results:begin -->\n<!-- reproduce:results:begin -->\n<!-- reproduce:results:end -->\n",
                        "f.md:2: a second <!-- reproduce:results:begin --> (the first is on line 1)"},
        };
        for (String[] c : cases) {
            Files.writeString(f, c[0]);
            MarkedSection s = new MarkedSection(f, "results");
            for (int i = 1; i < c.length; i++) {
                assertThatThrownBy(s::check).as(c[0]).hasMessageContaining(c[i]);
            }
            assertThatThrownBy(() -> s.replace("table", 2)).as(c[0]).hasMessageContaining(c[1]);
            assertThat(Files.readString(f)).isEqualTo(c[0]);
        }
        assertThatThrownBy(() -> new MarkedSection(dir.resolve("missing.md"), "results").check())
                .hasMessageContaining("missing.md: no such file");
        assertThatThrownBy(() -> MarkedSection.parse("R.md#a b", "results")).hasMessageContaining("section name 'a b'");
    }

    private static RunOutcome outcome(String model, long seed, double recall, double ndcg, double bestTestRecall) {
        Map<String, Double> test = Map.of("recall@20", recall, "ndcg@20", ndcg, "precision@20", recall / 10);
        Map<String, Double> best = Map.of("recall@20", bestTestRecall, "ndcg@20", ndcg, "precision@20", recall / 10);
        return new RunOutcome(new PlannedRun(model + "/seed-" + seed, model, seed, Path.of(model), null), test, test, best,
                3, 4, 5, 1.0, 100, null, null, null);
    }

    @Test
    void aModelWithOneSeedShowsItsValueWithoutASpreadThatWouldReadAsZero() {
        ResultTable t = new ResultTable("Results on toy", List.of("one", "two"), List.of(
                outcome("one", 1, 0.10, 0.05, 0.11),
                outcome("two", 1, 0.20, 0.04, 0.20), outcome("two", 2, 0.30, 0.04, 0.30)), 20);
        // one: a single value; two: mean 0.25, sample sd of {0.20, 0.30} = 0.0707.
        assertThat(t.cell("one", ResultTable.Protocol.VALIDATION_SELECTED, "recall@20").markdown()).isEqualTo("0.1000");
        assertThat(t.cell("two", ResultTable.Protocol.VALIDATION_SELECTED, "recall@20").markdown())
                .isEqualTo("0.2500 ± 0.0707");
        assertThat(t.markdown()).contains("| one | 1 | 0.1000 | 0.0500 | 0.0100 |")
                .contains("| **two** (best) | 2 | **0.2500 ± 0.0707** | **0.0400 ± 0.0000** |");
        String one = Arrays.stream(t.latex().split("\n")).filter(l -> l.startsWith("one &")).findFirst().orElseThrow();
        assertThat(one.split(" & ")[1]).isEqualTo("\\underline{0.1000}");
    }

    @Test
    void theLatexTableBoldsEachColumnsHighestMeanUnderlinesTheSecondAndEscapesNames() {
        ResultTable t = new ResultTable("Results on toy", List.of("mf_bpr", "x", "y"), List.of(
                outcome("mf_bpr", 1, 0.10, 0.05, 0.10), outcome("mf_bpr", 2, 0.12, 0.05, 0.12),
                outcome("x", 1, 0.20, 0.04, 0.20), outcome("x", 2, 0.20, 0.04, 0.20),
                outcome("y", 1, 0.05, 0.06, 0.30), outcome("y", 2, 0.05, 0.06, 0.30)), 20).withCommand("./diffmm reproduce");
        // x leads mf_bpr by 0.2000 - 0.1100 = +0.0900, +81.8 % of mf_bpr's 0.11.
        assertThat(t.significanceSentence()).startsWith("Best: **x**, ahead of mf_bpr by +0.0900 (+81.8 %) "
                + "validation-selected test Recall@20. No per-user values");
        String[] lines = t.latex().split("\n");
        assertThat(lines[0]).isEqualTo("% Results on toy");
        assertThat(lines[1]).isEqualTo("% Made by ./diffmm reproduce");
        assertThat(t.latex()).contains("\\begin{tabular}{lcccccc}", "\\multicolumn{3}{c}{Validation-selected}",
                "\\cmidrule(lr){2-4} \\cmidrule(lr){5-7}", "\\bottomrule\n\\end{tabular}\n");
        String mf = Arrays.stream(lines).filter(l -> l.startsWith("mf")).findFirst().orElseThrow();
        String[] mfCells = mf.replace(" \\\\", "").split(" & ");
        // Mean 0.11, sample sd of {0.10, 0.12} = 0.0141. Second on validation-selected Recall (x 0.20
        // first) and NDCG (y 0.06 first); third on best-test Recall (y 0.30, x 0.20).
        assertThat(mfCells[0]).isEqualTo("mf\\_bpr");
        assertThat(mfCells[1]).isEqualTo("\\underline{0.1100{\\scriptsize $\\pm$0.0141}}");
        assertThat(mfCells[2]).isEqualTo("\\underline{0.0500{\\scriptsize $\\pm$0.0000}}");
        assertThat(mfCells[4]).isEqualTo("0.1100{\\scriptsize $\\pm$0.0141}");
        String x = Arrays.stream(lines).filter(l -> l.startsWith("x &")).findFirst().orElseThrow();
        assertThat(x.split(" & ")[1]).isEqualTo("\\textbf{0.2000{\\scriptsize $\\pm$0.0000}}");
        assertThat(x.split(" & ")[2]).isEqualTo("0.0400{\\scriptsize $\\pm$0.0000}");
        assertThat(x.split(" & ")[4]).isEqualTo("\\underline{0.2000{\\scriptsize $\\pm$0.0000}}");
        String y = Arrays.stream(lines).filter(l -> l.startsWith("y &")).findFirst().orElseThrow();
        assertThat(y.split(" & ")[2]).startsWith("\\textbf{0.0600");
        assertThat(y.split(" & ")[4]).startsWith("\\textbf{0.3000");
        assertThat(y.split(" & ")[1]).isEqualTo("0.0500{\\scriptsize $\\pm$0.0000}");
    }

    @Test
    void aDataSourceLoadedOnceLoadsOnceAndRetriesAFailedLoad() throws Exception {
        Dataset data = TestData.synthetic(30, 20, 1);
        int[] loads = {0};
        RunExecutor.DataSource once = RunExecutor.DataSource.loadedOnce(() -> {
            if (++loads[0] == 1) {
                throw new java.io.IOException("disk not ready");
            }
            return data;
        });
        assertThatThrownBy(once::load).hasMessage("disk not ready");
        assertThat(once.load()).isSameAs(data);
        // The fingerprint lookup and a second wrapper (the executor wraps what it is given) share the load.
        assertThat(RunExecutor.fingerprintOf(once).get()).isEqualTo(data.fingerprint());
        assertThat(RunExecutor.DataSource.loadedOnce(once).load()).isSameAs(data);
        assertThat(loads[0]).isEqualTo(2);
    }

    @Test
    void theBuiltInSpacesAreTheDocsFilesPackaged(@TempDir Path dir) throws Exception {
        assertThat(SearchSpace.builtInModels()).contains("lightgcn", "mf-bpr", "bm3", "hccf").doesNotContain("ngcf");
        for (String m : SearchSpace.builtInModels()) {
            assertThat(SearchSpace.builtIn(m)).as(m).isEqualTo(Files.readString(Path.of("../docs/spaces/" + m + ".yaml")));
        }
        Path file = Files.writeString(dir.resolve("lightgcn.yaml"), SearchSpace.builtIn("lightgcn"));
        SearchSpace lightgcn = SearchSpace.read(file);
        assertThat(lightgcn.keys()).containsExactly("lr", "reg", "layers");
        assertThat(lightgcn.grid()).hasSize(8);
        assertThat(SearchSpace.builtIn("ngcf")).isNull();
    }
}
