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
import org.diffmmj.recommend.RecommendationService;

@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = {"Load check of the HTTP service: throughput and latency on loopback.",
                "Starts it on a free loopback port in this process and sends GET /recommend requests for random known users from concurrent clients, bounded in time and count.",
                "Each client is one keep-alive HTTP/1.1 connection in a closed loop. --client nio (default) drives all",
                "connections from one thread, as wrk does, so the cores go to the server; socket uses a blocking thread",
                "per connection, jdk Java's HttpClient per thread (both heavier: they share the 2 cores with the server)."})
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

    @Option(names = "--client", defaultValue = "nio",
            description = "Load generator: nio (all connections on one selector thread), socket (a blocking "
                    + "thread per connection) or jdk (java.net.http.HttpClient) (default: ${DEFAULT-VALUE}).")
    String clientKind;

    @Option(names = "--precompute", defaultValue = "" + RecommendationService.DEFAULT_PRECOMPUTE,
            description = "As serve --precompute: best items per user kept from start-up; 0 scores every "
                    + "request live (default: ${DEFAULT-VALUE}).")
    int precompute;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 512 || seconds < 1 || seconds > 600) {
            throw new IllegalArgumentException("--clients must be 1..512 and --seconds 1..600");
        }
        if (!List.of("nio", "socket", "jdk").contains(clientKind)) {
            throw new IllegalArgumentException("--client must be nio, socket or jdk, got '" + clientKind + "'");
        }
        try (SavedModel saved = SavedModel.load(model);
             RecommendationServer server = new RecommendationServer(new RecommendationService(saved, precompute)).start("127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + server.port();
            int users = saved.userIds().size();
            List<String> ids = new ArrayList<>(users);
            for (int u = 0; u < users; u++) {
                ids.add(saved.userIds().externalId(u));
            }
            HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            java.util.function.Supplier<Requester> clientFactory = clientKind.equals("jdk")
                    ? () -> target -> jdk.send(HttpRequest.newBuilder(URI.create(base + target))
                            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200
                    : () -> new SocketClient("127.0.0.1", server.port());
            Result r;
            if (clientKind.equals("nio")) {
                new MultiplexedLoad(server.port(), ids, null).run(warmupSeconds);
                r = new MultiplexedLoad(server.port(), ids, new Result()).run(seconds);
            } else {
                run(clientFactory, ids, warmupSeconds, null);
                r = run(clientFactory, ids, seconds, new Result());
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("client", clientKind);
            out.put("precompute", precompute);
            out.put("gc", java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                    .map(java.lang.management.GarbageCollectorMXBean::getName).toList());
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
                System.out.printf("%s client, %d clients, %.1f s: %d requests, %d errors, %.0f req/s, p50 %.3f ms, p99 %.3f ms%n",
                        clientKind, clients, r.elapsed, r.requests.get(), r.errors.get(), r.requests.get() / r.elapsed,
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

    /** One client's way of sending a GET for a path and query; true for a 200 answer. */
    @FunctionalInterface
    private interface Requester {
        boolean get(String target) throws Exception;
    }

    private Result run(java.util.function.Supplier<Requester> clientFactory, List<String> ids, int durationSeconds,
                       Result result) throws Exception {
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
                    Requester client = clientFactory.get();
                    long[] lat = new long[1024];
                    int n = 0;
                    try {
                        while (System.nanoTime() < deadline && n < perClientCap) {
                            String user = ids.get(rnd.nextInt(ids.size()));
                            String target = target(user);
                            long t0 = System.nanoTime();
                            boolean ok;
                            try {
                                ok = client.get(target);
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
                    } finally {
                        if (client instanceof AutoCloseable closeable) {
                            closeable.close();
                        }
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

    private String target(String user) {
        return "/recommend?user=" + java.net.URLEncoder.encode(user, java.nio.charset.StandardCharsets.UTF_8) + "&k=" + k;
    }

    /**
     * All connections on one thread with a selector, each in a closed loop (send, wait for the
     * whole response, send the next), as wrk drives a server. A response is complete at its
     * Content-Length, or for a chunked one at the terminating empty chunk (JSON bodies carry no
     * raw CRLF, so the bytes "\r\n0\r\n\r\n" can only be that terminator).
     */
    private final class MultiplexedLoad {
        private final int port;
        private final List<String> ids;
        private final Result result;

        MultiplexedLoad(int port, List<String> ids, Result result) {
            this.port = port;
            this.ids = ids;
            this.result = result;
        }

        private final class Connection {
            final java.nio.channels.SocketChannel channel;
            final SplittableRandom rnd;
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(1 << 16);
            long sentAt;
            long[] lat = new long[1024];
            int n;

            Connection(java.nio.channels.SocketChannel channel, int seed) {
                this.channel = channel;
                this.rnd = new SplittableRandom(seed);
            }

            void send() throws java.io.IOException {
                String user = ids.get(rnd.nextInt(ids.size()));
                java.nio.ByteBuffer req = java.nio.ByteBuffer.wrap(("GET " + target(user)
                        + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                in.clear();
                sentAt = System.nanoTime();
                while (req.hasRemaining()) {
                    channel.write(req);
                }
            }

            /** -1 while incomplete, else the status code. */
            int status() {
                byte[] b = in.array();
                int len = in.position();
                int headEnd = -1;
                for (int i = 3; i < len; i++) {
                    if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r') {
                        headEnd = i + 1;
                        break;
                    }
                }
                if (headEnd < 0) {
                    return -1;
                }
                String head = new String(b, 0, headEnd, java.nio.charset.StandardCharsets.US_ASCII)
                        .toLowerCase(java.util.Locale.ROOT);
                int code = Integer.parseInt(head.substring(9, 12));
                int cl = head.indexOf("content-length:");
                if (cl >= 0) {
                    int end = head.indexOf('\r', cl);
                    long length = Long.parseLong(head.substring(cl + 15, end).trim());
                    return len - headEnd >= length ? code : -1;
                }
                boolean terminated = len - headEnd >= 5 && b[len - 5] == '0' && b[len - 4] == '\r' && b[len - 3] == '\n'
                        && b[len - 2] == '\r' && b[len - 1] == '\n' && (len - headEnd == 5 || b[len - 6] == '\n');
                return terminated ? code : -1;
            }
        }

        Result run(int durationSeconds) throws java.io.IOException {
            long start = System.nanoTime();
            long deadline = start + durationSeconds * 1_000_000_000L;
            long perClientCap = Math.max(1, maxRequests / clients);
            List<Connection> all = new ArrayList<>();
            try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
                for (int c = 0; c < clients; c++) {
                    java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
                            new java.net.InetSocketAddress("127.0.0.1", port));
                    ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    ch.configureBlocking(false);
                    Connection conn = new Connection(ch, c);
                    ch.register(selector, java.nio.channels.SelectionKey.OP_READ, conn);
                    all.add(conn);
                    conn.send();
                }
                int active = clients;
                while (active > 0) {
                    if (System.nanoTime() > deadline + 10_000_000_000L) {
                        break; // answers more than 10 s late count as errors below
                    }
                    selector.select(100);
                    for (java.nio.channels.SelectionKey key : selector.selectedKeys()) {
                        Connection conn = (Connection) key.attachment();
                        if (!conn.in.hasRemaining()) {
                            conn.in = java.nio.ByteBuffer.allocate(conn.in.capacity() * 2).put(conn.in.flip());
                        }
                        int read = conn.channel.read(conn.in);
                        int code = read < 0 ? 0 : conn.status();
                        if (read >= 0 && code < 0) {
                            continue;
                        }
                        long t = System.nanoTime() - conn.sentAt;
                        if (result != null) {
                            if (conn.n == conn.lat.length) {
                                conn.lat = Arrays.copyOf(conn.lat, conn.n * 2);
                            }
                            conn.lat[conn.n] = t;
                            result.requests.incrementAndGet();
                            if (code != 200) {
                                result.errors.incrementAndGet();
                            }
                        }
                        conn.n++;
                        if (read >= 0 && System.nanoTime() < deadline && conn.n < perClientCap) {
                            conn.send();
                        } else {
                            key.cancel();
                            conn.channel.close();
                            active--;
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } finally {
                for (Connection conn : all) {
                    if (conn.channel.isOpen()) {
                        if (result != null) {
                            result.errors.incrementAndGet();
                        }
                        conn.channel.close();
                    }
                }
            }
            if (result != null) {
                for (Connection conn : all) {
                    result.add(conn.lat, conn.n);
                }
                result.elapsed = (System.nanoTime() - start) / 1e9;
            }
            return result;
        }
    }

    /**
     * One keep-alive HTTP/1.1 connection with blocking reads: Content-Length or chunked bodies,
     * reconnects after an error or "Connection: close". A load generator in the style of wrk, so
     * that the cores go to the server rather than to the client's machinery.
     */
    static final class SocketClient implements Requester, AutoCloseable {
        private final String host;
        private final int port;
        private java.net.Socket socket;
        private java.io.BufferedInputStream in;
        private java.io.OutputStream out;

        SocketClient(String host, int port) {
            this.host = host;
            this.port = port;
        }

        @Override
        public boolean get(String target) throws java.io.IOException {
            try {
                if (socket == null) {
                    socket = new java.net.Socket(host, port);
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(10_000);
                    in = new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16);
                    out = socket.getOutputStream();
                }
                out.write(("GET " + target + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                String status = line();
                int code = Integer.parseInt(status.split(" ", 3)[1]);
                long length = -1;
                boolean chunked = false;
                boolean close = false;
                for (String h = line(); !h.isEmpty(); h = line()) {
                    String lower = h.toLowerCase(java.util.Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(lower.substring(15).trim());
                    } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                        chunked = true;
                    } else if (lower.startsWith("connection:") && lower.contains("close")) {
                        close = true;
                    }
                }
                if (chunked) {
                    for (long size = Long.parseLong(line().trim(), 16); size > 0; size = Long.parseLong(line().trim(), 16)) {
                        skip(size);
                        line();
                    }
                    line();
                } else if (length >= 0) {
                    skip(length);
                } else {
                    close = true;
                }
                if (close) {
                    close();
                }
                return code == 200;
            } catch (java.io.IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        private String line() throws java.io.IOException {
            StringBuilder sb = new StringBuilder(64);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new java.io.EOFException("connection closed mid-response");
                }
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }

        private void skip(long n) throws java.io.IOException {
            if (in.readNBytes((int) n).length != n) {
                throw new java.io.EOFException("connection closed mid-body");
            }
        }

        @Override
        public void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (java.io.IOException ignored) {
                    // closing a broken connection
                }
                socket = null;
            }
        }
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, idx)] / 1e6;
    }
}
