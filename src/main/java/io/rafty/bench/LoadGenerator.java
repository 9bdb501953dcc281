package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Runs one bench: {@code clients} closed loops, each with one request in flight, spread over the
 * generator's event loops and the endpoints. Latency of successful requests goes to an HdrHistogram
 * {@link Recorder} (microseconds); errors are counted by kind. The main thread only sleeps, prints
 * the progress line once a second and the summary at the end. What a request looks like, and which
 * answers succeed, is the target's {@link Sender} (HTTP requests written by a {@link TargetProtocol}, or
 * etcd gRPC calls); everything else is the same for every target.
 *
 * <p>A client that gets an error waits {@value #ERROR_BACKOFF_MS} ms before its next request, so a
 * cluster without a leader is not hammered by a hot loop of instant 503s.
 *
 * <p>With {@code --watchers N} the run has a second phase on the same clients, which keep writing:
 * {@link WatchFanOut} opens N watch streams on the key prefix, then the same warm-up and measured time
 * follow again. Every write answered from then on is entered in a {@link WriteLedger} (its revision
 * and send time) for the watchers to match their deliveries against. With {@code --kept-leases M} that
 * phase also has {@link LeaseKeeper} grant M leases and keep each alive every TTL/3 (alone, or beside
 * the watchers): the figure of writes "with history, watches and leases on" against the plain one of
 * the first phase, from one generator on one warm cluster.
 */
public final class LoadGenerator {

    static final long ERROR_BACKOFF_MS = 10;
    /**
     * Tries per preloaded key, each after a doubling pause (10 ms .. 1 s, about 4 s in all), so that a
     * preload of millions of keys rides out a leader election instead of giving up on the keys that
     * were in flight.
     */
    private static final int PRELOAD_ATTEMPTS = 10;
    private static final long PRELOAD_BACKOFF_MAX_MS = 1000;
    private static final long HIGHEST_TRACKABLE_MICROS = TimeUnit.MINUTES.toMicros(2);

    private final BenchSettings settings;
    private final PrintWriter out;
    private final Recorder recorder = new Recorder(HIGHEST_TRACKABLE_MICROS, 3);
    private final LongAdder ok = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final LongAdder warmupErrors = new LongAdder();
    private final Map<String, LongAdder> errorsByKind = new ConcurrentHashMap<>();
    /** The bytes every write stores. */
    private final byte[] value;
    /** Write answers of a watch run from which no revision could be read. */
    private final LongAdder revisionlessAnswers = new LongAdder();
    private volatile boolean recording;
    private volatile boolean stopping;
    /** Set when watchers are about to open: from then on every acknowledged write is entered in it. */
    private volatile WriteLedger ledger;

    public LoadGenerator(BenchSettings settings, PrintWriter out) {
        this.settings = settings;
        this.out = out;
        byte[] value = new byte[settings.valueBytes()];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) ('a' + random.nextInt(26));
        }
        this.value = value;
    }

    /**
     * Runs the whole bench; returns the process exit code: 0, or 1 when no request succeeded in a phase,
     * the watchers did not all start, or a kept lease was not all granted or expired while kept.
     */
    public int run() {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(settings.eventLoops())
                .setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
        List<Loop> loops = new ArrayList<>();
        try {
            for (int i = 0; i < settings.eventLoops(); i++) {
                loops.add(new Loop(vertx.getOrCreateContext(), i));
            }
            out.println(header());
            out.println("machine: " + machineLoad());
            if (!open(loops)) {
                return 1;
            }
            if (settings.preload() && !preload(loops)) {
                return 1;
            }
            CountDownLatch stopped = new CountDownLatch(settings.clients());
            for (Loop loop : loops) {
                loop.context.runOnContext(v -> loop.startClients(stopped));
            }
            warmup();
            resetCounters();
            recording = true;
            long start = System.nanoTime();
            Histogram total = measure(start);
            recording = false;
            long elapsedNanos = System.nanoTime() - start;
            if (settings.loadedPhase()) {
                summary(total, elapsedNanos, phaseSuffix(0, 0));
                if (total.getTotalCount() == 0) {
                    stopClients(stopped);
                    return 1;
                }
                return loadedPhase(loops, stopped) ? 0 : 1;
            }
            stopClients(stopped);
            summary(total, elapsedNanos, "");
            out.println("machine: " + machineLoad());
            return total.getTotalCount() > 0 ? 0 : 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            for (Loop loop : loops) {
                loop.sender.close();
            }
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // The figures are already printed; a slow close changes nothing.
            }
        }
    }

    /**
     * Opens every loop's sender (ZooKeeper: connects the sessions and creates the znodes), printing
     * progress once a second; false, with the reason printed, when one cannot be opened.
     */
    private boolean open(List<Loop> loops) throws InterruptedException {
        long start = System.nanoTime();
        CountDownLatch done = new CountDownLatch(1);
        Future<?> opened = Future.all(loops.stream().map(loop -> loop.sender.open()).toList())
                .onComplete(ar -> done.countDown());
        while (!done.await(1, TimeUnit.SECONDS)) {
            out.printf(Locale.ROOT, "%s: opening (%.0f s) ...%n", settings.target(), (System.nanoTime() - start) / 1e9);
        }
        if (opened.failed()) {
            Throwable cause = opened.cause();
            out.println("bench: could not open the " + settings.target() + " target: "
                    + (cause.getMessage() == null ? Outcome.kindOf(cause) : cause.getMessage()));
            return false;
        }
        if (settings.target() == BenchCommand.Target.zookeeper) {
            out.printf(Locale.ROOT, "zookeeper: %d sessions connected, %d znodes under %s ready in %.1f s%n",
                    settings.clients(), settings.keys(), ZooKeeperSender.BASE_PATH, (System.nanoTime() - start) / 1e9);
        }
        return true;
    }

    private void warmup() throws InterruptedException {
        long warmupMs = settings.warmup().toMillis();
        if (warmupMs > 0) {
            sleep(warmupMs);
            out.printf(Locale.ROOT, "warmup done: %d ok, %d errors%n", ok.sum(), warmupErrors.sum());
        }
    }

    private void resetCounters() {
        ok.reset();
        errors.reset();
        errorsByKind.clear();
        recorder.reset();
    }

    /** What ends a phase's RESULT line in a two-phase run: {@code " watchers=N"}, {@code " leases=M"}, or both. */
    private String phaseSuffix(int watchers, int leases) {
        return (settings.watchers() > 0 ? " watchers=" + watchers : "") + (settings.keptLeases() > 0 ? " leases=" + leases : "");
    }

    /**
     * The second phase of a {@code --watchers} or {@code --kept-leases} run, while the clients keep writing:
     * opens the watchers and waits for them all to start, grants the leases and starts keeping them alive,
     * warms up again, and measures the same duration as the first phase; then stops the clients and the
     * keepers, lets the watchers drain, and prints the phase's RESULT line, the WATCH line and the LEASES
     * line. False when the watchers did not all start, the leases were not all granted, a kept lease was
     * lost, or no request succeeded.
     *
     * <p>The write-to-watch latency of a delivery is the time a watcher received revision R minus the
     * time the generator sent the PUT that R answered: it includes the write's own commit latency, so it
     * is an upper bound of the latency from commit to watcher.
     */
    private boolean loadedPhase(List<Loop> loops, CountDownLatch stopped) throws InterruptedException {
        List<Context> contexts = loops.stream().map(loop -> loop.context).toList();
        WriteLedger writes = new WriteLedger(settings.watchers() > 0 ? WriteLedger.DEFAULT_CAPACITY : 1);
        Recorder watchLatency = new Recorder(HIGHEST_TRACKABLE_MICROS, 3);
        WatchFanOut fanOut = null;
        if (settings.watchers() > 0) {
            fanOut = new WatchFanOut(settings, contexts, writes, watchLatency, HIGHEST_TRACKABLE_MICROS);
            // From here on every acknowledged write is entered, so early deliveries of the writes in flight
            // are matched (and dropped as outside the window) rather than left unmatched.
            ledger = writes;
            out.printf(Locale.ROOT, "watchers: opening %d on prefix '%s' over %d endpoints%s%n", settings.watchers(),
                    settings.watchPrefix(), settings.endpoints().size(), settings.watchersSeeWrites() ? ""
                            : " (the writes to '" + settings.keyPrefix() + "' are not under it: no event is expected)");
            if (!fanOut.open(out)) {
                stopClients(stopped);
                return false;
            }
        }
        LeaseKeeper keeper = null;
        if (settings.keptLeases() > 0) {
            keeper = new LeaseKeeper(settings, contexts);
            out.printf(Locale.ROOT, "leases: granting %d (ttl %d s) over %d endpoints%n", settings.keptLeases(),
                    settings.leaseTtl().toSeconds(), settings.endpoints().size());
            if (!keeper.grant(out)) {
                stopClients(stopped);
                return false;
            }
            keeper.start();
        }
        warmup();
        resetCounters();
        if (keeper != null) {
            keeper.resetCounters();
        }
        long start = System.nanoTime();
        writes.openWindow(start);
        recording = true;
        Histogram total = measure(start);
        recording = false;
        long end = System.nanoTime();
        writes.closeWindow(end);
        long elapsedNanos = end - start;
        LeaseKeeper.Totals kept = keeper == null ? null : keeper.totals();
        if (keeper != null) {
            keeper.stop();
        }
        stopClients(stopped);
        summary(total, elapsedNanos, phaseSuffix(settings.watchers(), settings.keptLeases()));
        if (fanOut != null) {
            report(fanOut, writes, watchLatency, elapsedNanos);
        }
        if (kept != null) {
            kept.failures().forEach((kind, count) -> out.printf("leases: %d x %s%n", count, kind));
            out.printf(Locale.ROOT, "LEASES kept=%d ttl_s=%d keepalives_per_s=%.0f keepalive_p50_ms=%.2f p99_ms=%.2f "
                            + "max_late_ms=%.1f failed=%d lost=%d%n", settings.keptLeases(), settings.leaseTtl().toSeconds(),
                    kept.keepalives() / (elapsedNanos / 1e9), kept.p50Ms(), kept.p99Ms(), kept.maxLateMs(), kept.failed(),
                    kept.lost());
        }
        out.println("machine: " + machineLoad());
        return total.getTotalCount() > 0 && (kept == null || kept.lost() == 0);
    }

    /** The watchers' lines of a loaded phase: drained, tallied, and the WATCH line. */
    private void report(WatchFanOut fanOut, WriteLedger writes, Recorder watchLatency, long elapsedNanos)
            throws InterruptedException {
        // Watchers of another prefix are owed nothing: no drain, and none of the writes counts as missed.
        long owed = settings.watchersSeeWrites() ? writes.countedWrites() : 0;
        long drainMs = owed > 0 ? fanOut.drain(writes.lastCountedRevision()) : 0;
        WatchFanOut.Totals watched = fanOut.totals(owed);
        Histogram delivery = watchLatency.getIntervalHistogram();
        double seconds = elapsedNanos / 1e9;
        out.printf(Locale.ROOT, "watch: %d writes acknowledged in the window, %d deliveries of them recorded "
                        + "(%d expected), drained in %d ms; out_of_order=%d unmatched=%d revisionless_answers=%d%n",
                writes.countedWrites(), watched.settled(), owed * settings.watchers(), drainMs,
                watched.outOfOrder(), watched.unmatched(), revisionlessAnswers.sum());
        watched.endReasons().forEach((reason, count) -> out.printf("watch: %d streams ended: %s%n", count, reason));
        watched.malformed().forEach((problem, count) -> out.printf("watch: %d malformed: %s%n", count, problem));
        out.printf(Locale.ROOT, "WATCH watchers=%d events_per_s=%.0f write_to_watch_p50_ms=%.2f p99_ms=%.2f "
                        + "p999_ms=%.2f max_ms=%.2f missed=%d cancelled=%d%n", settings.watchers(),
                watched.arrivedInWindow() / seconds, ms(delivery.getValueAtPercentile(50)),
                ms(delivery.getValueAtPercentile(99)), ms(delivery.getValueAtPercentile(99.9)),
                ms(delivery.getMaxValue()), watched.missed(), watched.ended());
    }

    private void stopClients(CountDownLatch stopped) throws InterruptedException {
        stopping = true;
        stopped.await(settings.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    }

    /**
     * The 1-minute load average and Linux CPU pressure (share of time some task waited for a CPU): on
     * a shared machine these say whether the figures measure Rafty or the neighbours.
     */
    static String machineLoad() {
        StringBuilder line = new StringBuilder();
        try {
            line.append("loadavg ").append(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg"))
                    .split(" ")[0]).append(", cores ").append(Runtime.getRuntime().availableProcessors());
            java.nio.file.Path pressure = java.nio.file.Path.of("/proc/pressure/cpu");
            if (java.nio.file.Files.isReadable(pressure)) {
                String some = java.nio.file.Files.readAllLines(pressure).get(0);
                line.append(", cpu pressure ").append(some.replaceAll(".*avg10=([0-9.]+).*", "$1")).append("%");
            }
        } catch (java.io.IOException | RuntimeException e) {
            line.append("(no /proc)");
        }
        return line.toString();
    }

    private String header() {
        return String.format(Locale.ROOT, "bench: workload=%s clients=%d endpoints=%d duration=%ds warmup=%ds keys=%d "
                        + "value-size=%d%s%s event-loops=%d", settings.workload(), settings.clients(),
                settings.endpoints().size(), settings.duration().toSeconds(), settings.warmup().toSeconds(),
                settings.keys(), settings.valueBytes(),
                settings.workload() == BenchCommand.Workload.mixed ? " read-percent=" + settings.readPercent() : "",
                settings.workload() != BenchCommand.Workload.put ? " reads=" + reads() : "", settings.eventLoops())
                + (settings.target() == BenchCommand.Target.rafty ? "" : " target=" + settings.target())
                + (settings.watchers() == 0 ? "" : " watchers=" + settings.watchers())
                + (settings.watchers() == 0 || settings.watchersSeeWrites() ? "" : " watch-prefix=" + settings.watchPrefix())
                + (settings.keptLeases() == 0 ? "" : " kept-leases=" + settings.keptLeases() + " lease-ttl="
                        + settings.leaseTtl().toSeconds() + "s");
    }

    /**
     * What the reads are: {@code stale} or {@code linearizable}; for ZooKeeper, what it sends for them,
     * since its plain getData is only sequentially consistent and its linearizable figure is sync+getData.
     */
    private String reads() {
        if (settings.target() == BenchCommand.Target.zookeeper) {
            return settings.stale() ? "stale(getData)" : "linearizable(sync+getData)";
        }
        return settings.stale() ? "stale" : "linearizable";
    }

    private Histogram measure(long start) throws InterruptedException {
        Histogram total = new Histogram(HIGHEST_TRACKABLE_MICROS, 3);
        Histogram interval = null;
        long durationNanos = settings.duration().toNanos();
        long previousOk = 0;
        long previousAt = start;
        int second = 0;
        while (true) {
            long now = System.nanoTime();
            long remaining = start + durationNanos - now;
            if (remaining <= 0) {
                break;
            }
            long nextTick = start + TimeUnit.SECONDS.toNanos(second + 1);
            long sleepNanos = Math.min(remaining, nextTick - now);
            TimeUnit.NANOSECONDS.sleep(Math.max(0, sleepNanos));
            now = System.nanoTime();
            if (now < nextTick) {
                continue;
            }
            second++;
            interval = recorder.getIntervalHistogram(interval);
            total.add(interval);
            long okNow = ok.sum();
            double rate = (okNow - previousOk) / ((now - previousAt) / 1e9);
            double average = okNow / ((now - start) / 1e9);
            out.printf(Locale.ROOT, "[%3ds] %9.0f ops/s (avg %9.0f)  p50 %7.2f ms  p99 %7.2f ms  errors %d%n", second,
                    rate, average, ms(interval.getValueAtPercentile(50)), ms(interval.getValueAtPercentile(99)),
                    errors.sum());
            previousOk = okNow;
            previousAt = now;
        }
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return total;
    }

    /** Prints the figures of one measured phase; {@code suffix} ends its RESULT line. */
    private void summary(Histogram total, long elapsedNanos, String suffix) {
        double seconds = elapsedNanos / 1e9;
        double throughput = total.getTotalCount() / seconds;
        out.printf(Locale.ROOT, "%nresult: %d ok in %.1f s = %.0f ops/s; %d errors%n", total.getTotalCount(), seconds,
                throughput, errors.sum());
        out.printf(Locale.ROOT, "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (mean %.2f)%n",
                ms(total.getValueAtPercentile(50)), ms(total.getValueAtPercentile(90)),
                ms(total.getValueAtPercentile(99)), ms(total.getValueAtPercentile(99.9)), ms(total.getMaxValue()),
                total.getMean() / 1000.0);
        if (!errorsByKind.isEmpty()) {
            out.println("errors by kind:");
            new TreeMap<>(errorsByKind).forEach((kind, count) -> out.printf("  %-40s %d%n", kind, count.sum()));
        }
        // One machine-readable line for scripts that collect tables.
        out.printf(Locale.ROOT, "RESULT workload=%s clients=%d ops_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
                        + "p999_ms=%.2f max_ms=%.2f errors=%d%s%n", settings.workload(), settings.clients(), throughput,
                ms(total.getValueAtPercentile(50)), ms(total.getValueAtPercentile(90)),
                ms(total.getValueAtPercentile(99)), ms(total.getValueAtPercentile(99.9)), ms(total.getMaxValue()),
                errors.sum(), suffix + (settings.target() == BenchCommand.Target.zookeeper
                        && settings.workload() != BenchCommand.Workload.put ? " reads=" + reads() : ""));
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    private static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    // ----- preload ------------------------------------------------------------------------------

    private boolean preload(List<Loop> loops) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(settings.clients());
        long start = System.nanoTime();
        for (Loop loop : loops) {
            loop.context.runOnContext(v -> loop.startPreload(next, failed, done));
        }
        while (!done.await(1, TimeUnit.SECONDS)) {
            out.printf(Locale.ROOT, "preload: %d / %d keys%n", Math.min(next.get(), settings.keys()), settings.keys());
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "preload: %d keys in %.1f s (%.0f writes/s), %d failed%n", settings.keys(), seconds,
                settings.keys() / seconds, failed.get());
        if (failed.get() > 0) {
            out.println("bench: preload failed for " + failed.get() + " keys; is the cluster up?");
            return false;
        }
        return true;
    }

    // ----- one event loop's clients ---------------------------------------------------------------

    /** The clients of one event loop; everything here runs on that loop's context. */
    private final class Loop {
        final Context context;
        final int loopIndex;
        final SplittableRandom random;
        final Sender sender;

        Loop(Context context, int loopIndex) {
            this.context = context;
            this.loopIndex = loopIndex;
            this.random = new SplittableRandom(1000 + loopIndex);
            this.sender = Sender.of(settings, value, context, ownClients());
        }

        /** Client ids owned by this loop: i with i % loops == loopIndex. */
        private List<Integer> ownClients() {
            List<Integer> ids = new ArrayList<>();
            for (int i = loopIndex; i < settings.clients(); i += settings.eventLoops()) {
                ids.add(i);
            }
            return ids;
        }

        void startClients(CountDownLatch stopped) {
            for (int id : ownClients()) {
                next(id, stopped);
            }
        }

        private void next(int id, CountDownLatch stopped) {
            if (stopping) {
                stopped.countDown();
                return;
            }
            int key = random.nextInt(settings.keys());
            boolean read = switch (settings.workload()) {
                case put, txn -> false;
                case get, keepalive -> true;
                case mixed -> random.nextInt(100) < settings.readPercent();
            };
            long startNanos = System.nanoTime();
            boolean record = recording;
            // A watch run reads every write's revision: the ledger is read when the answer comes, so that
            // the writes in flight when it is set are entered too.
            send(id, key, read, settings.watchers() > 0 && !read).onComplete(ar -> {
                Outcome outcome = ar.succeeded() ? ar.result() : Outcome.failed(Outcome.kindOf(ar.cause()));
                if (outcome.succeeded()) {
                    WriteLedger writes = ledger;
                    if (writes != null && !read) {
                        if (outcome.revision() > 0) {
                            writes.acknowledged(outcome.revision(), startNanos);
                        } else {
                            revisionlessAnswers.increment();
                        }
                    }
                    if (record && recording) {
                        long micros = (System.nanoTime() - startNanos) / 1000;
                        recorder.recordValue(Math.min(micros, HIGHEST_TRACKABLE_MICROS));
                    }
                    ok.increment();
                    next(id, stopped);
                } else {
                    // Errors count only while recording, like latencies, so the total matches the kinds.
                    if (recording) {
                        errorsByKind.computeIfAbsent(outcome.error(), k -> new LongAdder()).increment();
                        errors.increment();
                    } else if (!stopping) {
                        warmupErrors.increment();
                    }
                    context.owner().setTimer(ERROR_BACKOFF_MS, t -> next(id, stopped));
                }
            });
        }

        void startPreload(AtomicInteger next, AtomicInteger failed, CountDownLatch done) {
            for (int id : ownClients()) {
                preloadNext(id, next, failed, done);
            }
        }

        private void preloadNext(int id, AtomicInteger next, AtomicInteger failed, CountDownLatch done) {
            int key = next.getAndIncrement();
            if (key >= settings.keys()) {
                done.countDown();
                return;
            }
            preloadKey(id, key, 1, next, failed, done);
        }

        private void preloadKey(int id, int key, int attempt, AtomicInteger next, AtomicInteger failed,
                                CountDownLatch done) {
            send(id, key, false, false).onComplete(ar -> {
                if (ar.succeeded() && ar.result().succeeded()) {
                    preloadNext(id, next, failed, done);
                } else if (attempt < PRELOAD_ATTEMPTS) {
                    context.owner().setTimer(Math.min(PRELOAD_BACKOFF_MAX_MS, ERROR_BACKOFF_MS << (attempt - 1)),
                            t -> preloadKey(id, key, attempt + 1, next, failed, done));
                } else {
                    failed.incrementAndGet();
                    preloadNext(id, next, failed, done);
                }
            });
        }

        /** Client {@code id} talks to endpoint {@code id % endpoints}. */
        private Future<Outcome> send(int id, int key, boolean read, boolean revision) {
            return sender.send(id, id % settings.endpoints().size(), key, read, revision);
        }
    }
}
