package org.diffmmj.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import org.diffmmj.io.SavedModel;
import org.diffmmj.serve.RecommendationServer;
import org.diffmmj.recommend.RecommendationService;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a saved model over HTTP (JSON).",
                "GET /recommend?user=ID&k=20, POST /recommend, GET /items/{id}/similar,",
                "GET /health, GET /metrics (Prometheus). Stops gracefully on SIGTERM.",
                "Errors are JSON {\"error\": ...}: 400 bad input (strict JSON, no repeated",
                "parameters), 404 unknown id or path, 405 wrong method (with Allow), 408 body",
                "too slow, 413 body too large."})
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "A train --out directory or its model.ckpt.")
    Path model;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}, loopback only).")
    String host;

    @Option(names = "--precompute", defaultValue = "" + RecommendationService.DEFAULT_PRECOMPUTE,
            description = "Best unseen items per user computed at start-up, so requests with k up to this are "
                    + "lookups; 0 scores every request live (default: ${DEFAULT-VALUE}).")
    int precompute;

    @Option(names = "--port", defaultValue = "8080", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "Close a connection that sends nothing for this long (default: ${DEFAULT-VALUE}).")
    double idleTimeout;

    @Option(names = "--body-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "Answer 408 to a request whose body has not arrived in full after this long; slow senders "
                    + "hold no server thread meanwhile (default: ${DEFAULT-VALUE}).")
    double bodyTimeout;

    @Option(names = "--max-body", paramLabel = "BYTES", defaultValue = "" + RecommendationServer.Limits.DEFAULT_MAX_BODY_BYTES,
            description = "Answer 413 to a request body larger than this (default: ${DEFAULT-VALUE}).")
    long maxBody;

    @Override
    public Integer call() throws Exception {
        if (!(idleTimeout > 0) || !(bodyTimeout > 0) || maxBody < 1) {
            throw new IllegalArgumentException("--idle-timeout, --body-timeout and --max-body must be positive");
        }
        RecommendationServer.Limits limits = new RecommendationServer.Limits(RecommendationServer.DEFAULT_THREADS,
                java.time.Duration.ofMillis(Math.max(1, Math.round(idleTimeout * 1000))),
                java.time.Duration.ofMillis(Math.max(1, Math.round(bodyTimeout * 1000))), maxBody);
        SavedModel saved = SavedModel.load(model);
        long start = System.nanoTime();
        RecommendationService service = new RecommendationService(saved, precompute);
        if (service.precomputed() > 0) {
            System.out.printf("precomputed the best %d unseen items of %d users in %.2f s%n", service.precomputed(),
                    service.users(), (System.nanoTime() - start) / 1e9);
        }
        RecommendationServer server = new RecommendationServer(service, limits).start(host, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            saved.close();
            stopped.countDown();
        }, "diffmm-shutdown"));
        System.out.println("serving " + saved.modelName() + " on http://" + host + ":" + server.port());
        stopped.await();
        return 0;
    }
}
