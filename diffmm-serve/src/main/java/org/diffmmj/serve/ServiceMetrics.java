package org.diffmmj.serve;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The service's metrics through Micrometer's Prometheus registry: a latency histogram per route
 * and status ({@code diffmm_request_seconds}), errors ({@code diffmm_errors_total}), and the JVM's
 * memory, GC, threads, class loading, CPU and uptime. Routes are the handler paths
 * ("/items/{id}/similar"), or "unmatched" for requests no route took, so the label set stays small
 * whatever clients send.
 */
public final class ServiceMetrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter errors;
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public ServiceMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        errors = Counter.builder("diffmm_errors").description("Requests answered with a 4xx or 5xx status")
                .register(registry);
    }

    public void record(String route, int status, double seconds) {
        // Looked up once per route and status: the builder's registry lookup is not free at 30k requests/s.
        timers.computeIfAbsent(route + " " + status, key -> Timer.builder("diffmm_request")
                        .description("Request latency by route and status")
                        .tag("route", route).tag("status", Integer.toString(status))
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofNanos(100_000))
                        .maximumExpectedValue(Duration.ofSeconds(5))
                        .register(registry))
                .record((long) (seconds * 1e9), java.util.concurrent.TimeUnit.NANOSECONDS);
        if (status >= 400) {
            errors.increment();
        }
    }

    /** Everything, in Prometheus' text exposition format. */
    public String render() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
