package org.diffmmj.serve;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;

/** Request counters and a latency histogram, rendered in Prometheus' text format. */
public final class ServiceMetrics {

    private static final double[] BUCKETS_SECONDS = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};

    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLongArray bucketCounts = new AtomicLongArray(BUCKETS_SECONDS.length);
    private final AtomicLong latencyCount = new AtomicLong();
    private final DoubleAdder latencySum = new DoubleAdder();

    public void record(String route, int status, double seconds) {
        requests.computeIfAbsent(route + "\u0000" + status, k -> new AtomicLong()).incrementAndGet();
        if (status >= 400) {
            errors.incrementAndGet();
        }
        for (int b = 0; b < BUCKETS_SECONDS.length; b++) {
            if (seconds <= BUCKETS_SECONDS[b]) {
                bucketCounts.incrementAndGet(b);
            }
        }
        latencyCount.incrementAndGet();
        latencySum.add(seconds);
    }

    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP diffmm_requests_total Requests served, by route and status.\n");
        sb.append("# TYPE diffmm_requests_total counter\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] parts = e.getKey().split("\u0000");
            sb.append("diffmm_requests_total{route=\"").append(parts[0]).append("\",status=\"").append(parts[1])
                    .append("\"} ").append(e.getValue().get()).append('\n');
        });
        sb.append("# HELP diffmm_errors_total Requests answered with a 4xx or 5xx status.\n");
        sb.append("# TYPE diffmm_errors_total counter\n");
        sb.append("diffmm_errors_total ").append(errors.get()).append('\n');
        sb.append("# HELP diffmm_request_seconds Request latency.\n");
        sb.append("# TYPE diffmm_request_seconds histogram\n");
        for (int b = 0; b < BUCKETS_SECONDS.length; b++) {
            sb.append("diffmm_request_seconds_bucket{le=\"").append(BUCKETS_SECONDS[b]).append("\"} ")
                    .append(bucketCounts.get(b)).append('\n');
        }
        sb.append("diffmm_request_seconds_bucket{le=\"+Inf\"} ").append(latencyCount.get()).append('\n');
        sb.append("diffmm_request_seconds_sum ").append(latencySum.sum()).append('\n');
        sb.append("diffmm_request_seconds_count ").append(latencyCount.get()).append('\n');
        return sb.toString();
    }
}
