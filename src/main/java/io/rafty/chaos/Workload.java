package io.rafty.chaos;

import io.rafty.check.History;
import io.rafty.check.KvInput;
import io.rafty.check.KvOutput;
import io.rafty.check.Outcome;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Concurrent clients doing put, linearizable get, compare-and-set and delete on a small key set,
 * each with a value never written before, recording every operation into one {@link History}.
 *
 * <p>How an HTTP exchange becomes an outcome (README, "Honest about doubt"): 200, 404 and 412 are
 * definite answers; 503 with {@code "applied":false}, or a connection that could not even be
 * opened, means the write definitely did not happen (FAIL); anything else — 504, a timeout, a
 * connection that broke after the request may have been sent — is UNKNOWN. A status the API never
 * promises for these requests is recorded as UNKNOWN and also reported as unexpected, which fails
 * the run.
 */
final class Workload {

    static final Duration REQUEST_TIMEOUT = Duration.ofMillis(3000);
    /** How long a client waits after an operation that definitely failed before its next one. */
    static final long FAIL_BACKOFF_MS = 100;

    private final FaultCluster cluster;
    /**
     * Every client reads {@code ?consistency=stale}: a way to show that the check catches stale reads
     * (the run must then fail as not linearizable).
     */
    private final boolean staleReads;
    /** The history's clock: microseconds since the run started, so that saved histories read easily. */
    private final long startNanos;
    private final List<String> keys;
    private final int clients;
    private final long thinkTimeMsMax;
    final History history = new History();
    /** The latest value some client saw per key; compare-and-set guesses from it so some succeed. */
    private final Map<String, String> lastSeen = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong sequence = new AtomicLong();
    final Queue<String> unexpected = new ConcurrentLinkedQueue<>();
    final Counts counts = new Counts();
    /** Write-once keys (each written by one request, never touched again) whose write was acknowledged. */
    final Map<String, String> acknowledgedOnce = new ConcurrentHashMap<>();
    final AtomicLong onceAttempts = new AtomicLong();
    /** The node each recorded operation was sent to, by operation id: for the counterexample. */
    final Map<Integer, Integer> nodeOfOperation = new ConcurrentHashMap<>();
    private ExecutorService executor;
    private List<Future<?>> futures;

    /** Tallies by outcome, for the report. */
    static final class Counts {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong fail = new AtomicLong();
        final AtomicLong unknown = new AtomicLong();
        final AtomicLong acknowledgedWrites = new AtomicLong();

        @Override
        public String toString() {
            return "ops=" + (ok.get() + fail.get() + unknown.get()) + " ok=" + ok + " fail=" + fail + " unknown="
                    + unknown + " acknowledgedWrites=" + acknowledgedWrites;
        }
    }

    Workload(FaultCluster cluster, List<String> keys, int clients, long thinkTimeMsMax, boolean staleReads,
             long startNanos) {
        this.cluster = cluster;
        this.staleReads = staleReads;
        this.startNanos = startNanos;
        this.keys = List.copyOf(keys);
        this.clients = clients;
        this.thinkTimeMsMax = thinkTimeMsMax;
    }

    void start(long seed) {
        running.set(true);
        executor = Executors.newFixedThreadPool(clients + 1, r -> {
            Thread thread = new Thread(r, "fault-client");
            thread.setDaemon(true);
            return thread;
        });
        futures = new java.util.ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Random random = new Random(seed * 31 + c);
            futures.add(executor.submit(() -> clientLoop(client, random)));
        }
        Random random = new Random(seed * 31 - 1);
        futures.add(executor.submit(() -> writeOnceLoop(random)));
    }

    /** Stops issuing new operations and waits for the ones in flight, which end within their timeout. */
    void stop() throws InterruptedException {
        running.set(false);
        executor.shutdown();
        if (!executor.awaitTermination(REQUEST_TIMEOUT.toMillis() * 3, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("clients did not finish their last requests");
        }
        for (Future<?> future : futures) {
            try {
                future.get(); // surfaces a client thread's crash
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("a client thread failed: " + e.getCause(), e.getCause());
            }
        }
    }

    private void clientLoop(int client, Random random) {
        HttpClient http = newClient();
        while (running.get()) {
            int node = 1 + random.nextInt(cluster.size);
            String key = keys.get(random.nextInt(keys.size()));
            int dice = random.nextInt(100);
            KvInput input;
            if (dice < 40) {
                input = new KvInput.Get(key);
            } else if (dice < 65) {
                input = new KvInput.Put(key, freshValue(client));
            } else if (dice < 90) {
                String expected = random.nextInt(4) == 0 ? null : lastSeen.get(key);
                input = new KvInput.Cas(key, expected, freshValue(client));
            } else {
                input = new KvInput.Delete(key);
            }
            if (perform(http, client, node, input) instanceof Outcome.Fail) {
                // Pacing, not a wait for a condition: a node that is down or has no leader answers at once,
                // and a client spinning on it would fill the history with thousands of FAILs.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(FAIL_BACKOFF_MS));
            }
            if (thinkTimeMsMax > 0) {
                // Workload pacing, not a wait for a condition: keeps the history small enough to check.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextLong(thinkTimeMsMax + 1)));
            }
        }
    }

    /**
     * One more client that writes keys {@code once/<n>}, each exactly once: no other operation can
     * touch them, so every acknowledged one must be found with its value after the final restart,
     * however many unknown outcomes the main keys collect.
     */
    private void writeOnceLoop(Random random) {
        HttpClient http = newClient();
        while (running.get()) {
            int node = 1 + random.nextInt(cluster.size);
            String key = ONCE_PREFIX + onceAttempts.incrementAndGet();
            String value = freshValue(-1);
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(cluster.url(node)
                                + "/v1/kv/" + key)).timeout(REQUEST_TIMEOUT).PUT(HttpRequest.BodyPublishers.ofString(value))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    acknowledgedOnce.put(key, value);
                } else if (response.statusCode() != 503 && response.statusCode() != 504) {
                    unexpected.add("node " + node + " " + key + " put -> " + response.statusCode() + " " + response.body());
                }
            } catch (IOException e) {
                // Not acknowledged: nothing is promised about this key.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (thinkTimeMsMax > 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextLong(thinkTimeMsMax + 1)));
            }
        }
    }

    static final String ONCE_PREFIX = "once/";

    static HttpClient newClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1))
                .build();
    }

    /** Microseconds since the run started. */
    long now() {
        return (System.nanoTime() - startNanos) / 1000;
    }

    String freshValue(int client) {
        return "c" + client + "-" + sequence.incrementAndGet();
    }

    /** Runs one operation against {@code node} and records it; returns the definite output, or null. */
    KvOutput execute(HttpClient http, int client, int node, KvInput input) {
        return perform(http, client, node, input) instanceof Outcome.Ok ok ? ok.output() : null;
    }

    /** Runs one operation against {@code node}, records it and returns how it ended. */
    private Outcome perform(HttpClient http, int client, int node, KvInput input) {
        HttpRequest request = request(node, input);
        History.Call call = history.invoke(client, now(), input);
        nodeOfOperation.put(call.id(), node);
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            // The connection was never made, so the request was never sent.
            return record(call, now(), Outcome.fail());
        } catch (IOException e) {
            return record(call, Long.MAX_VALUE, Outcome.unknown());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return record(call, Long.MAX_VALUE, Outcome.unknown());
        }
        long completed = now();
        KvOutput output = definiteOutput(input, response);
        if (output != null) {
            noteSeen(input, output);
            return record(call, completed, Outcome.ok(output));
        }
        int status = response.statusCode();
        if (status == 503 && notApplied(response.body())) {
            return record(call, completed, Outcome.fail());
        }
        if (status != 503 && status != 504) {
            unexpected.add("node " + node + " " + input.key() + " " + input.describe() + " -> " + status + " "
                    + response.body());
        }
        return record(call, Long.MAX_VALUE, Outcome.unknown());
    }

    private Outcome record(History.Call call, long completed, Outcome outcome) {
        history.complete(call, completed, outcome);
        AtomicLong count = outcome instanceof Outcome.Ok ? counts.ok : outcome instanceof Outcome.Fail ? counts.fail
                : counts.unknown;
        count.incrementAndGet();
        return outcome;
    }

    private HttpRequest request(int node, KvInput input) {
        String base = cluster.url(node) + "/v1/kv/" + input.key();
        HttpRequest.Builder builder;
        if (input instanceof KvInput.Get) {
            builder = HttpRequest.newBuilder(URI.create(base + (staleReads ? "?consistency=stale" : ""))).GET();
        } else if (input instanceof KvInput.Put put) {
            builder = HttpRequest.newBuilder(URI.create(base))
                    .PUT(HttpRequest.BodyPublishers.ofString(put.value()));
        } else if (input instanceof KvInput.Cas cas) {
            String query = cas.expectedValue() == null ? "?prevExist=false"
                    : "?prevValue=" + URLEncoder.encode(cas.expectedValue(), StandardCharsets.UTF_8);
            builder = HttpRequest.newBuilder(URI.create(base + query))
                    .PUT(HttpRequest.BodyPublishers.ofString(cas.newValue()));
        } else {
            builder = HttpRequest.newBuilder(URI.create(base)).DELETE();
        }
        return builder.timeout(REQUEST_TIMEOUT).build();
    }

    private static KvOutput definiteOutput(KvInput input, HttpResponse<String> response) {
        int status = response.statusCode();
        if (input instanceof KvInput.Get) {
            if (status == 200) {
                return new KvOutput.GetResult(new JsonObject(response.body()).getString("value"));
            }
            return status == 404 ? new KvOutput.GetResult(null) : null;
        }
        if (input instanceof KvInput.Put) {
            return status == 200 ? new KvOutput.PutOk() : null;
        }
        if (input instanceof KvInput.Cas) {
            return status == 200 ? new KvOutput.CasResult(true) : status == 412 ? new KvOutput.CasResult(false) : null;
        }
        return status == 200 ? new KvOutput.DeleteResult(true) : status == 404 ? new KvOutput.DeleteResult(false) : null;
    }

    private static boolean notApplied(String body) {
        try {
            return Boolean.FALSE.equals(new JsonObject(body).getBoolean("applied"));
        } catch (DecodeException | ClassCastException e) {
            return false;
        }
    }

    private void noteSeen(KvInput input, KvOutput output) {
        if (output instanceof KvOutput.GetResult get && get.value() != null) {
            lastSeen.put(input.key(), get.value());
        } else if (input instanceof KvInput.Put put) {
            lastSeen.put(input.key(), put.value());
        } else if (input instanceof KvInput.Cas cas && output instanceof KvOutput.CasResult r && r.swapped()) {
            lastSeen.put(input.key(), cas.newValue());
        }
        if (!(input instanceof KvInput.Get)
                && !(output instanceof KvOutput.CasResult r && !r.swapped())
                && !(output instanceof KvOutput.DeleteResult d && !d.found())) {
            counts.acknowledgedWrites.incrementAndGet();
        }
    }
}
