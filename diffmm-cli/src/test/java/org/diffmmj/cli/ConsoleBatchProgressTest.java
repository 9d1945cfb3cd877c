package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ConsoleBatchProgressTest {

    @Test
    void inALogItWritesALinePerTenthAndNoFrames() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConsoleBatchProgress p = new ConsoleBatchProgress(false, new PrintStream(out, true, StandardCharsets.UTF_8));
        p.start(4, 25);
        for (int b = 0; b < 25; b++) {
            p.step();
        }
        p.end();
        String log = out.toString(StandardCharsets.UTF_8);
        assertThat(log).doesNotContain("\r");
        // 25 batches: a tenth is done at batches 3 (12%), 5 (20%), 8, 10, 13, 15, 18, 20, 23; not at 25 (the end).
        assertThat(log.lines()).containsExactly("epoch 4: 10% (3/25 batches)", "epoch 4: 20% (5/25 batches)",
                "epoch 4: 30% (8/25 batches)", "epoch 4: 40% (10/25 batches)", "epoch 4: 50% (13/25 batches)",
                "epoch 4: 60% (15/25 batches)", "epoch 4: 70% (18/25 batches)", "epoch 4: 80% (20/25 batches)",
                "epoch 4: 90% (23/25 batches)");
    }

    @Test
    void fewBatchesGiveAtMostOneLineEach() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ConsoleBatchProgress p = new ConsoleBatchProgress(false, new PrintStream(out, true, StandardCharsets.UTF_8));
        p.start(0, 3);
        p.step();
        p.step();
        p.step();
        p.end();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly("epoch 0: 30% (1/3 batches)",
                "epoch 0: 60% (2/3 batches)");
    }
}
