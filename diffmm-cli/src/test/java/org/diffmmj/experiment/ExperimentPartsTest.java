package org.diffmmj.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.junit.jupiter.api.Test;

import org.diffmmj.config.ConfigException;
import org.diffmmj.train.TrainingConfig;

/** The experiment package's parts by hand: search spaces, the signed-rank test, durations, when training has ended. */
class ExperimentPartsTest {

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
}
