package org.diffmmj.serve;

import org.diffmmj.recommend.RecommendationService;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;

/**
 * The HTTP face of a {@link RecommendationService}: JSON in and out, 400 for bad input, 404 for
 * unknown ids, never a stack trace to the client, Prometheus metrics at {@code /metrics}.
 */
public final class RecommendationServer implements AutoCloseable {

    public static final int MAX_K = 1000;
    public static final int MAX_BATCH_USERS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RecommendationService service;
    private final ServiceMetrics metrics = new ServiceMetrics();
    private static final List<String> BATCH_FIELDS = List.of("user", "users", "k", "include_seen");
    private static final java.util.Set<String> ROUTES = java.util.Set.of("/health", "/metrics", "/recommend",
            "/items/{id}/similar");
    private final Javalin app;

    /** A client error with its HTTP status. */
    static final class BadRequest extends RuntimeException {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /**
     * Jetty threads: a small pool keeps the runnable threads near the core count, so requests
     * wait in the queue in order instead of in the OS scheduler for a time slice (the p99).
     */
    public static final int DEFAULT_THREADS = Integer.getInteger("diffmm.serve.threads",
            Math.max(8, 2 * Runtime.getRuntime().availableProcessors() + 4));

    public RecommendationServer(RecommendationService service) {
        this(service, DEFAULT_THREADS);
    }

    public RecommendationServer(RecommendationService service, int threads) {
        this.service = service;
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.useVirtualThreads = false;
            config.jetty.threadPool = new org.eclipse.jetty.util.thread.QueuedThreadPool(threads, Math.min(threads, 4));
            // Answers are ~1 KB of JSON: compressing them costs more CPU than it saves on the wire
            // (the stream wrapper alone was the top frame of a profile at 30k requests/s).
            config.http.disableCompression();
        });
        app.before(ctx -> ctx.attribute("start", System.nanoTime()));
        app.after(ctx -> {
            Long start = ctx.attribute("start");
            // For a path no route serves, Javalin reports its own message as the handler path.
            String route = ctx.endpointHandlerPath();
            metrics.record(ROUTES.contains(route) ? route : "unmatched", ctx.statusCode(),
                    start == null ? 0 : (System.nanoTime() - start) / 1e9);
        });
        app.get("/health", ctx -> json(ctx, 200, ordered("status", "ok", "users", service.users(),
                "items", service.items())));
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render()));
        app.get("/recommend", this::recommendOne);
        app.post("/recommend", this::recommendBatch);
        app.get("/items/{id}/similar", this::similar);
        app.exception(BadRequest.class, (e, ctx) -> json(ctx, e.status, Map.of("error", e.getMessage())));
        app.exception(RecommendationService.UnknownIdException.class,
                (e, ctx) -> json(ctx, 404, Map.of("error", e.getMessage())));
        app.exception(UnsupportedOperationException.class,
                (e, ctx) -> json(ctx, 404, Map.of("error", e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> json(ctx, 500, Map.of("error", "internal error")));
        app.error(404, ctx -> {
            String type = ctx.res().getContentType();
            if (type == null || !type.startsWith("application/json")) {
                json(ctx, 404, Map.of("error", "no such endpoint: " + ctx.method() + " " + ctx.path()));
            }
        });
        app.error(405, ctx -> json(ctx, 405, Map.of("error", "method not allowed")));
    }

    public RecommendationServer start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() {
        return app.port();
    }

    private void recommendOne(Context ctx) {
        String user = ctx.queryParam("user");
        if (user == null || user.isBlank()) {
            throw new BadRequest(400, "query parameter 'user' is required");
        }
        int k = parseK(ctx.queryParam("k"));
        boolean includeSeen = Boolean.parseBoolean(ctx.queryParamAsClass("include_seen", String.class).getOrDefault("false"));
        json(ctx, 200, answer(user, k, includeSeen));
    }

    private void recommendBatch(Context ctx) {
        JsonNode body;
        try {
            body = JSON.readTree(ctx.body());
        } catch (Exception e) {
            throw new BadRequest(400, "body is not valid JSON");
        }
        if (body == null || !body.isObject() || !(body.path("users").isArray() || body.has("user"))
                || (body.has("users") && body.has("user"))) {
            throw new BadRequest(400, "body must be a JSON object with a 'users' array or a single 'user'");
        }
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!BATCH_FIELDS.contains(name)) {
                throw new BadRequest(400, "unknown field '" + name + "'; the body takes " + BATCH_FIELDS);
            }
        }
        JsonNode kNode = body.get("k");
        int k = kNode == null ? 20 : parseK(kNode.isIntegralNumber() ? kNode.asText() : "bad:" + kNode);
        JsonNode seenNode = body.get("include_seen");
        if (seenNode != null && !seenNode.isBoolean()) {
            throw new BadRequest(400, "'include_seen' must be true or false");
        }
        boolean includeSeen = seenNode != null && seenNode.asBoolean();
        if (body.has("user")) {
            // One user: the same answer as GET /recommend, not a list of one.
            JsonNode u = body.get("user");
            if (!u.isTextual() && !u.isIntegralNumber()) {
                throw new BadRequest(400, "user ids must be strings or integers");
            }
            json(ctx, 200, answer(u.asText(), k, includeSeen));
            return;
        }
        JsonNode usersNode = body.get("users");
        if (usersNode.size() == 0 || usersNode.size() > MAX_BATCH_USERS) {
            throw new BadRequest(400, "'users' must hold 1 to " + MAX_BATCH_USERS + " ids");
        }
        List<Object> results = new ArrayList<>();
        for (JsonNode u : usersNode) {
            if (!u.isTextual() && !u.isIntegralNumber()) {
                throw new BadRequest(400, "user ids must be strings or integers");
            }
            try {
                results.add(answer(u.asText(), k, includeSeen));
            } catch (RecommendationService.UnknownIdException e) {
                results.add(ordered("user", u.asText(), "error", e.getMessage()));
            }
        }
        json(ctx, 200, Map.of("results", results));
    }

    private void similar(Context ctx) {
        int k = parseK(ctx.queryParam("k"));
        String item = ctx.pathParam("id");
        List<Map<String, Object>> items = new ArrayList<>();
        for (RecommendationService.ScoredItem s : service.similarItems(item, k)) {
            items.add(ordered("item", s.item(), "similarity", s.score()));
        }
        json(ctx, 200, ordered("item", item, "similar", items));
    }

    private Map<String, Object> answer(String user, int k, boolean includeSeen) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (RecommendationService.ScoredItem s : service.recommend(user, k, includeSeen)) {
            items.add(ordered("item", s.item(), "score", s.score()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user", user);
        out.put("items", items);
        return out;
    }

    /** A JSON object whose keys keep the given order (Map.of's order changes from run to run). */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    static int parseK(String raw) {
        if (raw == null) {
            return 20;
        }
        int k;
        try {
            k = Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest(400, "k must be an integer between 1 and " + MAX_K);
        }
        if (k < 1 || k > MAX_K) {
            throw new BadRequest(400, "k must be an integer between 1 and " + MAX_K);
        }
        return k;
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (Exception e) {
            ctx.status(500).contentType("application/json").result("{\"error\":\"internal error\"}");
        }
    }

    @Override
    public void close() {
        app.stop();
        metrics.close();
    }
}
