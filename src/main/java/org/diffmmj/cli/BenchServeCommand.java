package org.diffmmj.cli;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.diffmmj.io.SavedModel;
import org.diffmmj.serve.RecommendationServer;
import org.diffmmj.serve.RecommendationService;

@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = {"Load check of the HTTP service: starts it on a free loopback port in this process and sends",
                "GET /recommend requests for random known users from concurrent clients, bounded in time and count."})
public final class BenchServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "A train --out directory or its model.ckpt.")
    Path model;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "20", description = "Measured duration (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured warm-up (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--max-requests", defaultValue = "2000000", description = "Hard cap on requests (default: ${DEFAULT-VALUE}).")
    long maxRequests;

    @Option(names = "-k", defaultValue = "20", description = "Items per request (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 512 || seconds < 1 || seconds > 600) {
            throw new IllegalArgumentException("--clients must be 1..512 and --seconds 1..600");
        }
        try (SavedModel saved = SavedModel.load(model);
             RecommendationServer server = new RecommendationServer(new RecommendationService(saved)).start("127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + server.port();
            int users = saved.userIds().size();
            List<String> ids = new ArrayList<>(users);
            for (int u = 0; u < users; u++) {
                ids.add(saved.userIds().externalId(u));
            }
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            run(client, base, ids, warmupSeconds, null);
            Result r = run(client, base, ids, seconds, new Result());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("clients", clients);
            out.put("seconds", r.elapsed);
            out.put("requests", r.requests.get());
            out.put("errors", r.errors.get());
            out.put("throughput_rps", r.requests.get() / r.elapsed);
            long[] lat = r.latencies();
            Arrays.sort(lat);
            Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("p50", percentile(lat, 0.50));
            latency.put("p99", percentile(lat, 0.99));
            latency.put("max", lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6);
            out.put("latency_ms", latency);
            if (json) {
                System.out.println(Json.pretty(out));
            } else {
                System.out.printf("%d clients, %.1f s: %d requests, %d errors, %.0f req/s, p50 %.3f ms, p99 %.3f ms%n",
                        clients, r.elapsed, r.requests.get(), r.errors.get(), r.requests.get() / r.elapsed,
                        percentile(lat, 0.50), percentile(lat, 0.99));
            }
            return r.errors.get() == 0 ? 0 : 1;
        }
    }

    private static final class Result {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final List<long[]> perClient = new ArrayList<>();
        final List<Integer> counts = new ArrayList<>();
        double elapsed;

        synchronized void add(long[] lat, int n) {
            perClient.add(lat);
            counts.add(n);
        }

        long[] latencies() {
            int total = counts.stream().mapToInt(Integer::intValue).sum();
            long[] all = new long[total];
            int p = 0;
            for (int c = 0; c < perClient.size(); c++) {
                System.arraycopy(perClient.get(c), 0, all, p, counts.get(c));
                p += counts.get(c);
            }
            return all;
        }
    }

    private Result run(HttpClient client, String base, List<String> ids, int durationSeconds, Result result)
            throws Exception {
        long deadline = System.nanoTime() + durationSeconds * 1_000_000_000L;
        long perClientCap = Math.max(1, maxRequests / clients);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                final int seed = c;
                futures.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    long[] lat = new long[1024];
                    int n = 0;
                    while (System.nanoTime() < deadline && n < perClientCap) {
                        String user = ids.get(rnd.nextInt(ids.size()));
                        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/recommend?user="
                                + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8) + "&k=" + k))
                                .timeout(Duration.ofSeconds(10)).GET().build();
                        long t0 = System.nanoTime();
                        boolean ok;
                        try {
                            ok = client.send(req, HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
                        } catch (Exception e) {
                            ok = false;
                        }
                        long t = System.nanoTime() - t0;
                        if (result != null) {
                            if (n == lat.length) {
                                lat = Arrays.copyOf(lat, n * 2);
                            }
                            lat[n] = t;
                            result.requests.incrementAndGet();
                            if (!ok) {
                                result.errors.incrementAndGet();
                            }
                        }
                        n++;
                    }
                    if (result != null) {
                        result.add(lat, Math.min(n, lat.length));
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        if (result != null) {
            result.elapsed = (System.nanoTime() - start) / 1e9;
        }
        return result;
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, idx)] / 1e6;
    }
}
