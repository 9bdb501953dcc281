package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The kept leases of a loaded run ({@code --kept-leases N}): N leases granted with the run's TTL, then each
 * one kept alive once every TTL/3 — the cadence of etcd's and Consul's client libraries — spread evenly over
 * time, over the generator's event loops and over the endpoints, beside the writers. A keepalive answered 404
 * means the lease expired while it was being kept: it is counted as {@code lost}, a failure of the cluster.
 *
 * <p>Lease ids are {@link #FIRST_LEASE_ID} + i, apart from the ids a {@code keepalive} workload uses
 * (key + 1); a grant answered 409 (the lease exists, from an earlier run on the same cluster) counts as done.
 *
 * <p>Threading: every lease belongs to one generator event loop, and its requests, timer and cursor are
 * touched only there; the main thread sees counters.
 */
final class LeaseKeeper {

    static final long FIRST_LEASE_ID = 1_000_000_001L;
    /** Grants in flight per event loop while the leases are granted. */
    static final int GRANTS_IN_FLIGHT_PER_LOOP = 32;
    /** Tries per grant before it counts as failed. */
    static final int GRANT_ATTEMPTS = 10;
    /** How long the grants have, together. */
    static final long GRANT_DEADLINE_MS = 300_000;
    /** How often each loop sends the keepalives that have fallen due. */
    static final long TICK_MS = 10;
    /** Keepalives in flight per event loop; beyond it the due ones wait for the next tick (and are late). */
    static final int KEEPALIVES_IN_FLIGHT_PER_LOOP = 256;
    /** Connections per endpoint per event loop. */
    private static final int CONNECTIONS_PER_ENDPOINT = 8;
    private static final long HIGHEST_TRACKABLE_MICROS = TimeUnit.MINUTES.toMicros(2);

    /** What the keepers did, over the measured window. */
    record Totals(long keepalives, long failed, long lost, double p50Ms, double p99Ms, double maxLateMs,
                  Map<String, Long> failures) {
    }

    private final BenchSettings settings;
    private final List<Context> loops;
    private final List<Keeper> keepers = new ArrayList<>();
    private final Recorder latency = new Recorder(HIGHEST_TRACKABLE_MICROS, 3);
    private final LongAdder keptAlive = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final AtomicLong maxLateMicros = new AtomicLong();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private volatile boolean stopped;

    LeaseKeeper(BenchSettings settings, List<Context> loops) {
        this.settings = settings;
        this.loops = loops;
        for (int l = 0; l < loops.size(); l++) {
            List<Long> own = new ArrayList<>();
            for (int i = l; i < settings.keptLeases(); i += loops.size()) {
                own.add(FIRST_LEASE_ID + i);
            }
            keepers.add(new Keeper(loops.get(l), own));
        }
    }

    /** Grants every lease (retrying each up to {@link #GRANT_ATTEMPTS} times); prints how it went; false unless all were. */
    boolean grant(PrintWriter out) throws InterruptedException {
        long start = System.nanoTime();
        CountDownLatch done = new CountDownLatch(keepers.size());
        LongAdder refused = new LongAdder();
        for (Keeper keeper : keepers) {
            keeper.context.runOnContext(v -> keeper.grantAll(refused, done));
        }
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(GRANT_DEADLINE_MS);
        while (!done.await(5, TimeUnit.SECONDS)) {
            long granted = keepers.stream().mapToLong(k -> k.granted).sum();
            out.printf(Locale.ROOT, "leases: %d of %d granted (%.0f s) ...%n", granted, settings.keptLeases(),
                    (System.nanoTime() - start) / 1e9);
            if (System.nanoTime() - deadline > 0) {
                out.printf(Locale.ROOT, "bench: the leases were not all granted within %d s%n", GRANT_DEADLINE_MS / 1000);
                return false;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (refused.sum() > 0) {
            out.printf(Locale.ROOT, "bench: %d of %d leases could not be granted in %d tries%n", refused.sum(),
                    settings.keptLeases(), GRANT_ATTEMPTS);
            new TreeMap<>(failures).forEach((kind, count) -> out.printf("  %-60s %d%n", kind, count.sum()));
            return false;
        }
        out.printf(Locale.ROOT, "leases: %d granted (ttl %d s) in %.1f s (%.0f grants/s); keeping each alive every %d ms%n",
                settings.keptLeases(), settings.leaseTtl().toSeconds(), seconds, settings.keptLeases() / seconds,
                periodMs());
        return true;
    }

    /** Keeps every lease alive from now on, until {@link #stop}. */
    void start() {
        for (Keeper keeper : keepers) {
            keeper.context.runOnContext(v -> keeper.startKeeping());
        }
    }

    /** Starts a fresh window: what was counted before is dropped. */
    void resetCounters() {
        keptAlive.reset();
        failed.reset();
        lost.reset();
        failures.clear();
        maxLateMicros.set(0);
        latency.reset();
    }

    /** The window's totals. */
    Totals totals() {
        Histogram window = latency.getIntervalHistogram();
        Map<String, Long> kinds = new TreeMap<>();
        failures.forEach((kind, count) -> kinds.put(kind, count.sum()));
        return new Totals(keptAlive.sum(), failed.sum(), lost.sum(), window.getValueAtPercentile(50) / 1000.0,
                window.getValueAtPercentile(99) / 1000.0, maxLateMicros.get() / 1000.0, kinds);
    }

    void stop() {
        stopped = true;
    }

    /** TTL/3: every lease is kept alive this often. */
    long periodMs() {
        return Math.max(1, settings.leaseTtl().toMillis() / 3);
    }

    private void failure(String kind) {
        failures.computeIfAbsent(kind, k -> new LongAdder()).increment();
    }

    /** The leases of one event loop. */
    private final class Keeper {
        final Context context;
        final List<Long> leases;
        final List<HttpClient> clients = new ArrayList<>();
        /** Written on the loop; read for progress lines only. */
        volatile long granted;
        int nextGrant;
        int inFlight;
        long keepStartNanos;
        /** How many keepalives have been sent since keeping started; lease (sent % size) is the next. */
        long sent;

        Keeper(Context context, List<Long> leases) {
            this.context = context;
            this.leases = leases;
        }

        private HttpClient client(int endpoint) {
            if (clients.isEmpty()) {
                for (int e = 0; e < settings.endpoints().size(); e++) {
                    clients.add(HttpSender.client(context.owner(), settings, CONNECTIONS_PER_ENDPOINT,
                            KEEPALIVES_IN_FLIGHT_PER_LOOP + GRANTS_IN_FLIGHT_PER_LOOP));
                }
            }
            return clients.get(endpoint);
        }

        void grantAll(LongAdder refused, CountDownLatch done) {
            if (leases.isEmpty()) {
                done.countDown();
                return;
            }
            int first = Math.min(GRANTS_IN_FLIGHT_PER_LOOP, leases.size());
            int[] outstanding = {first};
            for (int i = 0; i < first; i++) {
                grantNext(refused, done, outstanding);
            }
        }

        private void grantNext(LongAdder refused, CountDownLatch done, int[] outstanding) {
            if (nextGrant >= leases.size()) {
                if (--outstanding[0] == 0) {
                    done.countDown();
                }
                return;
            }
            int index = nextGrant++;
            grantOne(index, 1, refused, done, outstanding);
        }

        private void grantOne(int index, int attempt, LongAdder refused, CountDownLatch done, int[] outstanding) {
            long id = leases.get(index);
            Buffer body = Buffer.buffer("{\"ttl\":" + settings.leaseTtl().toSeconds() + ",\"id\":" + id + "}");
            request(index, "/v1/leases", body).onComplete(ar -> {
                int status = ar.succeeded() ? ar.result() : -1;
                if (status == 200 || status == 409) {
                    granted++;
                    grantNext(refused, done, outstanding);
                } else if (attempt < GRANT_ATTEMPTS) {
                    failure(kind("grant", ar.succeeded() ? status : null, ar.cause()));
                    context.owner().setTimer(Math.min(1000, 50L << (attempt - 1)),
                            t -> grantOne(index, attempt + 1, refused, done, outstanding));
                } else {
                    refused.increment();
                    grantNext(refused, done, outstanding);
                }
            });
        }

        void startKeeping() {
            if (leases.isEmpty()) {
                return;
            }
            keepStartNanos = System.nanoTime();
            context.owner().setPeriodic(TICK_MS, timer -> {
                if (stopped) {
                    context.owner().cancelTimer(timer);
                    return;
                }
                keepDue();
            });
        }

        /** Sends every keepalive that has fallen due by now, as far as the in-flight bound allows. */
        private void keepDue() {
            long now = System.nanoTime();
            double periodNanos = TimeUnit.MILLISECONDS.toNanos(periodMs());
            // Keepalive number n falls due n * period / leases after the start: the leases spread evenly.
            long due = (long) ((now - keepStartNanos) / periodNanos * leases.size()) + 1;
            while (sent < due && inFlight < KEEPALIVES_IN_FLIGHT_PER_LOOP) {
                long dueAt = keepStartNanos + (long) (sent * periodNanos / leases.size());
                long lateMicros = (now - dueAt) / 1000;
                maxLateMicros.accumulateAndGet(lateMicros, Math::max);
                int index = (int) (sent % leases.size());
                sent++;
                keepAlive(index);
            }
        }

        private void keepAlive(int index) {
            inFlight++;
            long startNanos = System.nanoTime();
            request(index, "/v1/leases/" + leases.get(index) + "/keepalive", null).onComplete(ar -> {
                inFlight--;
                int status = ar.succeeded() ? ar.result() : -1;
                if (status == 200) {
                    keptAlive.increment();
                    latency.recordValue(Math.min(HIGHEST_TRACKABLE_MICROS, (System.nanoTime() - startNanos) / 1000));
                } else if (status == 404) {
                    lost.increment();
                    failure("404 lease_not_found (keepalive)");
                } else {
                    failed.increment();
                    failure(kind("keepalive", ar.succeeded() ? status : null, ar.cause()));
                }
            });
        }

        /** A POST of lease {@code index}'s request; its status code. Lease i goes to endpoint i % endpoints. */
        private Future<Integer> request(int index, String uri, Buffer body) {
            int endpoint = (int) (leases.get(index) % settings.endpoints().size());
            RequestOptions options = HttpSender.request(settings, endpoint, HttpMethod.POST, uri)
                    .setTimeout(settings.timeout().toMillis());
            if (body != null) {
                options.putHeader("content-type", "application/json");
            }
            return client(endpoint).request(options)
                    .compose(request -> body == null ? request.send() : request.send(body))
                    .compose(response -> response.body().map(ignored -> response.statusCode()));
        }
    }

    private static String kind(String what, Integer status, Throwable cause) {
        return (status != null ? String.valueOf(status) : Outcome.kindOf(cause)) + " (" + what + ")";
    }
}
