package org.diffmmj.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The one thread pool of the Java kernels, sized to the cores. OpenBLAS runs with the same
 * number of threads but only on the caller's thread, between Java kernels, never inside one:
 * the two never compete for the cores.
 */
public final class Parallel {

    /** Body of a parallel loop over [from, to). */
    @FunctionalInterface
    public interface IntRangeConsumer {
        void accept(int from, int to);
    }

    private static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());
    private static final ForkJoinPool POOL = THREADS == 1 ? null : new ForkJoinPool(THREADS);

    private Parallel() {
    }

    public static int threads() {
        return THREADS;
    }

    /**
     * Runs body over [0, n) in contiguous chunks of at least {@code minChunk}; chunk boundaries
     * depend only on n, minChunk and the core count, so per-chunk results are reproducible.
     */
    public static void forRange(int n, int minChunk, IntRangeConsumer body) {
        if (n <= 0) {
            return;
        }
        int chunks = (int) Math.min(THREADS * 4L, Math.max(1, n / Math.max(1, minChunk)));
        if (chunks <= 1 || POOL == null || ForkJoinTask.inForkJoinPool()) {
            body.accept(0, n);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int c = 0; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks);
            int to = (int) ((long) n * (c + 1) / chunks);
            tasks.add(POOL.submit(() -> body.accept(from, to)));
        }
        RuntimeException failure = null;
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
