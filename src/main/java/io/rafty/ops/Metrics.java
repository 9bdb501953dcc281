package io.rafty.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.rafty.node.NodeMetrics;
import io.rafty.node.NodeStatus;
import io.rafty.raft.Role;
import io.rafty.transport.PeerRoundTrips;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * One node's metrics: a Prometheus registry holding the JVM's meters, Vert.x's HTTP server, client and
 * pool meters, and the {@code rafty_} series, named after the etcd metrics operators alert on.
 *
 * <p>Two kinds of recording. What already lives in the published {@link NodeStatus} (leader, term, commit
 * and applied index, watchers, fencing) and the store's lease count is read when scraped, so nothing is
 * pushed when it changes. Durations and outcomes are pushed by the production host as they happen
 * ({@link NodeMetrics}, {@link PeerRoundTrips}): Micrometer timers and counters, safe from any thread and
 * free of allocation per record. Nothing here touches the driver, so the simulator runs without it.
 *
 * <p>Histograms have explicit buckets (Prometheus {@code _bucket} series), spaced for what each measures:
 * an fsync of this kind of disk is about 0.2 ms, an apply batch under a millisecond to tens of
 * milliseconds, a peer round trip on a LAN a fraction of a millisecond, a client request up to the
 * client timeout.
 */
public final class Metrics implements NodeMetrics, PeerRoundTrips, AutoCloseable {

    /** The Prometheus text exposition format, as {@code GET /metrics} answers it. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final Duration[] STORAGE_BUCKETS = millis(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500,
            1000);
    private static final Duration[] PEER_BUCKETS = millis(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500,
            1000, 2500);
    private static final Duration[] HTTP_BUCKETS = millis(0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
            5000, 10000);
    /** Vert.x's timer of HTTP server requests, by route, method and code. */
    private static final String VERTX_HTTP_SERVER_TIME = "vertx.http.server.response.time";
    private static final String VERTX_HTTP_SERVER = "vertx.http.server.";

    private static final AtomicLong REGISTRIES = new AtomicLong();

    private final PrometheusMeterRegistry registry;
    private final String registryName = "rafty-" + REGISTRIES.incrementAndGet();
    private final JvmGcMetrics gc;
    private final Timer walFsync;
    private final Timer apply;
    private final Counter leaderChanges;
    private final Counter proposalsFailed;
    private final AtomicLong proposalsPending = new AtomicLong();
    /**
     * Micrometer holds the objects its gauges read only weakly: these are the strong references that keep
     * the status and lease sources (method references nobody else holds) alive as long as the registry.
     */
    private Supplier<NodeStatus> status;
    private IntSupplier leases;

    private Metrics() {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Vert.x's own request timer gets buckets too, so that a latency SLO can be computed from it.
        registry.config().meterFilter(new MeterFilter() {
            /**
             * vertx-web labels a request with every route it passed, joined by '>' ({@code /v1/>/v1/kv/>/v1/kv/}
             * for a key's PUT: the query-limit route, the body route, the handler); the last is the one that
             * answered. Runs once per distinct meter, not per request: Micrometer caches the mapped id.
             */
            @Override
            public Meter.Id map(Meter.Id id) {
                String route = id.getName().startsWith(VERTX_HTTP_SERVER) ? id.getTag("route") : null;
                int last = route == null ? -1 : route.lastIndexOf('>');
                return last < 0 ? id : id.replaceTags(Tags.of(id.getTagsAsIterable()).and("route",
                        route.substring(last + 1)));
            }

            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                if (!id.getName().equals(VERTX_HTTP_SERVER_TIME)) {
                    return config;
                }
                return DistributionStatisticConfig.builder().serviceLevelObjectives(nanos(HTTP_BUCKETS)).build()
                        .merge(config);
            }
        });
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);

        walFsync = Timer.builder("rafty.wal.fsync.duration")
                .description("Synced writes of the Raft log and hard state (one per persisted Ready), as etcd's"
                        + " etcd_disk_wal_fsync_duration_seconds")
                .serviceLevelObjectives(STORAGE_BUCKETS)
                .register(registry);
        apply = Timer.builder("rafty.apply.duration")
                .description("State-machine applies of one batch of committed entries (one RocksDB write), close"
                        + " to etcd's etcd_disk_backend_commit_duration_seconds")
                .serviceLevelObjectives(STORAGE_BUCKETS)
                .register(registry);
        leaderChanges = Counter.builder("rafty.leader.changes.seen")
                .description("Times this node learned of a new leader, as etcd_server_leader_changes_seen_total")
                .register(registry);
        proposalsFailed = Counter.builder("rafty.proposals.failed")
                .description("Client writes this node answered with an error (not leader, overloaded, timed out,"
                        + " outcome unknown), as etcd_server_proposals_failed_total")
                .register(registry);
        Gauge.builder("rafty.proposals.pending", proposalsPending, AtomicLong::get)
                .description("Client writes this node waits on (placed in the log or forwarded to the leader), as"
                        + " etcd_server_proposals_pending")
                .register(registry);
    }

    /** A registry with the JVM's meters and the rafty_ meters the host pushes; {@link #observe} adds the rest. */
    public static Metrics create() {
        return new Metrics();
    }

    /** The registry, for Vert.x's metrics factory. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * The options that turn Vert.x's metrics on: HTTP server requests labelled by route template (as
     * vertx-web reports it, never the raw path), method and code, and worker pools by name. Give them to
     * this registry's Vert.x only. The other domains are off: the HTTP client only carries peer traffic,
     * which {@code rafty_peer_round_trip_time_seconds} measures per peer, and recording it cost about 1 % of
     * a loaded leader's CPU in a profile; TCP byte counters, the event bus, datagrams and verticles are
     * unused or say nothing an operator acts on.
     */
    public MicrometerMetricsOptions vertxOptions() {
        return new MicrometerMetricsOptions()
                .setEnabled(true)
                // Vert.x keeps its backends by registry name, process-wide: nodes sharing one JVM (tests) would
                // share the first node's registry under the default name.
                .setRegistryName(registryName)
                .setJvmMetricsEnabled(false) // bound above, once, with the process's other meters
                .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
                .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
                .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
                .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
                .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET)
                .addDisabledMetricsCategory(MetricsDomain.VERTICLES)
                .addLabels(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME);
    }

    /**
     * Registers the series read at scrape time.
     *
     * @param status the node's latest published status (null before the Raft verticle has started)
     * @param leases how many leases the store holds (constant time, safe from any thread)
     */
    public void observe(Supplier<NodeStatus> status, IntSupplier leases) {
        this.status = status;
        this.leases = leases;
        gauge("rafty.has.leader", "1 when this node knows a leader, as etcd_server_has_leader", status,
                s -> s.leaderId() != 0 ? 1 : 0);
        gauge("rafty.is.leader", "1 when this node is the leader, as etcd_server_is_leader", status,
                s -> s.role() == Role.LEADER ? 1 : 0);
        gauge("rafty.term", "The current Raft term", status, NodeStatus::term);
        gauge("rafty.commit.index", "The highest log index known committed", status, NodeStatus::commitIndex);
        gauge("rafty.applied.index", "The highest log index applied to the state machine", status,
                NodeStatus::appliedIndex);
        gauge("rafty.snapshot.index", "The log index of the latest snapshot (the log starts after it, less a tail)",
                status, NodeStatus::snapshotIndex);
        gauge("rafty.storage.fenced", "1 once a storage failure or a broken invariant fenced this node (restart it)",
                status, s -> s.fenced() ? 1 : 0);
        gauge("rafty.watchers", "Watch streams this node serves, as etcd_debugging_mvcc_watcher_total", status,
                NodeStatus::watchers);
        // Log indexes only grow, so they are counters in Prometheus's sense; etcd exposes the same two.
        FunctionCounter.builder("rafty.proposals.committed", status, s -> read(s, NodeStatus::commitIndex))
                .description("Log entries committed (the commit index), as etcd_server_proposals_committed_total")
                .register(registry);
        FunctionCounter.builder("rafty.proposals.applied", status, s -> read(s, NodeStatus::appliedIndex))
                .description("Log entries applied (the applied index), as etcd_server_proposals_applied_total")
                .register(registry);
        Gauge.builder("rafty.leases", leases, IntSupplier::getAsInt)
                .description("Leases in the store (etcd counts etcd_debugging_lease_granted_total and _revoked_total;"
                        + " this is their difference)")
                .register(registry);
    }

    /** The Prometheus text of every meter; CPU work that grows with the series, so callers run it on a worker. */
    public String scrape() {
        return registry.scrape();
    }

    // ----- NodeMetrics ----------------------------------------------------------------------------

    @Override
    public void logSynced(long nanos) {
        walFsync.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void batchApplied(long nanos) {
        apply.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void proposalStarted() {
        proposalsPending.incrementAndGet();
    }

    @Override
    public void proposalFinished(boolean failed) {
        proposalsPending.decrementAndGet();
        if (failed) {
            proposalsFailed.increment();
        }
    }

    @Override
    public void leaderChanged() {
        leaderChanges.increment();
    }

    // ----- PeerRoundTrips -------------------------------------------------------------------------

    @Override
    public LongConsumer toPeer(int peer) {
        Timer timer = Timer.builder("rafty.peer.round.trip.time")
                .description("A batch of Raft messages to a peer, request sent to answer received (queueing behind"
                        + " earlier batches on its connection included), as etcd_network_peer_round_trip_time_seconds")
                .tags(Tags.of("peer", Integer.toString(peer)))
                .serviceLevelObjectives(PEER_BUCKETS)
                .register(registry);
        return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    // ----- helpers --------------------------------------------------------------------------------

    private void gauge(String name, String description, Supplier<NodeStatus> status,
                       ToDoubleFunction<NodeStatus> value) {
        Gauge.builder(name, status, s -> read(s, value)).description(description).register(registry);
    }

    /** The value of the latest status, 0 before there is one. */
    private static double read(Supplier<NodeStatus> status, ToDoubleFunction<NodeStatus> value) {
        NodeStatus current = status.get();
        return current == null ? 0 : value.applyAsDouble(current);
    }

    private static Duration[] millis(double... values) {
        Duration[] durations = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(values[i] * 1_000_000));
        }
        return durations;
    }

    private static double[] nanos(Duration[] durations) {
        double[] values = new double[durations.length];
        for (int i = 0; i < durations.length; i++) {
            values[i] = durations[i].toNanos();
        }
        return values;
    }
}
