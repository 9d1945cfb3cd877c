package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The epoch benchmark on a small synthetic dataset: its figures are consistent with each other. */
class BenchCommandTest {

    @TempDir
    Path dir;

    @Test
    void reportsEveryPhaseAgainstARooflineMeasuredAfterEachEpoch() throws Exception {
        Path data = dir.resolve("data");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "120",
                "--items", "90", "--modalities", "image:12,text:6", "--seed", "3")).isZero();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream original = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("bench", "--model", "diffmm", "--data", data.toString(), "--epochs", "2",
                    "--json");
        } finally {
            System.setOut(original);
        }
        assertThat(rc).isZero();
        JsonNode out = new ObjectMapper().readTree(buffer.toString(StandardCharsets.UTF_8));
        assertThat(out.get("measured_epochs").asInt()).isEqualTo(2);
        // One roofline sample after the warm-up epoch and after each measured epoch; the figure
        // used is their median.
        List<Double> samples = new ArrayList<>();
        out.get("roofline_gflops_after_each_epoch").forEach(n -> samples.add(n.asDouble()));
        assertThat(samples).hasSize(3).allSatisfy(g -> assertThat(g).isPositive());
        double roofline = out.get("roofline_gflops").asDouble();
        assertThat(roofline).isEqualTo(samples.stream().sorted().toList().get(1));
        assertThat(out.get("roofline_gflops_before_training").asDouble()).isPositive();
        double totalGflop = 0;
        for (String phase : new String[] {"diffusion_training", "graph_generation", "recommendation_training",
                "evaluation"}) {
            JsonNode p = out.get("phases").get(phase);
            double seconds = p.get("seconds").asDouble();
            double gflop = p.get("gflop").asDouble();
            assertThat(seconds).as(phase).isPositive();
            assertThat(gflop).as(phase).isPositive();
            assertThat(p.get("roofline_fraction").asDouble()).as(phase)
                    .isCloseTo(gflop / seconds / roofline, within(1e-9));
            totalGflop += gflop;
        }
        assertThat(out.get("epoch_gflop").asDouble()).isCloseTo(totalGflop, within(1e-6));
        assertThat(out.get("roofline_epoch_seconds").asDouble()).isCloseTo(totalGflop / roofline, within(1e-9));
        assertThat(out.get("peak_rss_mb").asLong()).isPositive();
        // The recommendation phase against both of its bounds: products at the roofline and its
        // memory traffic at the copy bandwidth measured in the same process.
        JsonNode rec = out.get("phases").get("recommendation_training");
        double bandwidth = out.get("memory_bandwidth_gbytes_per_second").asDouble();
        assertThat(bandwidth).isPositive();
        double flopBound = rec.get("gflop").asDouble() / roofline;
        double byteBound = rec.get("gbytes_moved").asDouble() / bandwidth;
        assertThat(rec.get("gbytes_moved").asDouble()).isPositive();
        assertThat(rec.get("flop_bound_seconds").asDouble()).isCloseTo(flopBound, within(1e-12));
        assertThat(rec.get("bandwidth_bound_seconds").asDouble()).isCloseTo(byteBound, within(1e-12));
        assertThat(rec.get("bound_seconds").asDouble()).isCloseTo(Math.max(flopBound, byteBound), within(1e-12));
        assertThat(rec.get("bound_fraction").asDouble())
                .isCloseTo(Math.max(flopBound, byteBound) / rec.get("seconds").asDouble(), within(1e-9));
    }

    @Test
    void benchOpsTimesTheSparseBackwardOnItsOwn() throws Exception {
        Path data = dir.resolve("ops-data");
        assertThat(Main.commandLine().execute("data", "synth", "--out", data.toString(), "--users", "300",
                "--items", "200", "--modalities", "image:4", "--seed", "3")).isZero();
        String[] r = CliRunner.run("bench-ops", "--data", data.toString(), "--repeats", "3", "--json");
        assertThat(r[0]).as(r[2]).isEqualTo("0");
        JsonNode out = new ObjectMapper().readTree(r[1]);
        // measured on its own, not the difference of two medians (which can come out negative)
        assertThat(out.get("spmm_backward_ms").asDouble()).isPositive();
        assertThat(out.get("spmm_forward_ms").asDouble()).isPositive();
        assertThat(out.get("spmm_forward_backward_ms").asDouble()).isPositive();
        assertThat(out.get("graph").asText()).contains("500 nodes");
    }
}
