package io.rafty.chaos;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The chaos run's live feed for the dashboard: {@code GET /chaos/events?after=SEQ} on loopback answers
 * {@code {"events":[{"seq","time","kind","target","detail"}…],"running":bool}} with
 * {@code Access-Control-Allow-Origin: *} (the page is served by a node, on another port). Read-only and
 * loopback-only; anything else is a 404 or 405 with a JSON error. One small thread pool serves it, so a
 * stuck reader cannot slow the run.
 */
public final class ChaosFeed implements AutoCloseable {

    /** Threads answering the feed; a handful of browser tabs at most. */
    private static final int FEED_THREADS = 2;
    public static final String PATH = "/chaos/events";

    private final HttpServer server;
    private final ExecutorService executor;
    private final ChaosEvents events;

    private ChaosFeed(HttpServer server, ExecutorService executor, ChaosEvents events) {
        this.server = server;
        this.executor = executor;
        this.events = events;
    }

    /** Serves {@code events} on 127.0.0.1:{@code port} (0 for an ephemeral port). */
    public static ChaosFeed start(ChaosEvents events, int port) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        ExecutorService executor = Executors.newFixedThreadPool(FEED_THREADS, r -> {
            Thread thread = new Thread(r, "chaos-feed");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        ChaosFeed feed = new ChaosFeed(server, executor, events);
        server.createContext("/", feed::handle);
        server.start();
        return feed;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            exchange.getResponseHeaders().set("Access-Control-Allow-Origin", "*");
            if (!PATH.equals(exchange.getRequestURI().getPath())) {
                send(exchange, 404, error("not_found", "the chaos feed is GET " + PATH + "?after=SEQ"));
                return;
            }
            if ("OPTIONS".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Access-Control-Allow-Methods", "GET");
                exchange.sendResponseHeaders(204, -1);
                return;
            }
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                send(exchange, 405, error("method_not_allowed", "only GET " + PATH));
                return;
            }
            long after;
            try {
                after = afterParameter(exchange.getRequestURI().getRawQuery());
            } catch (IllegalArgumentException e) {
                send(exchange, 400, error("invalid_after", e.getMessage()));
                return;
            }
            JsonArray list = new JsonArray();
            for (ChaosEvents.Event event : events.after(after)) {
                list.add(new JsonObject().put("seq", event.seq()).put("time", event.time().toString())
                        .put("kind", event.kind().wire()).put("target", event.target()).put("detail", event.detail()));
            }
            send(exchange, 200, new JsonObject().put("events", list).put("running", events.running()));
        }
    }

    /** {@code after=SEQ}, a non-negative integer; absent means 0 (every event kept). */
    static long afterParameter(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return 0;
        }
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            String name = equals < 0 ? pair : pair.substring(0, equals);
            if ("after".equals(name)) {
                String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                try {
                    long after = Long.parseLong(value);
                    if (after < 0) {
                        throw new NumberFormatException();
                    }
                    return after;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("after must be a non-negative integer, was \"" + value + "\"");
                }
            }
        }
        return 0;
    }

    private static JsonObject error(String code, String message) {
        return new JsonObject().put("error", code).put("message", message);
    }

    private static void send(HttpExchange exchange, int status, JsonObject body) throws IOException {
        byte[] bytes = body.encode().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
