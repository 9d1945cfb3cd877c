package org.diffmmj.autograd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffmmj.optim.Adam;
import org.diffmmj.random.Rng;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * 10,000 training steps of a small MLP with Adam, one tape per step on a shared pool: the
 * resident set size after step 10,000 must be within ±5 % of that after step 1,000.
 *
 * <p>The training runs in a child JVM so that memory left behind by other test classes in the
 * surefire JVM (freed later, shrinking RSS) does not disturb the measurement. The same loop
 * first runs {@value #JIT_WARMUP_STEPS} uncounted steps: without them the C2 compiler's own
 * memory (10–20 MB, measured here, absent with C1 only) lands in the first few thousand steps
 * and would be mistaken for engine growth. The child's heap is fixed and pre-touched so heap
 * resizing (growth, or shrinking after a collection) does not move RSS either. The child runs
 * with the C1 compiler only: C2 compiles late, one-off methods at unpredictable steps (seen
 * here at step 3,500) and its arena memory is not returned, a 10 MB step that is not the engine's.
 * A leak of even one batch-sized buffer per step would add over 300 MB and fail the bound.
 */
class MemoryFlatTest {

    static final int JIT_WARMUP_STEPS = 8000;

    static long rssKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    @Test
    void rssStaysFlatOverTenThousandSteps() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                MemoryFlatTest.class.getName())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("child JVM output:%n%s", output).isZero();
        System.out.print(output);
        String[] f = output.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow().split(" ");
        long rssAt1000 = Long.parseLong(f[1]);
        long rssAt10000 = Long.parseLong(f[2]);
        float firstLoss = Float.parseFloat(f[3]);
        float lastLoss = Float.parseFloat(f[4]);
        assertThat(lastLoss).as("the model trains").isLessThan(firstLoss * 0.5f);
        assertThat((double) rssAt10000).as("RSS KiB after step 10,000 vs %d after step 1,000", rssAt1000)
                .isBetween(rssAt1000 * 0.95, rssAt1000 * 1.05);
    }

    /** Child JVM entry point: trains and prints "RESULT rss1000 rss10000 firstLoss lastLoss". */
    public static void main(String[] args) throws IOException {
        Rng rng = new Rng(2024);
        BufferPool pool = new BufferPool();
        int batch = 128;
        Parameter w1 = new Parameter("w1", Tensor.zeros(32, 64));
        Parameter b1 = new Parameter("b1", Tensor.zeros(1, 64));
        Parameter w2 = new Parameter("w2", Tensor.zeros(64, 1));
        Parameter b2 = new Parameter("b2", Tensor.zeros(1, 1));
        try (Tensor x = Tensor.zeros(batch, 32);
             Tensor y = Tensor.zeros(batch, 1)) {
            rng.fillNormal(w1.value(), 0f, 0.2f);
            rng.fillNormal(w2.value(), 0f, 0.2f);
            Adam adam = new Adam(List.of(w1, b1, w2, b2), 1e-3);
            long rssAt1000 = 0;
            float firstLoss = 0;
            float lastLoss = 0;
            for (int step = 1 - JIT_WARMUP_STEPS; step <= 10_000; step++) {
                rng.fillNormal(x, 0f, 1f);
                // Target: a fixed nonlinear function of the first two inputs.
                for (int i = 0; i < batch; i++) {
                    y.set(i, 0, (float) Math.sin(x.get(i, 0)) + 0.5f * x.get(i, 1));
                }
                adam.zeroGrad();
                try (Tape t = new Tape(pool)) {
                    Var h = t.tanh(t.add(t.matmul(t.constant(x), t.param(w1)), t.param(b1)));
                    Var out = t.add(t.matmul(h, t.param(w2)), t.param(b2));
                    Var loss = t.mean(t.square(t.sub(out, t.constant(y))));
                    t.backward(loss);
                    lastLoss = loss.value().get(0, 0);
                    if (step == 1 - JIT_WARMUP_STEPS) {
                        firstLoss = lastLoss;
                    }
                }
                adam.step();
                if (step > 0 && step % 1000 == 0) {
                    System.gc();
                    long rss = rssKiB();
                    System.out.printf("step %d: RSS %d KiB%n", step, rss);
                    if (step == 1000) {
                        rssAt1000 = rss;
                    }
                }
            }
            System.gc();
            long rssAt10000 = rssKiB();
            pool.clear();
            System.out.printf("RSS after step 1,000: %d KiB, after step 10,000: %d KiB; loss %.4f -> %.4f%n",
                    rssAt1000, rssAt10000, firstLoss, lastLoss);
            System.out.println("RESULT " + rssAt1000 + " " + rssAt10000 + " " + firstLoss + " " + lastLoss);
        }
    }
}
