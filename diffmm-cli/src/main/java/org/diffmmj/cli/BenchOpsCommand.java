package org.diffmmj.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.bytedeco.openblas.global.openblas;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.data.Dataset;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.BufferPool;
import org.diffmmj.tensor.RowKernels;
import org.diffmmj.tensor.Tensor;

@Command(name = "bench-ops", mixinStandardHelpOptions = true,
        description = {"Engine micro-benchmark: dense products, sparse propagation and softmax rows.",
                "Matmul GFLOP/s through the tape at the denoiser and InfoNCE shapes beside a bare cblas_sgemm on direct buffers, and one sparse propagation (64 columns) of a training",
                "graph (the given --data, else the embedded dataset) forward and backward, and the InfoNCE softmax rows with",
                "the vector kernels beside the scalar ones. Medians of --repeats."})
public final class BenchOpsCommand implements Callable<Integer> {

    @Mixin
    DataOptions data;

    @Option(names = "--repeats", defaultValue = "7", description = "Timed repeats per figure (default: ${DEFAULT-VALUE}).")
    int repeats;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    private static final int[][] SHAPES = {{1024, 6720, 1000}, {1024, 1000, 6710}, {1024, 64, 9308}};

    @Override
    public Integer call() throws Exception {
        List<Map<String, Object>> matmul = new ArrayList<>();
        Rng rng = new Rng(7);
        BufferPool pool = new BufferPool();
        for (int[] s : SHAPES) {
            int m = s[0];
            int k = s[1];
            int n = s[2];
            try (Tensor a = Tensor.zeros(m, k); Tensor b = Tensor.zeros(k, n); Tensor c = Tensor.zeros(m, n)) {
                rng.fillUniform(a, -1, 1);
                rng.fillUniform(b, -1, 1);
                double flop = 2.0 * m * n * k;
                double[] bare = time(repeats, () -> openblas.cblas_sgemm(openblas.CblasRowMajor, openblas.CblasNoTrans,
                        openblas.CblasNoTrans, m, n, k, 1f, a.pointer(), k, b.pointer(), n, 0f, c.pointer(), n));
                Parameter pb = new Parameter("b", b);
                double[] engine = time(repeats, () -> {
                    try (Tape tape = new Tape(pool)) {
                        tape.matmul(tape.constant(a), tape.param(pb));
                    }
                });
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("shape", m + "x" + k + " * " + k + "x" + n);
                row.put("engine_gflops", flop / median(engine) / 1e9);
                row.put("blas_gflops", flop / median(bare) / 1e9);
                row.put("ratio", median(bare) / median(engine));
                matmul.add(row);
            }
        }
        Dataset dataset = data.load();
        CsrMatrix graph = InteractionGraphs.withSelfLoops(dataset.train());
        Map<String, Object> spmm = new LinkedHashMap<>();
        try (Tensor x = Tensor.zeros(graph.rows(), 64)) {
            rng.fillUniform(x, -1, 1);
            Parameter px = new Parameter("x", x);
            double[] forward = time(repeats, () -> {
                try (Tape tape = Tape.noGrad(pool)) {
                    tape.spmm(graph, tape.constant(x));
                }
            });
            graph.transposed();
            double[] both = time(repeats, () -> {
                try (Tape tape = new Tape(pool)) {
                    Var y = tape.spmm(graph, tape.param(px));
                    tape.backward(tape.sum(y));
                }
            });
            // The backward pass timed on its own, forward outside the clock: the difference of the
            // two medians above is noise-dominated (it came out negative on a loaded machine).
            double[] backward = new double[repeats];
            for (int r = -1; r < repeats; r++) {
                try (Tape tape = new Tape(pool)) {
                    Var loss = tape.sum(tape.spmm(graph, tape.param(px)));
                    long start = System.nanoTime();
                    tape.backward(loss);
                    if (r >= 0) {
                        backward[r] = (System.nanoTime() - start) / 1e9;
                    }
                }
            }
            spmm.put("graph", dataset.name() + " (" + graph.rows() + " nodes, " + graph.nnz() + " non-zeros, 64 columns)");
            spmm.put("spmm_forward_ms", median(forward) * 1e3);
            spmm.put("spmm_forward_backward_ms", median(both) * 1e3);
            spmm.put("spmm_backward_ms", median(backward) * 1e3);
        }
        pool.clear();
        Map<String, Object> softmax = softmaxRows(rng);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("threads", Blas.threads());
        out.put("matmul", matmul);
        out.putAll(spmm);
        out.put("softmax_rows", softmax);
        if (json) {
            System.out.println(Json.pretty(out));
        } else {
            System.out.printf("OpenBLAS threads %d, medians of %d runs%n", Blas.threads(), repeats);
            for (Map<String, Object> r : matmul) {
                System.out.printf("matmul %-22s engine %7.1f GFLOP/s   bare sgemm %7.1f GFLOP/s   ratio %.3f%n",
                        r.get("shape"), r.get("engine_gflops"), r.get("blas_gflops"), r.get("ratio"));
            }
            System.out.printf("spmm %s: forward %.2f ms, backward %.2f ms%n", spmm.get("graph"),
                    spmm.get("spmm_forward_ms"), out.get("spmm_backward_ms"));
            System.out.printf("softmax rows %s: %s %.2f ms, scalar %.2f ms, ratio %.2f%n", softmax.get("shape"),
                    softmax.get("kernels"), softmax.get("best_ms"), softmax.get("scalar_ms"), softmax.get("speedup"));
        }
        return 0;
    }

    /**
     * The InfoNCE forward's element-wise part (max, exp of the shifted row with its sum, scaling)
     * over 1024 rows of 9308 logits, one thread, with the best row kernels and the scalar ones.
     */
    private Map<String, Object> softmaxRows(Rng rng) {
        int rowsCount = 1024;
        int n = 9308;
        float[][] logits = new float[rowsCount][n];
        try (Tensor t = Tensor.zeros(rowsCount, n)) {
            rng.fillUniform(t, -2, 2);
            for (int r = 0; r < rowsCount; r++) {
                t.buffer().get(r * n, logits[r], 0, n);
            }
        }
        float[] row = new float[n];
        java.util.function.Function<RowKernels, double[]> run = k -> time(repeats, () -> {
            for (float[] source : logits) {
                System.arraycopy(source, 0, row, 0, n);
                float max = k.max(row, n);
                double sum = k.expShiftedSum(row, n, max);
                k.scale(row, n, (float) (1 / sum));
            }
        });
        double best = median(run.apply(RowKernels.best()));
        double scalar = median(run.apply(RowKernels.scalar()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("shape", rowsCount + "x" + n);
        out.put("kernels", RowKernels.best().description());
        out.put("best_ms", best * 1e3);
        out.put("scalar_ms", scalar * 1e3);
        out.put("speedup", scalar / best);
        return out;
    }

    private static double[] time(int repeats, Runnable work) {
        work.run();
        double[] t = new double[repeats];
        for (int r = 0; r < repeats; r++) {
            long start = System.nanoTime();
            work.run();
            t[r] = (System.nanoTime() - start) / 1e9;
        }
        return t;
    }

    private static double median(double[] v) {
        return BenchCommand.median(v);
    }
}
