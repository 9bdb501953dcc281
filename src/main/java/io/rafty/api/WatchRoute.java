package io.rafty.api;

import io.rafty.kv.Event;
import io.rafty.kv.KeySelector;
import io.rafty.node.RaftVerticle;
import io.rafty.node.WatchHub;
import io.rafty.node.WatchMessage;
import io.rafty.node.WatchRequest;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /v1/watch/{key}} and {@code GET /v1/watch?prefix=P}: watch streams as Server-Sent Events
 * (DESIGN §4). Every parameter is checked, and the watch registered with the node, before a byte of
 * the stream is written, so bad input and refusals are ordinary JSON errors (400, 410 compacted, 503).
 *
 * <p>Where a stream starts: {@code Last-Event-ID: R} (what an SSE client sends when it reconnects)
 * resumes after R and wins over {@code ?fromRevision=}, which starts at that revision; with neither,
 * the stream starts now — after a read barrier, so its {@code created} revision covers every write
 * acknowledged before the request. A follower serves the stream from its own applied state.
 *
 * <p>The node's {@link WatchHub} calls the stream's {@link WatchHub.Subscriber} on the Raft context;
 * every write to the response happens on this verticle's context, in order. The stream reports itself
 * congested while Vert.x's write queue for the response is full, so the hub queues (and cancels a
 * watcher that falls too far behind, with {@code slow_watcher}) instead of this class buffering. A
 * stream silent for a third of the HTTP idle timeout gets an SSE comment line, so the server's idle
 * timeout never closes a live watch that asked for no progress messages.
 */
final class WatchRoute {

    private static final Set<String> PARAMETERS = Set.of("prefix", "fromRevision", "prevKv", "progressMs",
            "consistency");
    private static final String PATH = "/v1/watch/";
    /** The shortest progress interval a client may ask for. */
    static final int MIN_PROGRESS_MS = 100;
    /** The longest: a day. */
    static final int MAX_PROGRESS_MS = 86_400_000;
    private static final Buffer KEEPALIVE = Buffer.buffer(":\n\n");

    private final Vertx vertx;
    private final RaftVerticle raft;
    private final int maxKeyBytes;
    private final int defaultProgressMs;
    private final long keepaliveNanos;
    private final Set<Stream> open = ConcurrentHashMap.newKeySet();
    /**
     * The last batch encoded, by identity, and its bytes: the hub hands every watcher of one key or prefix
     * the very same list, and their writes run one after the other on this verticle's context.
     */
    private List<WatchMessage> lastBatch;
    private byte[] lastBatchBytes;
    private long keepaliveTimer = -1;
    /**
     * Whether a stream's request may still read its keys, asked before every batch is written: a role change or
     * a user's deletion ends a running watch (with {@code cancelled} {@code permission_denied}) as soon as this
     * node has applied it, not only new ones. Always true without auth.
     */
    private java.util.function.BiPredicate<RoutingContext, KeySelector> stillAllowed = (ctx, keys) -> true;

    WatchRoute(Vertx vertx, RaftVerticle raft, int maxKeyBytes, int defaultProgressMs, int idleTimeoutMs) {
        this.vertx = vertx;
        this.raft = raft;
        this.maxKeyBytes = maxKeyBytes;
        this.defaultProgressMs = defaultProgressMs;
        this.keepaliveNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(1, idleTimeoutMs / 3));
    }

    void stillAllowed(java.util.function.BiPredicate<RoutingContext, KeySelector> check) {
        this.stillAllowed = check;
    }

    /** Starts the keepalive timer; call on the API verticle's context. */
    void start() {
        long period = Math.max(1, TimeUnit.NANOSECONDS.toMillis(keepaliveNanos) / 2);
        keepaliveTimer = vertx.setPeriodic(period, id -> {
            long now = System.nanoTime();
            for (Stream stream : open) {
                stream.keepalive(now);
            }
        });
    }

    void stop() {
        if (keepaliveTimer >= 0) {
            vertx.cancelTimer(keepaliveTimer);
        }
    }

    int openStreams() {
        return open.size();
    }

    void watchKey(RoutingContext ctx) {
        RequestParams.onlyKnown(ctx, PARAMETERS);
        if (ctx.queryParams().contains("prefix")) {
            throw ApiException.badRequest("prefix is for GET /v1/watch?prefix=P, not for a key's watch");
        }
        String path = ctx.request().path();
        byte[] key = KeyCodec.decodePath(path.substring(PATH.length()));
        if (key.length == 0) {
            throw ApiException.badRequest("key must not be empty");
        }
        if (key.length > maxKeyBytes) {
            throw ApiException.badRequest("key is " + key.length + " bytes; the limit is " + maxKeyBytes);
        }
        watch(ctx, KeySelector.key(key));
    }

    void watchPrefix(RoutingContext ctx) {
        RequestParams.onlyKnown(ctx, PARAMETERS);
        byte[] prefix = RequestParams.bytes(ctx, "prefix");
        if (prefix == null) {
            throw ApiException.badRequest("GET /v1/watch needs ?prefix=P (an empty prefix watches every key), or"
                    + " use /v1/watch/{key}");
        }
        if (prefix.length > maxKeyBytes) {
            throw ApiException.badRequest("prefix is " + prefix.length + " bytes; the limit is " + maxKeyBytes);
        }
        watch(ctx, KeySelector.prefix(prefix));
    }

    private void watch(RoutingContext ctx, KeySelector selector) {
        // Read on every key the watch can report: a prefix watch needs read on the whole prefix (the empty one on
        // every key), and prevKv shows nothing a reader of those keys could not read anyway.
        AccessControl.requireRead(ctx, selector, "a watch");
        Long lastEventId = RequestParams.revisionValue(ctx.request().getHeader("Last-Event-ID"), "Last-Event-ID", 0);
        Long from = RequestParams.revision(ctx, "fromRevision", 1);
        boolean prevKv = RequestParams.flag(ctx, "prevKv", false);
        Long progressMs = RequestParams.revision(ctx, "progressMs", 0);
        if (progressMs != null && progressMs != 0 && (progressMs < MIN_PROGRESS_MS || progressMs > MAX_PROGRESS_MS)) {
            throw ApiException.badRequest("progressMs must be 0 (no progress messages) or between " + MIN_PROGRESS_MS
                    + " and " + MAX_PROGRESS_MS + ", got " + progressMs);
        }
        boolean stale = RequestParams.stale(ctx);
        WatchRequest.Start start = lastEventId != null ? WatchRequest.Start.after(lastEventId)
                : from != null ? WatchRequest.Start.from(from) : WatchRequest.Start.now();
        long progressNanos = TimeUnit.MILLISECONDS.toNanos(progressMs != null ? progressMs : defaultProgressMs);
        WatchRequest request = new WatchRequest(selector, start, prevKv, progressNanos);
        if (start.kind() != WatchRequest.Start.Kind.NOW || stale) {
            register(ctx, request);
            return;
        }
        raft.readBarrier().onComplete(ar -> {
            if (ar.succeeded()) {
                register(ctx, request);
            } else {
                // No leader confirmed the read: 503, for the client to retry (a stream is not relayed).
                ctx.fail(ar.cause());
            }
        });
    }

    private void register(RoutingContext ctx, WatchRequest request) {
        if (ctx.response().closed()) {
            return;
        }
        Stream stream = new Stream(ctx, Vertx.currentContext(), request.selector());
        raft.watch(request, stream).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            stream.registered(ar.result());
        });
    }

    /** One SSE response, fed by the node's hub. */
    private final class Stream implements WatchHub.Subscriber {
        private final RoutingContext ctx;
        private final HttpServerResponse response;
        private final Context context;
        private volatile boolean congested;
        private long watchId = -1;
        private boolean clientGone;
        private boolean ended;
        private long lastWriteNanos = System.nanoTime();
        private final KeySelector selector;

        Stream(RoutingContext ctx, Context context, KeySelector selector) {
            this.ctx = ctx;
            this.selector = selector;
            this.response = ctx.response();
            this.context = context;
        }

        /** The node accepted the watch (its created message is already written or on its way). */
        void registered(long id) {
            watchId = id;
            if (clientGone || ended) {
                raft.cancelWatch(id);
            }
        }

        @Override
        public void send(List<WatchMessage> messages) {
            context.runOnContext(v -> write(messages));
        }

        @Override
        public boolean congested() {
            return congested;
        }

        @Override
        public void end(WatchMessage.Cancelled cancelled) {
            context.runOnContext(v -> write(List.of(cancelled)));
        }

        /** Writes a batch of messages as one buffer: one write (and one flush) per batch, not per revision. */
        private void write(List<WatchMessage> messages) {
            if (ended || clientGone) {
                return;
            }
            if (messages.get(0) instanceof WatchMessage.Created) {
                begin();
            }
            if (!(messages.get(messages.size() - 1) instanceof WatchMessage.Cancelled)
                    && !stillAllowed.test(ctx, selector)) {
                ended = true;
                open.remove(this);
                if (watchId >= 0) {
                    raft.cancelWatch(watchId);
                }
                if (messages.get(0) instanceof WatchMessage.Created) {
                    begin();
                }
                response.end(Buffer.buffer(sse(-1, "cancelled", new JsonObject().put("reason", "permission_denied")
                        .put("revision", messages.get(messages.size() - 1).revision()))));
                return;
            }
            Buffer bytes = Buffer.buffer(encode(messages));
            lastWriteNanos = System.nanoTime();
            if (messages.get(messages.size() - 1) instanceof WatchMessage.Cancelled) {
                ended = true;
                open.remove(this);
                response.end(bytes);
                return;
            }
            response.write(bytes);
            if (response.writeQueueFull() && !congested) {
                congested = true;
                response.drainHandler(v -> {
                    congested = false;
                    if (watchId >= 0) {
                        raft.watchWritable(watchId);
                    }
                });
            }
        }

        private void begin() {
            response.setStatusCode(200)
                    .putHeader("content-type", "text/event-stream; charset=utf-8")
                    .putHeader("cache-control", "no-cache")
                    .putHeader("x-accel-buffering", "no")
                    .setChunked(true);
            response.closeHandler(v -> {
                clientGone = true;
                open.remove(this);
                if (watchId >= 0) {
                    raft.cancelWatch(watchId);
                }
            });
            open.add(this);
        }

        private byte[] encode(List<WatchMessage> messages) {
            if (messages == lastBatch) {
                return lastBatchBytes;
            }
            byte[][] encoded = new byte[messages.size()][];
            int size = 0;
            for (int i = 0; i < encoded.length; i++) {
                WatchMessage message = messages.get(i);
                // A change's bytes are encoded once for every stream it goes to.
                encoded[i] = message instanceof WatchMessage.Change change
                        ? change.encoded(WatchRoute::changeEvent) : event(message);
                size += encoded[i].length;
            }
            byte[] all = new byte[size];
            int at = 0;
            for (byte[] one : encoded) {
                System.arraycopy(one, 0, all, at, one.length);
                at += one.length;
            }
            lastBatch = messages;
            lastBatchBytes = all;
            return all;
        }

        void keepalive(long nowNanos) {
            context.runOnContext(v -> {
                if (!ended && !clientGone && nowNanos - lastWriteNanos >= keepaliveNanos) {
                    lastWriteNanos = nowNanos;
                    response.write(KEEPALIVE);
                }
            });
        }
    }

    // ----- encoding ---------------------------------------------------------------------------

    private static byte[] changeEvent(WatchMessage.Change change) {
        JsonArray events = new JsonArray();
        for (Event event : change.events()) {
            events.add(event(event));
        }
        JsonObject data = new JsonObject().put("revision", change.revision()).put("events", events);
        return sse(change.revision(), "change", data);
    }

    private static JsonObject event(Event event) {
        JsonObject json = new JsonObject();
        if (event.type() == Event.Type.PUT) {
            json.put("type", "put");
            JsonObject entry = KvJson.entry(event.entry());
            entry.forEach(field -> json.put(field.getKey(), field.getValue()));
            json.put("lease", event.entry().lease());
        } else {
            json.put("type", "delete").put("key", KeyCodec.display(event.key())).put("revision", event.revision());
        }
        if (event.prev() != null) {
            json.put("prev", KvJson.entry(event.prev()));
        }
        return json;
    }

    private static byte[] event(WatchMessage message) {
        return switch (message.kind()) {
            case CREATED -> sse(-1, "created", new JsonObject().put("revision", message.revision()));
            case PROGRESS -> sse(message.revision(), "progress", new JsonObject().put("revision", message.revision()));
            case CANCELLED -> {
                WatchMessage.Cancelled cancelled = (WatchMessage.Cancelled) message;
                JsonObject data = new JsonObject().put("reason", cancelled.reason().code())
                        .put("revision", cancelled.revision());
                if (cancelled.reason() == WatchMessage.Reason.COMPACTED) {
                    data.put("compactRevision", cancelled.compactRevision());
                }
                yield sse(-1, "cancelled", data);
            }
            case CHANGE -> changeEvent((WatchMessage.Change) message);
        };
    }

    /** One SSE message; JSON has no raw newlines, so {@code data} is one line. */
    private static byte[] sse(long id, String event, JsonObject data) {
        StringBuilder out = new StringBuilder(64);
        if (id >= 0) {
            out.append("id: ").append(id).append('\n');
        }
        out.append("event: ").append(event).append('\n').append("data: ").append(data.encode()).append("\n\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
