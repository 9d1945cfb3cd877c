package org.diffmmj.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import org.diffmmj.data.Dataset;
import org.diffmmj.model.Recommender;
import org.diffmmj.model.diffmm.DiffMM;
import org.diffmmj.model.diffmm.DiffMMConfig;
import org.diffmmj.model.diffmm.DiffMMWork;
import org.diffmmj.random.Rng;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.graph.InteractionGraphs;
import org.diffmmj.tensor.Blas;
import org.diffmmj.tensor.Parallel;
import org.diffmmj.tensor.Tensor;
import org.diffmmj.train.EpochRecord;
import org.diffmmj.train.Trainer;
import org.diffmmj.train.RunConfig;
import org.diffmmj.train.TrainingHistory;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time DiffMM's epoch phases against the machine's matrix-multiply roofline.",
                "One warm-up epoch, then N measured epochs; prints per phase the",
                "median seconds, the work done and GFLOP/s as a fraction of the in-process matrix-multiply roofline",
                "(OpenBLAS sgemm at the denoiser's shapes, measured after every epoch; median), and the peak RSS."})
public final class BenchCommand implements Callable<Integer> {

    @Mixin
    RunOptions run;

    @Option(names = "--epochs", defaultValue = "3", description = "Measured epochs after the warm-up (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (epochs < 1) {
            throw new IllegalArgumentException("--epochs must be >= 1");
        }
        RunConfig config = run.resolve(Map.of("epochs", epochs + 1));
        if (!config.model().equals(DiffMM.NAME)) {
            throw new IllegalArgumentException("bench measures DiffMM's phases; use --model diffmm");
        }
        Dataset dataset = RunOptions.load(config);
        DiffMMConfig c = (DiffMMConfig) config.modelConfig();
        int batch = config.training().batchSize();
        // The roofline is measured again after every epoch, so it sees the machine in the same
        // sustained state (clock, neighbours) as the phases it is compared with; the figure taken
        // before training is reported beside it.
        double coldRoofline = roofline(dataset.items(), DiffMMWork.outerWidth(c));
        List<Double> warmRooflines = new ArrayList<>();
        List<Double> bandwidths = new ArrayList<>();
        TrainingHistory history;
        long graphNnz;
        long modalityNnz;
        try (Recommender model = config.definition().create(c, dataset, new Rng(config.training().seed()))) {
            history = new Trainer(config.training()).fit(model, dataset, Map.of(),
                    (record, h, m) -> {
                        warmRooflines.add(roofline(dataset.items(), DiffMMWork.outerWidth(c)));
                        bandwidths.add(memoryBandwidth());
                    });
            graphNnz = InteractionGraphs.withSelfLoops(dataset.train()).nnz();
            modalityNnz = ((DiffMM) model).modalityGraphs().stream().mapToLong(CsrMatrix::nnz).sum()
                    / Math.max(1, dataset.modalities().size());
        }
        List<EpochRecord> measured = history.epochs().subList(1, history.epochs().size());
        double roofline = median(warmRooflines.stream().mapToDouble(Double::doubleValue).toArray());
        Map<String, Double> work = new LinkedHashMap<>();
        work.put("diffusion_training", DiffMMWork.diffusionTraining(dataset, c));
        work.put("graph_generation", DiffMMWork.graphGeneration(dataset, c));
        work.put("recommendation_training", DiffMMWork.recommendationTraining(dataset, c, batch, graphNnz, modalityNnz));
        work.put("evaluation", DiffMMWork.evaluation(dataset, c.dim()));
        Map<String, Object> phases = new LinkedHashMap<>();
        for (String phase : work.keySet()) {
            double seconds = median(measured.stream().mapToDouble(r -> r.seconds().getOrDefault(phase, 0.0)).toArray());
            double gflop = work.get(phase) / 1e9;
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("seconds", seconds);
            p.put("gflop", gflop);
            p.put("gflops", seconds > 0 ? gflop / seconds : 0);
            p.put("roofline_fraction", seconds > 0 ? gflop / seconds / roofline : 0);
            phases.put(phase, p);
        }
        // The recommendation phase is bounded by memory traffic as much as by products: its time
        // against both bounds, from the bandwidth measured after each epoch like the roofline.
        double bandwidth = median(bandwidths.stream().mapToDouble(Double::doubleValue).toArray());
        double recBytes = DiffMMWork.recommendationTrainingBytes(dataset, c, batch, graphNnz, modalityNnz);
        @SuppressWarnings("unchecked")
        Map<String, Object> rec = (Map<String, Object>) phases.get("recommendation_training");
        double recSeconds = (Double) rec.get("seconds");
        double flopBound = (Double) rec.get("gflop") / roofline;
        double byteBound = recBytes / 1e9 / bandwidth;
        rec.put("gbytes_moved", recBytes / 1e9);
        rec.put("flop_bound_seconds", flopBound);
        rec.put("bandwidth_bound_seconds", byteBound);
        rec.put("bound_seconds", Math.max(flopBound, byteBound));
        rec.put("bound_fraction", recSeconds > 0 ? Math.max(flopBound, byteBound) / recSeconds : 0);
        double epochMedian = median(measured.stream().mapToDouble(EpochRecord::totalSeconds).toArray());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("dataset", dataset.name());
        out.put("measured_epochs", measured.size());
        out.put("epoch_seconds_median", epochMedian);
        out.put("epoch_seconds", measured.stream().map(EpochRecord::totalSeconds).toList());
        double totalGflop = work.values().stream().mapToDouble(Double::doubleValue).sum() / 1e9;
        out.put("epoch_gflop", totalGflop);
        out.put("roofline_gflops", roofline);
        out.put("roofline_gflops_after_each_epoch", warmRooflines);
        out.put("roofline_gflops_before_training", coldRoofline);
        out.put("roofline_epoch_seconds", totalGflop / roofline);
        out.put("memory_bandwidth_gbytes_per_second", bandwidth);
        out.put("peak_rss_mb", peakRssMb());
        out.put("phases", phases);
        if (json) {
            System.out.println(Json.pretty(out));
        } else {
            System.out.printf("DiffMM on %s: median epoch %.2f s over %d epochs (roofline %.1f GFLOP/s -> ideal %.2f s), peak RSS %d MB%n",
                    dataset.name(), epochMedian, measured.size(), roofline, totalGflop / roofline, peakRssMb());
            System.out.printf("%-26s %9s %10s %10s %9s%n", "phase", "seconds", "GFLOP", "GFLOP/s", "roofline");
            phases.forEach((name, v) -> {
                Map<?, ?> p = (Map<?, ?>) v;
                System.out.printf("%-26s %9.3f %10.1f %10.1f %8.0f%%%n", name, p.get("seconds"), p.get("gflop"),
                        p.get("gflops"), 100 * (Double) p.get("roofline_fraction"));
            });
            System.out.printf("recommendation training moves %.1f GB an epoch: at %.1f GB/s (copy bandwidth measured "
                            + "here) %.2f s, at the roofline %.2f s; its time is %.0f%% of the larger bound%n",
                    recBytes / 1e9, bandwidth, byteBound, flopBound, 100 * Math.max(flopBound, byteBound) / recSeconds);
        }
        return 0;
    }

    /** Median GFLOP/s of sgemm at the denoiser's two shapes, measured now in this process (~0.5 s). */
    static double roofline(int items, int hidden) {
        int b = 1024;
        int in = items + 10;
        List<Double> rates = new ArrayList<>();
        try (Tensor x = Tensor.zeros(b, in); Tensor w1 = Tensor.zeros(in, hidden); Tensor h = Tensor.zeros(b, hidden);
             Tensor w2 = Tensor.zeros(hidden, items); Tensor o = Tensor.zeros(b, items)) {
            Rng rng = new Rng(1);
            rng.fillUniform(x, -1, 1);
            rng.fillUniform(w1, -1, 1);
            rng.fillUniform(w2, -1, 1);
            for (int rep = 0; rep < 6; rep++) {
                long t0 = System.nanoTime();
                Blas.gemm(false, false, 1f, x, w1, 0f, h);
                long t1 = System.nanoTime();
                Blas.gemm(false, false, 1f, h, w2, 0f, o);
                long t2 = System.nanoTime();
                if (rep > 0) {
                    rates.add(2.0 * b * in * hidden / (t1 - t0));
                    rates.add(2.0 * b * hidden * items / (t2 - t1));
                }
            }
        }
        return median(rates.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /**
     * Memory bandwidth in GB/s (bytes read plus bytes written) of a parallel copy of 64 MB between
     * heap arrays, far beyond the caches; median of five after a warm-up.
     */
    static double memoryBandwidth() {
        int n = 1 << 24;
        float[] src = new float[n];
        float[] dst = new float[n];
        Arrays.fill(src, 1f);
        List<Double> rates = new ArrayList<>();
        for (int rep = 0; rep < 6; rep++) {
            long t0 = System.nanoTime();
            Parallel.forRange(n, 1 << 20, (from, to) -> System.arraycopy(src, from, dst, from, to - from));
            long t1 = System.nanoTime();
            if (rep > 0) {
                rates.add(2.0 * 4 * n / (t1 - t0));
            }
        }
        return median(rates.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return 0;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static long peakRssMb() {
        return Math.max(0, org.diffmmj.train.ProcessMemory.peakRssMb());
    }
}
