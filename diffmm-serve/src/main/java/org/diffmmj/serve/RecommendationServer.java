package org.diffmmj.serve;

import org.diffmmj.recommend.RecommendationService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.MethodNotAllowedResponse;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;

/**
 * The HTTP face of a {@link RecommendationService}: JSON in and out, 400 for bad input, 404 for
 * unknown ids, never a stack trace to the client, Prometheus metrics at {@code /metrics}.
 *
 * <p>Hardened against slow and malformed clients: every answer, Jetty's own (a bad request line,
 * headers too large) included, is a JSON object {@code {"error": ...}}; a POST body is read
 * without holding a Jetty thread (servlet non-blocking I/O), within a deadline
 * ({@link Limits#bodyTimeout()}, else 408) and a size limit ({@link Limits#maxBodyBytes()}, else
 * 413), so slow senders cannot starve {@code /health} or {@code /recommend}; a connection silent
 * for {@link Limits#idleTimeout()} is closed. Request JSON is strict (no trailing data, no
 * duplicate keys), a query parameter given twice is refused, and a wrong method on an existing
 * route answers 405 with an {@code Allow} header.
 */
public final class RecommendationServer implements AutoCloseable {

    public static final int MAX_K = 1000;
    public static final int MAX_BATCH_USERS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Request bodies: trailing data and duplicate keys are errors, not silently dropped or overwritten. */
    private static final ObjectMapper STRICT_JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonParser.Feature.INCLUDE_SOURCE_IN_LOCATION);

    /**
     * The service's defences: Jetty's thread count, how long a connection may stay silent, how long
     * a request body may take to arrive in full, and the largest body accepted.
     */
    public record Limits(int threads, Duration idleTimeout, Duration bodyTimeout, long maxBodyBytes) {
        public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
        public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(10);
        /** 1 MiB: a batch of 1000 users with 100-character ids is about 100 KB. */
        public static final long DEFAULT_MAX_BODY_BYTES = 1 << 20;

        public Limits {
            if (threads < 2 || idleTimeout.isNegative() || idleTimeout.isZero() || bodyTimeout.isNegative()
                    || bodyTimeout.isZero() || maxBodyBytes < 1) {
                throw new IllegalArgumentException("server limits must be positive (and at least 2 threads): threads "
                        + threads + ", idle timeout " + idleTimeout + ", body timeout " + bodyTimeout
                        + ", max body " + maxBodyBytes);
            }
        }

        public static Limits defaults() {
            return new Limits(DEFAULT_THREADS, DEFAULT_IDLE_TIMEOUT, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_BODY_BYTES);
        }

        public Limits withThreads(int n) {
            return new Limits(n, idleTimeout, bodyTimeout, maxBodyBytes);
        }
    }

    private final Limits limits;
    /** Fires body deadlines; one daemon thread, idle unless a body is late. */
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "diffmm-body-deadline");
        t.setDaemon(true);
        return t;
    });
    private volatile String bindHost;
    private volatile int bindPort;

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
        this(service, Limits.defaults());
    }

    public RecommendationServer(RecommendationService service, int threads) {
        this(service, Limits.defaults().withThreads(threads));
    }

    public RecommendationServer(RecommendationService service, Limits limits) {
        this.service = service;
        this.limits = limits;
        ErrorHandler jettyErrors = new JsonErrorHandler();
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.useVirtualThreads = false;
            config.jetty.threadPool = new org.eclipse.jetty.util.thread.QueuedThreadPool(limits.threads(),
                    Math.min(limits.threads(), 4));
            // Answers are ~1 KB of JSON: compressing them costs more CPU than it saves on the wire
            // (the stream wrapper alone was the top frame of a profile at 30k requests/s).
            config.http.disableCompression();
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = limits.maxBodyBytes();
            // Jetty answers some errors itself (a malformed request line, headers too large, a bad
            // URI) before Javalin sees the request: those answers are JSON too.
            config.jetty.modifyServer(server -> server.setErrorHandler(jettyErrors));
            config.jetty.modifyServletContextHandler(handler -> handler.setErrorHandler(jettyErrors));
            config.jetty.addConnector((server, http) -> {
                ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
                connector.setHost(bindHost);
                connector.setPort(bindPort);
                connector.setIdleTimeout(limits.idleTimeout().toMillis());
                return connector;
            });
        });
        app.before(ctx -> {
            ctx.attribute("start", System.nanoTime());
            // A repeated parameter has no single meaning (first? last?): refuse it rather than guess.
            ctx.queryParamMap().forEach((name, values) -> {
                if (values.size() > 1) {
                    throw new BadRequest(400, "query parameter '" + excerpt(name) + "' is given " + values.size()
                            + " times; give it once");
                }
            });
        });
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
        app.exception(MethodNotAllowedResponse.class, (e, ctx) -> {
            // Javalin lists the methods of the matching routes; a GET route also answers HEAD.
            String methods = e.getDetails().values().stream().findFirst().orElse("");
            List<String> allowed = new ArrayList<>(List.of(methods.split(",\\s*")));
            if (allowed.contains("GET") && !allowed.contains("HEAD")) {
                allowed.add(allowed.indexOf("GET") + 1, "HEAD");
            }
            ctx.header("Allow", String.join(", ", allowed));
            json(ctx, 405, Map.of("error", "method " + ctx.method() + " not allowed on " + excerpt(ctx.path())
                    + "; allowed: " + String.join(", ", allowed)));
        });
        app.exception(Exception.class, (e, ctx) -> fail(ctx, e));
        app.error(404, ctx -> {
            if (!isJson(ctx)) {
                json(ctx, 404, Map.of("error", "no such endpoint: " + ctx.method() + " " + excerpt(ctx.path())));
            }
        });
        // Whatever else answers an error status without a JSON body gets one.
        for (HttpStatus status : HttpStatus.values()) {
            if (status.getCode() >= 400 && status.getCode() != 404) {
                app.error(status.getCode(), ctx -> {
                    if (!isJson(ctx)) {
                        json(ctx, status.getCode(), Map.of("error", status.getMessage().toLowerCase(java.util.Locale.ROOT)));
                    }
                });
            }
        }
    }

    /** Answers an exception as a JSON error: client errors with their status, the rest as 500 with no detail. */
    private static void fail(Context ctx, Throwable e) {
        if (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof BadRequest bad) {
            if (bad.status == 408 || bad.status == 413) {
                // The rest of the body is not read: the connection cannot carry another request.
                ctx.header("Connection", "close");
            }
            json(ctx, bad.status, Map.of("error", bad.getMessage()));
        } else if (e instanceof RecommendationService.UnknownIdException || e instanceof UnsupportedOperationException) {
            json(ctx, 404, Map.of("error", e.getMessage()));
        } else if (e instanceof HttpResponseException http) {
            json(ctx, http.getStatus(), Map.of("error", http.getMessage()));
        } else {
            json(ctx, 500, Map.of("error", "internal error"));
        }
    }

    private static boolean isJson(Context ctx) {
        String type = ctx.res().getContentType();
        return type != null && type.startsWith("application/json");
    }

    /** At most 80 characters of client input, for an error message. */
    static String excerpt(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    public RecommendationServer start(String host, int port) {
        this.bindHost = host;
        this.bindPort = port;
        app.start(host, port);
        return this;
    }

    public Limits limits() {
        return limits;
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

    /**
     * POST /recommend: the body is read with servlet non-blocking I/O, so a client that sends it a
     * byte at a time holds a connection but no thread; the answer is computed once it is whole.
     */
    private void recommendBatch(Context ctx) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > limits.maxBodyBytes()) {
            throw tooLarge();
        }
        ctx.future(() -> readBody(ctx.req()).handle((bytes, error) -> {
            try {
                if (error != null) {
                    throw error;
                }
                answerBatch(ctx, bytes);
            } catch (Throwable t) {
                fail(ctx, t);
            }
            return null;
        }));
    }

    private BadRequest tooLarge() {
        return new BadRequest(413, "request body is larger than " + limits.maxBodyBytes() + " bytes");
    }

    /** The whole body, or a 413 past the limit, or a 408 past the deadline; called after async start. */
    private CompletableFuture<byte[]> readBody(HttpServletRequest req) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        ServletInputStream in;
        try {
            in = req.getInputStream();
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new BadRequest(400, "request body could not be read"));
        }
        var deadline = deadlines.schedule(() -> result.completeExceptionally(new BadRequest(408,
                "request body not received within " + limits.bodyTimeout().toMillis() + " ms")),
                limits.bodyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((b, e) -> deadline.cancel(false));
        in.setReadListener(new ReadListener() {
            private final ByteArrayOutputStream body = new ByteArrayOutputStream();
            private final byte[] chunk = new byte[8192];

            @Override
            public void onDataAvailable() throws IOException {
                while (!result.isDone() && in.isReady() && !in.isFinished()) {
                    int n = in.read(chunk);
                    if (n < 0) {
                        return;
                    }
                    if (body.size() + (long) n > limits.maxBodyBytes()) {
                        result.completeExceptionally(tooLarge());
                        return;
                    }
                    body.write(chunk, 0, n);
                }
            }

            @Override
            public void onAllDataRead() {
                result.complete(body.toByteArray());
            }

            @Override
            public void onError(Throwable t) {
                boolean stalled = t instanceof java.util.concurrent.TimeoutException
                        || t.getCause() instanceof java.util.concurrent.TimeoutException;
                result.completeExceptionally(t instanceof BadRequest ? t
                        : stalled ? new BadRequest(408, "request body stalled for longer than the idle timeout ("
                                + limits.idleTimeout().toMillis() + " ms)")
                        : new BadRequest(400, "request body could not be read"));
            }
        });
        return result;
    }

    private void answerBatch(Context ctx, byte[] bytes) {
        JsonNode body;
        try {
            body = STRICT_JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new BadRequest(400, "body is not valid JSON: " + excerpt(String.valueOf(e.getOriginalMessage())));
        } catch (IOException e) {
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
        deadlines.shutdownNow();
        metrics.close();
    }

    /**
     * Jetty's own error answers (before or outside Javalin's routes) as JSON instead of its HTML
     * page: {@code {"error": reason}}, never a stack trace.
     */
    static final class JsonErrorHandler extends ErrorHandler {

        JsonErrorHandler() {
            setShowStacks(false);
            setShowServlet(false);
        }

        @Override
        public void handle(String target, Request baseRequest, HttpServletRequest request, HttpServletResponse response)
                throws IOException {
            baseRequest.setHandled(true);
            int code = response.getStatus();
            Object message = request.getAttribute(jakarta.servlet.RequestDispatcher.ERROR_MESSAGE);
            byte[] body = errorBody(code, message == null ? null : message.toString());
            response.setContentType("application/json");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        }

        @Override
        public java.nio.ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, "application/json");
            return java.nio.ByteBuffer.wrap(errorBody(status, reason));
        }

        private static byte[] errorBody(int code, String reason) {
            String text = reason == null || reason.isBlank() ? org.eclipse.jetty.http.HttpStatus.getMessage(code) : reason;
            try {
                return JSON.writeValueAsBytes(Map.of("error", excerpt(text)));
            } catch (JsonProcessingException e) {
                return "{\"error\":\"bad request\"}".getBytes(StandardCharsets.UTF_8);
            }
        }
    }
}
