package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Recorder;

/**
 * The watchers of a fan-out run ({@code --watchers N}): N Server-Sent Events streams on the bench's key
 * prefix, {@code GET /v1/watch?prefix=<key-prefix>}, spread round-robin over the endpoints and over the
 * generator's event loops like the clients, one connection each.
 *
 * <p>Threading: a watcher belongs to one generator event loop; its HTTP stream, {@link SseParser} and
 * {@link WatcherTally} are touched only there, and its work per chunk is one clock read, the parse, and
 * a ledger lookup per change. The main thread sees the watchers through counters and one published
 * revision each, and at the end through a task run on every loop ({@link #totals}).
 */
final class WatchFanOut {

    /** How long the watchers have, together, to receive their {@code created} messages. */
    static final long START_DEADLINE_MS = 30_000;
    /**
     * How long, once every write has been answered, the watchers have to receive the last counted
     * revision; what has not arrived by then is missed.
     */
    static final long DRAIN_DEADLINE_MS = 5_000;
    private static final long DRAIN_POLL_MS = 10;
    private static final String WATCH_PATH = "/v1/watch?prefix=";

    /** What every watcher together saw, gathered after the run. */
    record Totals(int watchers, int started, int ended, long arrivedInWindow, long settled, long missed,
                  long outOfOrder, long unmatched, Map<String, Long> endReasons, Map<String, Long> malformed) {
    }

    private final BenchSettings settings;
    private final List<Context> loops;
    private final WriteLedger ledger;
    private final List<List<Watcher>> watchersByLoop = new ArrayList<>();
    private final CountDownLatch startsSettled;
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger ended = new AtomicInteger();
    private final Map<String, LongAdder> startFailures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> endReasons = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> malformed = new ConcurrentHashMap<>();

    /**
     * @param latencyMicros          where every watcher records its write-to-watch latencies
     * @param highestTrackableMicros the recorder's largest value; longer latencies are recorded as it
     */
    WatchFanOut(BenchSettings settings, List<Context> loops, WriteLedger ledger, Recorder latencyMicros,
                long highestTrackableMicros) {
        this.settings = settings;
        this.loops = loops;
        this.ledger = ledger;
        this.startsSettled = new CountDownLatch(settings.watchers());
        // A parked delivery can wait for its write's answer at most as long as a request may take.
        long pendingMaxAgeNanos = settings.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        for (int l = 0; l < loops.size(); l++) {
            watchersByLoop.add(new ArrayList<>());
        }
        for (int i = 0; i < settings.watchers(); i++) {
            int endpoint = i % settings.endpoints().size();
            watchersByLoop.get(i % loops.size()).add(new Watcher(endpoint,
                    new WatcherTally(ledger, latencyMicros, highestTrackableMicros, pendingMaxAgeNanos)));
        }
    }

    /**
     * Opens every watcher and waits, up to {@link #START_DEADLINE_MS}, for each to receive its
     * {@code created} message. Prints how it went; false when not every watcher started.
     */
    boolean open(PrintWriter out) throws InterruptedException {
        long start = System.nanoTime();
        for (int l = 0; l < loops.size(); l++) {
            List<Watcher> own = watchersByLoop.get(l);
            Context loop = loops.get(l);
            loop.runOnContext(v -> openOnLoop(loop, own));
        }
        startsSettled.await(START_DEADLINE_MS, TimeUnit.MILLISECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        int watchers = settings.watchers();
        int ok = started.get();
        if (ok == watchers) {
            out.printf(Locale.ROOT, "watchers: %d started in %.1f s%n", watchers, seconds);
            return true;
        }
        long refused = startFailures.values().stream().mapToLong(LongAdder::sum).sum();
        out.printf(Locale.ROOT, "bench: only %d of %d watchers started within %d s (%d refused or failed, %d still "
                + "waiting for created)%n", ok, watchers, START_DEADLINE_MS / 1000, refused, watchers - ok - refused);
        new TreeMap<>(startFailures).forEach((kind, count) -> out.printf("  %-60s %d%n", kind, count.sum()));
        return false;
    }

    private void openOnLoop(Context loop, List<Watcher> own) {
        int endpoints = settings.endpoints().size();
        int[] perEndpoint = new int[endpoints];
        for (Watcher watcher : own) {
            perEndpoint[watcher.endpoint]++;
        }
        List<HttpClient> clients = new ArrayList<>();
        for (int e = 0; e < endpoints; e++) {
            // One connection per watcher: a stream holds its connection for the whole run.
            int connections = Math.max(1, perEndpoint[e]);
            clients.add(HttpSender.client(loop.owner(), settings, connections, connections));
        }
        for (Watcher watcher : own) {
            watcher.open(clients.get(watcher.endpoint));
        }
    }

    /**
     * After the writers have stopped: waits up to {@link #DRAIN_DEADLINE_MS} for every open watcher to
     * have received {@code lastRevision}. Returns the milliseconds waited.
     */
    long drain(long lastRevision) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(DRAIN_DEADLINE_MS);
        while (System.nanoTime() - deadline < 0 && !allReached(lastRevision)) {
            Thread.sleep(DRAIN_POLL_MS);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private boolean allReached(long revision) {
        for (List<Watcher> own : watchersByLoop) {
            for (Watcher watcher : own) {
                if (!watcher.over && watcher.highestRevision < revision) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Finishes every watcher's tally on its own loop and adds them up; {@code countedWrites} is the
     * number of writes every watcher should have received.
     */
    Totals totals(long countedWrites) throws InterruptedException {
        List<CompletableFuture<long[]>> parts = new ArrayList<>();
        for (int l = 0; l < loops.size(); l++) {
            List<Watcher> own = watchersByLoop.get(l);
            CompletableFuture<long[]> part = new CompletableFuture<>();
            parts.add(part);
            loops.get(l).runOnContext(v -> {
                long[] sums = new long[5];
                for (Watcher watcher : own) {
                    WatcherTally tally = watcher.tally;
                    tally.finish();
                    sums[0] += tally.arrivedInWindow();
                    sums[1] += tally.settled();
                    sums[2] += tally.missed(countedWrites);
                    sums[3] += tally.outOfOrder();
                    sums[4] += tally.unmatched();
                }
                part.complete(sums);
            });
        }
        long[] total = new long[5];
        for (CompletableFuture<long[]> part : parts) {
            long[] sums;
            try {
                sums = part.get(DRAIN_DEADLINE_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("a generator event loop did not answer for its watchers", e);
            }
            for (int i = 0; i < total.length; i++) {
                total[i] += sums[i];
            }
        }
        return new Totals(settings.watchers(), started.get(), ended.get(), total[0], total[1], total[2], total[3],
                total[4], snapshot(endReasons), snapshot(malformed));
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> counts) {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((kind, count) -> copy.put(kind, count.sum()));
        return copy;
    }

    private static void count(Map<String, LongAdder> counts, String kind) {
        counts.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** One watch stream; everything but the two volatile fields is used only on its event loop. */
    private final class Watcher implements SseParser.Listener {
        final int endpoint;
        final WatcherTally tally;
        final SseParser parser = new SseParser(this);
        /** The highest revision received, published after each chunk for {@link #drain}. */
        volatile long highestRevision;
        /** The stream ended (or never started). */
        volatile boolean over;
        private boolean created;
        private long chunkArrivalNanos;

        /**
         * Held for as long as the watcher is: Vert.x 5 closes a client, and every stream on it, once nothing
         * refers to it any more. Held only by a local list, the watchers' clients were closed by the first
         * garbage collection after they opened (idle watchers ended with "Connection was closed").
         */
        private HttpClient client;

        Watcher(int endpoint, WatcherTally tally) {
            this.endpoint = endpoint;
            this.tally = tally;
        }

        void open(HttpClient client) {
            this.client = client;
            RequestOptions options = HttpSender.request(settings, endpoint, HttpMethod.GET,
                            WATCH_PATH + settings.watchPrefix())
                    .setConnectTimeout(settings.timeout().toMillis())
                    .putHeader("accept", "text/event-stream");
            client.request(options).compose(HttpClientRequest::send).onComplete(ar -> {
                if (ar.failed()) {
                    end(failure(ar.cause()));
                    return;
                }
                HttpClientResponse response = ar.result();
                String contentType = response.getHeader("content-type");
                if (response.statusCode() != 200 || contentType == null
                        || !contentType.startsWith("text/event-stream")) {
                    response.body().onComplete(body -> end(refusal(response.statusCode(),
                            body.succeeded() ? body.result() : null)));
                    return;
                }
                response.handler(this::chunk);
                response.exceptionHandler(e -> end(failure(e)));
                response.endHandler(v -> end("closed by the server"));
            });
        }

        private void chunk(Buffer bytes) {
            // One clock read per chunk: the messages of a chunk arrived together.
            chunkArrivalNanos = System.nanoTime();
            parser.feed(bytes);
            if (tally.pending() > 0) {
                tally.resolvePending(chunkArrivalNanos);
            }
            highestRevision = tally.highestRevision();
        }

        @Override
        public void created() {
            if (created) {
                malformed("a second created message");
                return;
            }
            created = true;
            started.incrementAndGet();
            startsSettled.countDown();
        }

        @Override
        public void change(long revision) {
            if (!created) {
                malformed("a change before created");
            }
            tally.change(revision, chunkArrivalNanos);
        }

        @Override
        public void cancelled(String reason) {
            end("cancelled " + reason);
        }

        @Override
        public void malformed(String problem) {
            count(WatchFanOut.this.malformed, problem);
        }

        private void end(String reason) {
            if (over) {
                return;
            }
            over = true;
            if (created) {
                ended.incrementAndGet();
                count(endReasons, reason);
            } else {
                count(startFailures, reason + " (" + settings.endpoints().get(endpoint) + ")");
                startsSettled.countDown();
            }
        }

        private String failure(Throwable cause) {
            String message = cause.getMessage() == null ? "" : ": " + cause.getMessage();
            return cause.getClass().getSimpleName() + (message.length() > 60 ? message.substring(0, 60) : message);
        }

        private String refusal(int status, Buffer body) {
            String code = "";
            try {
                if (body != null && body.length() > 0 && body.getByte(0) == '{') {
                    Object error = body.toJsonObject().getValue("error");
                    code = error == null ? "" : " " + error;
                }
            } catch (RuntimeException ignored) {
                // Not JSON: the status alone says enough.
            }
            return status == 200 ? "200 not an event stream" : status + code;
        }
    }
}
