package io.rafty;

import io.rafty.api.ApiVerticle;
import io.rafty.api.AuthBootstrap;
import io.rafty.config.ConfigException;
import io.rafty.config.DeliberateBugFlag;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.etcd.EtcdNode;
import io.rafty.etcd.EtcdServer;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.KvStore;
import io.rafty.node.NodeDriver;
import io.rafty.node.NodeMetrics;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.node.WatchHub;
import io.rafty.ops.Metrics;
import io.rafty.raft.DeliberateBug;
import io.rafty.raft.Membership;
import io.rafty.security.Auth;
import io.rafty.security.NodeTls;
import io.rafty.security.PeerAuth;
import io.rafty.storage.LogStore;
import io.rafty.storage.RocksStorage;
import io.rafty.storage.SnapshotStaging;
import io.rafty.transport.PeerClient;
import io.rafty.transport.PeerRoundTrips;
import io.rafty.transport.SnapshotSender;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * One running node: its RocksDB, its Vert.x instance, the Raft verticle and the API verticle.
 * Starting and closing are blocking calls for the main thread (or a test thread), never an event loop.
 * Resources are opened in order and closed in reverse.
 */
public final class RaftyNode implements AutoCloseable {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(RaftyNode.class.getName());

    private static final int START_TIMEOUT_SECONDS = 30;
    private static final int PEER_INFLIGHT_REQUESTS = 4;
    private static final int PEER_QUEUED_MESSAGES = 4096;
    private static final int MAX_APPLY_BATCH_ENTRIES = 1024;
    /** Key lookups handed to a worker together (GETs released by one ReadIndex round). */
    private static final int MAX_READ_BATCH = 256;
    private static final int SNAPSHOT_CHUNK_ATTEMPTS = 5;
    /**
     * Event loops of a node's Vert.x. One by default: the Raft verticle, the API server, the peer
     * client and the leader forwarder then share one thread, so a client request that reaches the
     * Raft verticle and comes back, or a peer batch that is stepped, crosses no thread boundary. On
     * the 2-core benchmark machine (three nodes and the load generator) this was faster and
     * steadier than Vert.x's default of two loops per core (BENCHMARKS.md, "Performance work"). A node
     * with cores of its own may raise it with {@code -Drafty.eventLoops=N}.
     */
    static final int EVENT_LOOPS = Math.max(1, Integer.getInteger("rafty.eventLoops", 1));

    private final NodeConfig config;
    private final RocksStorage storage;
    private final Vertx vertx;
    private final RaftVerticle raft;
    private final KvStateMachine stateMachine;
    private final ApiVerticle api;
    /** Null when the etcd API is off (etcdPort 0). */
    private final EtcdServer etcd;
    /** Null when metrics are off. */
    private final Metrics metrics;

    private RaftyNode(NodeConfig config, RocksStorage storage, Vertx vertx, RaftVerticle raft,
                      KvStateMachine stateMachine, ApiVerticle api, EtcdServer etcd, Metrics metrics) {
        this.etcd = etcd;
        this.metrics = metrics;
        this.stateMachine = stateMachine;
        this.config = config;
        this.storage = storage;
        this.vertx = vertx;
        this.raft = raft;
        this.api = api;
    }

    /** The base URLs of every member, this node included, as the configuration names them. */
    public static Map<Integer, String> addressesOf(NodeConfig config) {
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        for (Peer peer : config.peers()) {
            addresses.put(peer.id(), peer.url());
        }
        addresses.put(config.id(), scheme(config) + "://" + hostForUrl(config.host()) + ":" + config.port());
        return addresses;
    }

    /** The scheme of the shared client/peer port: https once it speaks TLS. */
    private static String scheme(NodeConfig config) {
        return config.httpTls() ? "https" : "http";
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    public static RaftyNode start(NodeConfig config) throws StartupException {
        return start(config, addressesOf(config), new VertxOptions().setEventLoopPoolSize(EVENT_LOOPS));
    }

    /**
     * Opens storage and starts serving.
     *
     * @param addresses member id → base URL; may be completed later (tests bind ephemeral ports first)
     * @throws StartupException with a one-line reason when storage cannot be opened or the port not bound
     */
    public static RaftyNode start(NodeConfig config, Map<Integer, String> addresses, VertxOptions vertxOptions)
            throws StartupException {
        return start(config, addresses, vertxOptions, StorageWrappers.NONE);
    }

    /**
     * A test seam: wraps the RocksDB stores before the node uses them, so a test can make storage fail on
     * demand (disk full, I/O error) and watch the node fence. Production code passes {@link #NONE}.
     *
     * @param logStore wraps the Raft log and hard state
     * @param kvStore  wraps the state machine's store
     */
    public record StorageWrappers(UnaryOperator<LogStore> logStore, UnaryOperator<KvStore> kvStore) {

        public static final StorageWrappers NONE = new StorageWrappers(UnaryOperator.identity(),
                UnaryOperator.identity());
    }

    /** As {@link #start(NodeConfig, Map, VertxOptions)}, with the stores wrapped ({@link StorageWrappers}). */
    public static RaftyNode start(NodeConfig config, Map<Integer, String> addresses, VertxOptions vertxOptions,
                                  StorageWrappers wrappers) throws StartupException {
        Set<DeliberateBug> deliberateBugs = deliberateBugs(config);
        RocksStorage storage;
        try {
            storage = RocksStorage.open(config.storageDir());
        } catch (RuntimeException e) {
            throw new StartupException("cannot open storage: " + e.getMessage(), e);
        }
        Metrics metrics = config.metricsEnabled() ? Metrics.create() : null;
        Vertx vertx = metrics == null ? Vertx.vertx(vertxOptions)
                : Vertx.builder().with(new VertxOptions(vertxOptions).setMetricsOptions(metrics.vertxOptions()))
                        .withMetrics(new io.vertx.micrometer.MicrometerMetricsFactory(metrics.registry())).build();
        try {
            PeerAuth peerAuth = peerAuth(config);
            NodeTls tls = NodeTls.of(config);
            KvStateMachine stateMachine = new KvStateMachine(wrappers.kvStore().apply(storage.kvStore()), deliberateBugs);
            PeerClient peers = new PeerClient(vertx, addresses, new PeerClient.Limits(PEER_INFLIGHT_REQUESTS,
                    PEER_QUEUED_MESSAGES, config.maxPeerQueueBytes(), config.maxMessageBytes(),
                    config.peerRequestTimeoutMs()), metrics == null ? PeerRoundTrips.NONE : metrics, peerAuth, tls);
            SnapshotSender snapshotSender = new SnapshotSender(vertx, addresses,
                    config.snapshotChunkBytes(), config.peerRequestTimeoutMs() * 5, SNAPSHOT_CHUNK_ATTEMPTS, peerAuth,
                    tls);
            SnapshotStaging staging = new SnapshotStaging(stagingFile(config));
            Membership initialMembership = storage.logStore().membership() == null && !config.join().isEmpty()
                    ? ClusterJoin.discover(config, addresses, peerAuth, tls)
                    : Membership.ofVoters(new HashSet<>(config.memberIds()));
            RaftVerticle raft = new RaftVerticle(config.raftConfig().withDeliberateBugs(deliberateBugs), initialMembership,
                    new RaftVerticle.Storage(wrappers.logStore().apply(storage.logStore()), storage.snapshotStore(), staging,
                            storage::compactLogFiles),
                    stateMachine, peers, snapshotSender,
                    new RaftVerticle.Settings(config.tickIntervalMs(), new NodeDriver.Settings(
                            config.maxPendingProposals(), config.maxPendingReads(),
                            RaftVerticle.nanos(config.clientRequestTimeoutMs()), MAX_APPLY_BATCH_ENTRIES,
                            config.maxApplyQueueBytes(), config.maxForwardedBytes(),
                            config.learnerPromotionLagEntries()),
                            new NodeDriver.HistorySettings(config.historyRetentionRevisions(),
                                    RaftVerticle.nanos(config.historyRetentionMs()),
                                    RaftVerticle.nanos(config.historyCompactionIntervalMs()),
                                    config.historyPurgeBatchRecords(),
                                    new WatchHub.Settings(config.maxWatchers(), config.maxWatcherQueueBytes(),
                                            config.watchPageEvents())),
                            config.leaseCheckpointIntervalMs()),
                    new NodeDriver.SnapshotSettings(config.snapshotEntries(), config.snapshotLogBytes(),
                            config.snapshotTailEntries()),
                    addresses, metrics == null ? NodeMetrics.NONE : metrics);
            if (metrics != null) {
                metrics.observe(raft::status, stateMachine::leaseCount);
            }
            Auth auth = auth(config, stateMachine);
            ApiVerticle api = new ApiVerticle(raft, stateMachine, staging,
                    new ApiVerticle.Settings(config.host(), config.port(),
                    config.maxKeyBytes(), config.maxValueBytes(), config.maxRequestBodyBytes(), config.maxHeaderBytes(),
                    config.maxInitialLineBytes(), config.maxQueryParams(), config.maxListLimit(),
                    Math.max(config.maxMessageBytes(), config.snapshotChunkBytes()) + config.maxValueBytes() + 4096,
                    config.clientRequestTimeoutMs(), config.httpIdleTimeoutMs(), config.learnerPromotionLagEntries(),
                    MAX_READ_BATCH, config.maxReadBatchBytes(), config.watchProgressMs(), config.maxTxnOps(),
                    config.idempotencyWindowRevisions(),
                    new ApiVerticle.LeaseLimits(config.maxLeases(), config.maxLeaseTtlSeconds(),
                            minLeaseTtlSeconds(config)), addresses, config.readyMaxApplyLagEntries(),
                    config.maxLogListLimit()),
                    new ApiVerticle.BackupSettings(storage.snapshotStore(), config.backupChunkBytes(),
                            config.maxBackupStreams()), metrics, peerAuth, auth).tls(tls);
            await(vertx.deployVerticle(raft, new DeploymentOptions()), "starting raft");
            await(vertx.deployVerticle(api, new DeploymentOptions()), "starting the HTTP server on port "
                    + config.port());
            new AuthBootstrap(vertx, raft, auth).start();
            EtcdServer etcd = null;
            if (config.etcdPort() > 0) {
                etcd = new EtcdServer(new EtcdNode(vertx, raft, stateMachine, config, addresses,
                        tls.etcdScheme() + "://" + hostForUrl(config.host()) + ":" + config.etcdPort(), storage::bytesOnDisk,
                        minLeaseTtlSeconds(config)), auth);
                await(vertx.deployVerticle(etcd, new DeploymentOptions()), "starting the etcd API on port "
                        + config.etcdPort());
            }
            return new RaftyNode(config, storage, vertx, raft, stateMachine, api, etcd, metrics);
        } catch (StartupException | RuntimeException e) {
            closeQuietly(vertx);
            storage.close();
            if (metrics != null) {
                metrics.close();
            }
            throw e instanceof StartupException s ? s : new StartupException(e.getMessage(), e);
        }
    }

    /**
     * The signer and verifier of peer requests, or null without a cluster secret — then the peer routes are
     * open, as before there were secrets, and the node says so once.
     */
    private static PeerAuth peerAuth(NodeConfig config) {
        if (config.clusterSecret() == null && config.peerTlsCa() != null) {
            // Not open: /raft/* takes only connections with a certificate of the peer CA.
            LOG.info("node " + config.id() + " authenticates peers by mutual TLS (peerTlsCa) without a cluster secret");
            return null;
        }
        if (config.clusterSecret() == null) {
            LOG.warning("node " + config.id() + " has no cluster secret (KVSTORE_CLUSTER_SECRET_FILE or "
                    + "KVSTORE_CLUSTER_SECRET): its peer routes (/raft/*) accept "
                    + "Raft messages and snapshots from anyone who can reach its HTTP port; see docs/SECURITY.md");
            return null;
        }
        return PeerAuth.create(config.clusterSecret(), new PeerAuth.Limits(config.peerAuthMaxClockSkewMs(),
                config.peerAuthNonceCacheEntries()), config.id());
    }

    /**
     * Client auth as configured. Without it (and with a table that was never enabled) the client API is open, as
     * etcd's is by default, and the node says so once.
     */
    private static Auth auth(NodeConfig config, KvStateMachine stateMachine) {
        if (!config.auth() && !stateMachine.authState().enabled()) {
            LOG.warning("node " + config.id() + " has auth off (KVSTORE_AUTH): its client API (HTTP"
                    + (config.etcdPort() > 0 ? " and the etcd port" : "") + ") lets anyone who can reach it read, "
                    + "write and administer everything; see docs/SECURITY.md");
        }
        return new Auth(new Auth.Settings(config.auth(),
                config.authRootPassword() == null ? null : config.authRootPassword().reveal(), config.authBcryptCost(),
                config.authTokenTtlS(), config.authMetricsOpen(), config.authHeaderBytesMax()),
                stateMachine::authState, System::currentTimeMillis);
    }

    /**
     * The shortest lease TTL: one and a half longest election timeouts, rounded up to a second (etcd's
     * rule), so that a lease survives the election that follows a leader's death.
     */
    public static long minLeaseTtlSeconds(NodeConfig config) {
        long electionMs = (long) config.electionTimeoutTicksMax() * config.tickIntervalMs();
        return Math.max(1, (electionMs * 3 / 2 + 999) / 1000);
    }

    /** Incoming snapshots are staged beside the database directory, never inside RocksDB's own. */
    private static java.nio.file.Path stagingFile(NodeConfig config) {
        java.nio.file.Path dir = config.storageDir().toAbsolutePath();
        return dir.resolveSibling(dir.getFileName() + ".incoming-snapshot");
    }

    private static <T> T await(io.vertx.core.Future<T> future, String what) throws StartupException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            String reason = cause instanceof java.net.BindException ? "address already in use" : cause.getMessage();
            throw new StartupException(what + " failed: " + reason, cause);
        } catch (TimeoutException e) {
            throw new StartupException(what + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StartupException(what + " was interrupted", e);
        }
    }

    private static void closeQuietly(Vertx vertx) {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // Already failing; the original error is the one worth reporting.
        }
    }

    public int id() {
        return config.id();
    }

    /** The configuration this node was started with. */
    public NodeConfig config() {
        return config;
    }

    /** The port the HTTP server is bound to. */
    public int port() {
        return api.actualPort();
    }

    /** The port the etcd API is bound to, or 0 when it is off. */
    public int etcdPort() {
        return etcd == null ? 0 : etcd.actualPort();
    }

    public String url() {
        return scheme(config) + "://" + config.host() + ":" + port();
    }

    public NodeStatus status() {
        return raft.status();
    }

    /** Approximate bytes of the Raft log on disk (RocksDB SST files and memtables of the log family). */
    public long logBytesOnDisk() {
        return storage.logBytesOnDisk();
    }

    /** The client HTTP server (tests read its routes). */
    public ApiVerticle api() {
        return api;
    }

    public Vertx vertx() {
        return vertx;
    }

    /** The Raft verticle (the etcd services and their tests open watches and leases through it). */
    public RaftVerticle raft() {
        return raft;
    }

    /** The replicated state machine (the etcd services read leases and their keys from it). */
    public KvStateMachine stateMachine() {
        return stateMachine;
    }

    /** Stops serving, then closes storage. Safe to call twice. */
    @Override
    public synchronized void close() {
        closeQuietly(vertx);
        storage.close();
        if (metrics != null) {
            metrics.close();
        }
    }

    /** A node could not start; the message is one line for the operator. */
    /** The test-only {@link DeliberateBugFlag} of the environment; loudly logged when any is on. */
    private static Set<DeliberateBug> deliberateBugs(NodeConfig config) throws StartupException {
        Set<DeliberateBug> bugs;
        try {
            bugs = DeliberateBugFlag.fromEnvironment(System.getenv());
        } catch (ConfigException e) {
            throw new StartupException(e.getMessage(), e);
        }
        if (!bugs.isEmpty()) {
            java.util.logging.Logger.getLogger(RaftyNode.class.getName()).warning(() -> "node " + config.id()
                    + " RUNS WITH DELIBERATE BUGS " + bugs + " (" + DeliberateBugFlag.BUG_ENV + "): it may lose or "
                    + "misread data on purpose; a test-only switch, never for real data");
        }
        return bugs;
    }

    public static final class StartupException extends Exception {

        private static final long serialVersionUID = 1L;

        public StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
