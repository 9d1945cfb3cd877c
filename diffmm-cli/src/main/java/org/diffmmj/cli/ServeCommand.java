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
                "GET /recommend?user=ID&k=20, POST /recommend, GET /items/{id}/similar, GET /health,",
                "GET /metrics (Prometheus). Stops gracefully on SIGTERM."})
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

    @Override
    public Integer call() throws Exception {
        SavedModel saved = SavedModel.load(model);
        long start = System.nanoTime();
        RecommendationService service = new RecommendationService(saved, precompute);
        if (service.precomputed() > 0) {
            System.out.printf("precomputed the best %d unseen items of %d users in %.2f s%n", service.precomputed(),
                    service.users(), (System.nanoTime() - start) / 1e9);
        }
        RecommendationServer server = new RecommendationServer(service).start(host, port);
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
