package io.rafty;

import io.rafty.api.ApiVerticle;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.kv.KvStateMachine;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.raft.Membership;
import io.rafty.storage.RocksStorage;
import io.rafty.transport.PeerClient;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One running node: its RocksDB, its Vert.x instance, the Raft verticle and the API verticle.
 * Starting and closing are blocking calls for the main thread (or a test thread), never an event loop.
 * Resources are opened in order and closed in reverse.
 */
public final class RaftyNode implements AutoCloseable {

    private static final int START_TIMEOUT_SECONDS = 30;
    private static final int PEER_INFLIGHT_REQUESTS = 4;
    private static final int PEER_QUEUED_MESSAGES = 4096;
    private static final int MAX_PENDING_READS = 10_000;
    private static final int MAX_APPLY_BATCH_ENTRIES = 1024;
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
    private final ApiVerticle api;

    private RaftyNode(NodeConfig config, RocksStorage storage, Vertx vertx, RaftVerticle raft, ApiVerticle api) {
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
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        addresses.put(config.id(), "http://" + host + ":" + config.port());
        return addresses;
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
        RocksStorage storage;
        try {
            storage = RocksStorage.open(config.storageDir());
        } catch (RuntimeException e) {
            throw new StartupException("cannot open storage: " + e.getMessage(), e);
        }
        Vertx vertx = Vertx.vertx(vertxOptions);
        try {
            KvStateMachine stateMachine = new KvStateMachine(storage.kvStore());
            PeerClient peers = new PeerClient(vertx, addresses, new PeerClient.Limits(PEER_INFLIGHT_REQUESTS,
                    PEER_QUEUED_MESSAGES, config.maxMessageBytes(), config.peerRequestTimeoutMs()));
            RaftVerticle raft = new RaftVerticle(config.raftConfig(),
                    Membership.ofVoters(new HashSet<>(config.memberIds())), storage.logStore(), stateMachine, peers,
                    new RaftVerticle.Settings(config.tickIntervalMs(), config.maxPendingProposals(), MAX_PENDING_READS,
                            config.clientRequestTimeoutMs(), MAX_APPLY_BATCH_ENTRIES));
            ApiVerticle api = new ApiVerticle(raft, stateMachine, new ApiVerticle.Settings(config.host(), config.port(),
                    config.maxKeyBytes(), config.maxValueBytes(), config.maxRequestBodyBytes(), config.maxHeaderBytes(),
                    config.maxInitialLineBytes(), config.maxQueryParams(), config.maxListLimit(),
                    config.maxMessageBytes() + config.maxValueBytes() + 4096,
                    config.clientRequestTimeoutMs(), addresses));
            await(vertx.deployVerticle(raft, new DeploymentOptions()), "starting raft");
            await(vertx.deployVerticle(api, new DeploymentOptions()), "starting the HTTP server on port "
                    + config.port());
            return new RaftyNode(config, storage, vertx, raft, api);
        } catch (StartupException | RuntimeException e) {
            closeQuietly(vertx);
            storage.close();
            throw e instanceof StartupException s ? s : new StartupException(e.getMessage(), e);
        }
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

    /** The port the HTTP server is bound to. */
    public int port() {
        return api.actualPort();
    }

    public String url() {
        return "http://" + config.host() + ":" + port();
    }

    public NodeStatus status() {
        return raft.status();
    }

    public Vertx vertx() {
        return vertx;
    }

    /** Stops serving, then closes storage. Safe to call twice. */
    @Override
    public synchronized void close() {
        closeQuietly(vertx);
        storage.close();
    }

    /** A node could not start; the message is one line for the operator. */
    public static final class StartupException extends Exception {

        private static final long serialVersionUID = 1L;

        public StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
