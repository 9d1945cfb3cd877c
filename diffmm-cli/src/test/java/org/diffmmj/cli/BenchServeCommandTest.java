package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import org.diffmmj.data.Dataset;
import org.diffmmj.data.TestData;
import org.diffmmj.io.SavedModel;
import org.diffmmj.model.MfBpr;
import org.diffmmj.model.Recommender;
import org.diffmmj.random.Rng;

/** The load generator's three clients against a real server: every request answered, none lost. */
class BenchServeCommandTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void saveAModel() throws Exception {
        Dataset data = TestData.synthetic(60, 40, 1);
        MfBpr.Config config = MfBpr.DEFINITION.config("dim", 8);
        try (Recommender model = MfBpr.DEFINITION.create(config, data, new Rng(2))) {
            SavedModel.save(dir.resolve("model.ckpt"), model, config, data, null, 0, Map.of());
        }
    }

    @Test
    void everyClientKindCompletesRequestsWithoutErrors() throws Exception {
        for (String client : new String[] {"nio", "socket", "jdk"}) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            PrintStream original = System.out;
            int rc;
            try {
                System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
                rc = new CommandLine(new BenchServeCommand()).execute("--model", dir.toString(), "--client", client,
                        "--clients", "4", "--seconds", "1", "--warmup-seconds", "1", "-k", "5", "--json");
            } finally {
                System.setOut(original);
            }
            assertThat(rc).as(client).isZero();
            JsonNode out = new ObjectMapper().readTree(buffer.toString(StandardCharsets.UTF_8));
            assertThat(out.get("client").asText()).isEqualTo(client);
            assertThat(out.get("requests").asLong()).as(client).isGreaterThan(10);
            assertThat(out.get("errors").asLong()).as(client).isZero();
            assertThat(out.get("latency_ms").get("p99").asDouble()).isGreaterThanOrEqualTo(
                    out.get("latency_ms").get("p50").asDouble()).isPositive();
        }
    }

    @Test
    void rejectsAnUnknownClient() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream original = System.err;
        int rc;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            rc = Main.commandLine().execute("bench-serve", "--model", dir.toString(), "--client", "curl");
        } finally {
            System.setErr(original);
        }
        assertThat(rc).isNotZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--client must be nio, socket or jdk")
                .doesNotContain("\tat org.");
    }
}
