package io.rafty.api;

import io.rafty.kv.AuthState;
import io.rafty.kv.Command;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Precondition;
import io.rafty.kv.Txn;
import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.node.RequestFailure;
import io.rafty.ops.Dashboard;
import io.rafty.ops.Metrics;
import io.rafty.raft.PeerProgress;
import io.rafty.raft.Role;
import io.rafty.raft.message.Message;
import io.rafty.security.Auth;
import io.rafty.security.NodeTls;
import io.rafty.security.PeerAuth;
import io.rafty.transport.MessageCodec;
import io.rafty.storage.SnapshotStaging;
import io.rafty.storage.SnapshotStore;
import io.rafty.transport.PeerClient;
import io.rafty.transport.QuietConnections;
import io.rafty.transport.SnapshotSender;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The HTTP server of a node: the client API of DESIGN §4 and the peer routes under {@code /raft/}: messages,
 * snapshot chunks and join discovery ({@link #PEER_CLUSTER_PATH}). With a cluster secret, every request under
 * {@code /raft/} — routed or not — must carry a valid MAC ({@link PeerAuthHandler}) before any peer handler runs.
 * Runs on its own event loop; every state-machine read goes to a worker, every write and every
 * linearizable read goes through the {@link RaftVerticle}, which on a follower forwards writes and
 * confirms reads with the leader over the peer channel. What the local Raft cannot take at all (no
 * confirmation because the leader changed, a write the leader refused, the cluster view and admin
 * requests) is relayed to the leader as HTTP ({@link LeaderForwarder}).
 */
public final class ApiVerticle extends VerticleBase {

    private static final Logger LOG = Logger.getLogger(ApiVerticle.class.getName());
    private static final String JSON = "application/json";
    static final String IDEMPOTENCY_KEY = "idempotency-key";
    static final String IDEMPOTENCY_REPLAYED = "idempotency-replayed";
    private static final int MAX_ADMIN_BODY_BYTES = 4096;
    /** Every peer route lives under this prefix, and the peer-auth gate covers all of it. */
    public static final String PEER_ROUTES = "/raft/*";
    /** Join discovery: the cluster view of {@code GET /v1/cluster}, as a peer route (so behind the secret). */
    public static final String PEER_CLUSTER_PATH = "/raft/cluster";

    /** Limits and addresses of the API server. */
    public record Settings(String host, int port, int maxKeyBytes, int maxValueBytes, int maxRequestBodyBytes,
                           int maxHeaderBytes, int maxUrlBytes, int maxQueryParams, int maxListLimit,
                           int maxPeerBodyBytes, int forwardTimeoutMs, int idleTimeoutMs,
                           long learnerPromotionLagEntries, int maxReadBatch, long maxReadBatchBytes,
                           int watchProgressMs, int maxTxnOps, long idempotencyWindowRevisions,
                           LeaseLimits leases, Map<Integer, String> addresses, long readyMaxApplyLagEntries,
                           int maxLogListLimit) {
    }

    /** Bounds of lease grants: the count in the cluster, the longest and the shortest TTL. */
    public record LeaseLimits(int maxLeases, long maxTtlSeconds, long minTtlSeconds) {
    }

    private final RaftVerticle raft;
    private final KvStateMachine stateMachine;
    private final SnapshotStaging staging;
    private SnapshotRoute snapshotRoute;
    private final Settings settings;
    private final ApiDocs docs;
    private final Dashboard dashboard;
    private final Metrics metrics;
    /** Null: no cluster secret, the peer routes are open. */
    private final PeerAuth peerAuth;
    /** Client auth: off unless configured or enabled in the replicated table (see {@link AccessControl}). */
    private final Auth auth;
    /**
     * The node's TLS ({@link #tls}); set before deployment, so the constructors other branches extend stay as
     * they are.
     */
    private NodeTls tls = NodeTls.NONE;
    private HttpServer server;
    private Router router;
    private LeaderForwarder forwarder;
    private BatchedReads reads;
    private WatchRoute watches;
    private final BackupSettings backupSettings;
    private BackupRoute backups;

    public ApiVerticle(RaftVerticle raft, KvStateMachine stateMachine, SnapshotStaging staging,
                       Settings settings, BackupSettings backups, Metrics metrics) {
        this(raft, stateMachine, staging, settings, backups, metrics, null);
    }

    /** As the other constructor, with the peer routes behind {@code peerAuth} (null: open). */
    public ApiVerticle(RaftVerticle raft, KvStateMachine stateMachine, SnapshotStaging staging,
                       Settings settings, BackupSettings backups, Metrics metrics, PeerAuth peerAuth) {
        this(raft, stateMachine, staging, settings, backups, metrics, peerAuth,
                new Auth(new Auth.Settings(false, null, 10, 300, true, 1024),
                        stateMachine::authState, System::currentTimeMillis));
    }

    /** As the other constructors, with client auth as {@code auth} says. */
    public ApiVerticle(RaftVerticle raft, KvStateMachine stateMachine, SnapshotStaging staging,
                       Settings settings, BackupSettings backups, Metrics metrics, PeerAuth peerAuth, Auth auth) {
        this.auth = auth;
        this.peerAuth = peerAuth;
        this.metrics = metrics;
        this.raft = raft;
        this.stateMachine = stateMachine;
        this.staging = staging;
        this.settings = settings;
        this.backupSettings = backups;
        this.docs = ApiDocs.load();
        this.dashboard = Dashboard.load();
    }

    /**
     * Serves the port with {@code tls} and, with peer TLS, lets {@code /raft/*} through only on connections with a
     * peer certificate; relays to the leader go over peer TLS. Call before deploying.
     */
    public ApiVerticle tls(NodeTls tls) {
        this.tls = tls;
        return this;
    }

    /** Backups ({@code GET /v1/snapshot}): the images to stream, bytes per chunk, streams at once. */
    public record BackupSettings(SnapshotStore images, int chunkBytes, int maxStreams) {
    }

    /** The port actually bound (useful when configured as 0). */
    public int actualPort() {
        return server.actualPort();
    }

    @Override
    public Future<?> start() {
        // The node's snapshot pool, by name: this verticle's own reference, closed when it is undeployed.
        snapshotRoute = new SnapshotRoute(raft, staging,
                vertx.createSharedWorkerExecutor(RaftVerticle.snapshotPoolName(raft.id()), 1));
        forwarder = new LeaderForwarder(vertx, settings.addresses(), settings.forwardTimeoutMs(), peerAuth, tls);
        reads = new BatchedReads(vertx, stateMachine, settings.maxReadBatch(), settings.maxReadBatchBytes());
        watches = new WatchRoute(vertx, raft, settings.maxKeyBytes(), settings.watchProgressMs(),
                settings.idleTimeoutMs());
        watches.start();
        backups = new BackupRoute(vertx, raft, backupSettings);
        HttpServerOptions options = tls.clientPort(new HttpServerOptions())
                .setHost(settings.host())
                .setPort(settings.port())
                .setMaxHeaderSize(settings.maxHeaderBytes())
                .setMaxInitialLineLength(settings.maxUrlBytes())
                .setIdleTimeout(settings.idleTimeoutMs())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setTcpNoDelay(true)
                // HTTP/1.1 only: h2c upgrades (sent by default by java.net.http clients) broke large
                // responses in testing, and the API gains nothing from HTTP/2 on a LAN.
                .setHttp2ClearTextEnabled(false)
                .setCompressionSupported(false);
        server = vertx.createHttpServer(options)
                .connectionHandler(connection -> QuietConnections.quiet(connection, "client or peer"))
                .invalidRequestHandler(this::invalidRequest)
                .requestHandler(router = router());
        return server.listen();
    }

    @Override
    public Future<?> stop() {
        forwarder.close();
        watches.stop();
        backups.close();
        return server == null ? Future.succeededFuture() : server.close();
    }

    /** Every route of the router, in order (the OpenAPI tests compare them with the document). */
    List<Route> routes() {
        return router.getRoutes();
    }

    private Router router() {
        Router router = Router.router(vertx);
        // One body handler and one gate for the whole prefix, ahead of every peer route: a peer route added
        // later is behind the secret without a line of its own, and an unknown /raft/ path is 401 before 404.
        router.route(PEER_ROUTES).handler(BodyHandler.create(false).setBodyLimit(settings.maxPeerBodyBytes()));
        PeerRefusals refusals = new PeerRefusals(System::currentTimeMillis);
        if (tls.peerTls()) {
            // Before the MAC: with peer TLS a peer request needs a peer certificate, with or without a cluster secret.
            router.route(PEER_ROUTES).handler(new PeerCertificateHandler(tls, refusals));
        }
        if (peerAuth != null) {
            router.route(PEER_ROUTES).handler(new PeerAuthHandler(peerAuth, refusals));
        }
        router.post(PeerClient.PATH).handler(this::peerMessages);
        router.post(SnapshotSender.PATH).handler(snapshotRoute::handle);
        router.get(PEER_CLUSTER_PATH).handler(this::cluster);
        CrossOrigin crossOrigin = new CrossOrigin(this::memberAddresses);
        router.route("/v1/*").handler(crossOrigin::handle).handler(this::limitQueryParams);
        // Ahead of the gate as well: a dashboard's preflight (it sends Authorization once signed in) is never 401,
        // and a 401 or 403 carries the CORS headers that let the page read why (authMetricsOpen=false).
        router.route("/metrics").handler(crossOrigin::handle);
        // One gate ahead of every client route (everything registered below): a route added later is closed
        // to anyone but root unless AccessControl names it open or a key route.
        java.util.function.Consumer<Boolean> authRefusals = authFailures();
        router.route().handler(new AccessControl(auth, raft, authRefusals)::handle);
        watches.stillAllowed(this::stillAllowed);
        router.get("/health").handler(this::health);
        router.get("/metrics").handler(new MetricsRoute(vertx, metrics)::scrape);
        dashboard.routes(router);
        HealthRoutes probes = new HealthRoutes(raft::status, settings.readyMaxApplyLagEntries());
        router.get("/livez").handler(probes::livez);
        router.get("/readyz").handler(probes::readyz);
        docs.routes(router);
        router.get("/v1/status").handler(this::status);
        router.get("/v1/cluster").handler(this::cluster);
        router.get("/v1/raft/log").handler(new LogRoute(vertx, raft, settings.maxLogListLimit())::recent);
        AdminRoutes admin = new AdminRoutes(raft, settings.learnerPromotionLagEntries(),
                (ctx, cause) -> failedOnLeader(ctx, cause, true), this::address);
        BodyHandler adminBody = BodyHandler.create(false).setBodyLimit(MAX_ADMIN_BODY_BYTES);
        router.post("/v1/cluster/members").handler(adminBody).handler(admin::addMember);
        router.delete("/v1/cluster/members/:id").handler(admin::removeMember);
        router.post("/v1/cluster/members/:id/promote").handler(adminBody).handler(admin::promoteMember);
        router.post("/v1/cluster/leader").handler(adminBody).handler(admin::transferLeader);
        router.post("/v1/compact").handler(adminBody).handler(this::compact);
        router.get("/v1/snapshot").handler(backups::handle);
        router.post("/v1/txn").handler(BodyHandler.create(false).setBodyLimit(settings.maxRequestBodyBytes()))
                .handler(this::txn);
        LeaseRoutes leases = new LeaseRoutes(vertx, raft, stateMachine, settings.leases(), settings.maxListLimit(),
                new LeaseRoutes.Plumbing() {
                    @Override
                    public void propose(RoutingContext ctx, Command command, java.util.function.Consumer<KvResult> then) {
                        write(ctx, command, then);
                    }

                    @Override
                    public void afterReadBarrier(RoutingContext ctx, Runnable read) {
                        ApiVerticle.this.afterReadBarrier(ctx, read);
                    }

                    @Override
                    public void failed(RoutingContext ctx, Throwable cause) {
                        failedOnLeader(ctx, cause, false);
                    }
                });
        AuthRoutes authRoutes = new AuthRoutes(vertx, raft, auth, settings.maxKeyBytes(), new AuthRoutes.Plumbing() {
            @Override
            public void propose(RoutingContext ctx, Command command, java.util.function.Consumer<KvResult> then) {
                raft.propose(command).onComplete(ar -> {
                    if (ar.failed()) {
                        failedOnLeader(ctx, ar.cause(), true);
                    } else {
                        then.accept(ar.result());
                    }
                });
            }

            @Override
            public void afterReadBarrier(RoutingContext ctx, Runnable read) {
                ApiVerticle.this.afterReadBarrier(ctx, read);
            }
        }, () -> authRefusals.accept(null));
        router.post(AuthRoutes.TOKEN_PATH).handler(adminBody).handler(authRoutes::token);
        router.get(AuthRoutes.USERS_PATH).handler(authRoutes::listUsers);
        router.put(AuthRoutes.USERS_PATH + "/:name").handler(adminBody).handler(authRoutes::putUser);
        router.get(AuthRoutes.USERS_PATH + "/:name").handler(authRoutes::getUser);
        router.delete(AuthRoutes.USERS_PATH + "/:name").handler(authRoutes::deleteUser);
        router.get(AuthRoutes.ROLES_PATH).handler(authRoutes::listRoles);
        router.put(AuthRoutes.ROLES_PATH + "/:name").handler(adminBody).handler(authRoutes::putRole);
        router.get(AuthRoutes.ROLES_PATH + "/:name").handler(authRoutes::getRole);
        router.delete(AuthRoutes.ROLES_PATH + "/:name").handler(authRoutes::deleteRole);
        router.post("/v1/leases").handler(adminBody).handler(leases::grant);
        router.get("/v1/leases").handler(leases::list);
        router.post("/v1/leases/:id/keepalive").handler(leases::keepAlive);
        router.get("/v1/leases/:id").handler(leases::get);
        router.delete("/v1/leases/:id").handler(leases::revoke);
        router.get("/v1/watch").handler(watches::watchPrefix);
        router.get("/v1/watch/*").handler(watches::watchKey);
        router.get("/v1/kv").handler(this::list);
        router.route("/v1/kv/*").handler(BodyHandler.create(false).setBodyLimit(settings.maxRequestBodyBytes()));
        router.put("/v1/kv/*").handler(this::put);
        router.get("/v1/kv/*").handler(this::get);
        router.delete("/v1/kv/*").handler(this::delete);
        router.route().failureHandler(this::failure);
        router.errorHandler(400, ctx -> error(ctx, ctx.failure() instanceof ApiException api ? api
                : ApiException.badRequest("malformed request (check the percent-encoding of the path)")));
        router.errorHandler(404, ctx -> error(ctx, new ApiException(404, "not_found",
                "no such endpoint: " + ctx.request().method() + " " + ctx.request().path())));
        router.errorHandler(405, ctx -> error(ctx, new ApiException(405, "method_not_allowed",
                "method " + ctx.request().method() + " is not allowed on " + ctx.request().path())));
        return router;
    }

    /**
     * Counts refusals in {@code rafty_auth_failures_total}: {@code kind="token"} (401: no or a bad credential),
     * {@code "permission"} (403 at the gate), {@code "login"} (a failed login; passed null).
     */
    private java.util.function.Consumer<Boolean> authFailures() {
        if (metrics == null) {
            return unauthenticated -> { };
        }
        io.micrometer.core.instrument.Counter token = authCounter("token");
        io.micrometer.core.instrument.Counter permission = authCounter("permission");
        io.micrometer.core.instrument.Counter login = authCounter("login");
        return unauthenticated -> (unauthenticated == null ? login : unauthenticated ? token : permission).increment();
    }

    private io.micrometer.core.instrument.Counter authCounter(String kind) {
        return io.micrometer.core.instrument.Counter.builder("rafty.auth.failures")
                .description("Client requests refused by auth: token (401), permission (403 at the gate), login "
                        + "(a wrong user name or password)")
                .tag("kind", kind).register(metrics.registry());
    }

    /** Whether a running watch's request may still read {@code keys} (see {@link WatchRoute#stillAllowed}). */
    private boolean stillAllowed(RoutingContext ctx, KeySelector keys) {
        AccessControl.Grant grant = ctx.get(AccessControl.GRANT);
        if (grant == null || grant.principal() == null) {
            return grant != null || !auth.enforced();
        }
        AuthState table = auth.state();
        AuthState.User user = table.user(grant.user());
        return user != null && user.passwordRevision() == grant.principal().user().passwordRevision()
                && io.rafty.security.Permissions.allows(table, user, keys, io.rafty.security.Permissions.Need.READ);
    }

    /**
     * Requests Netty could not parse never reach the router: a request line longer than
     * {@code maxInitialLineBytes}, headers beyond {@code maxHeaderBytes}, or bytes that are not HTTP.
     * Vert.x's default answers them with an empty body; this one names the limit in the usual JSON
     * error. The decoder discards everything after a failure, so the connection is closed afterwards.
     */
    private void invalidRequest(HttpServerRequest request) {
        DecoderResult result = request.decoderResult();
        Throwable cause = result == null ? null : result.cause();
        ApiException error;
        if (cause instanceof TooLongHttpLineException) {
            error = new ApiException(414, "too_large", "the request line (method, path and query) exceeds "
                    + settings.maxUrlBytes() + " bytes (maxInitialLineBytes)");
        } else if (cause instanceof TooLongHttpHeaderException) {
            error = new ApiException(431, "too_large", "the request headers exceed " + settings.maxHeaderBytes()
                    + " bytes (maxHeaderBytes)");
        } else {
            error = ApiException.badRequest("malformed HTTP request"
                    + (cause == null || cause.getMessage() == null ? "" : ": " + cause.getMessage()));
        }
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(error.status())
                .putHeader("content-type", JSON)
                .putHeader("connection", "close")
                .end(error.body().toBuffer())
                .onComplete(ar -> request.connection().close());
    }

    /** 200 while this node serves; 503 once it has fenced itself after a storage failure. */
    private void health(RoutingContext ctx) {
        NodeStatus s = raft.status();
        if (s != null && s.fenced()) {
            ctx.response().putHeader("retry-after", "1");
            json(ctx, 503, new JsonObject().put("status", "fenced")
                    .put("message", "storage failed on this node; it no longer serves. Restart it once the disk is "
                            + "healthy"));
            return;
        }
        json(ctx, 200, new JsonObject().put("status", "ok"));
    }

    private void limitQueryParams(RoutingContext ctx) {
        if (ctx.queryParams().size() > settings.maxQueryParams()) {
            throw ApiException.badRequest("too many query parameters (" + ctx.queryParams().size() + "); the limit is "
                    + settings.maxQueryParams());
        }
        ctx.next();
    }

    // ----- peer route -------------------------------------------------------------------------

    private void peerMessages(RoutingContext ctx) {
        MessageCodec.Batch batch;
        try {
            Buffer body = ctx.body().buffer();
            batch = MessageCodec.decode(body == null ? new byte[0] : body.getBytes());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("malformed peer message: " + e.getMessage());
        }
        // The driver refuses a batch of another cluster (logging it once per sender and cluster);
        // answering 409 tells the sender, whose peer client logs failed batches at FINE.
        raft.receive(batch.sender(), batch.messages());
        long ours = raft.status().clusterId();
        long theirs = batch.sender().clusterId();
        if (ours != 0 && theirs != 0 && ours != theirs) {
            error(ctx, new ApiException(409, "cluster_mismatch", "this node belongs to cluster "
                    + Long.toHexString(ours) + ", the sender to cluster " + Long.toHexString(theirs)));
            return;
        }
        ctx.response().setStatusCode(204).end();
    }

    // ----- status -----------------------------------------------------------------------------

    private void status(RoutingContext ctx) {
        NodeStatus s = raft.status();
        JsonArray members = new JsonArray();
        for (int id : s.members()) {
            members.add(new JsonObject().put("id", id).put("address", address(id)));
        }
        json(ctx, 200, new JsonObject()
                .put("id", s.id())
                .put("role", s.role().displayName())
                .put("term", s.term())
                .put("leaderId", s.leaderId() == 0 ? null : s.leaderId())
                .put("commitIndex", s.commitIndex())
                .put("appliedIndex", s.appliedIndex())
                .put("revision", s.appliedIndex())
                .put("compactRevision", s.compactRevision())
                .put("watchers", s.watchers())
                .put("lastLogIndex", s.lastLogIndex())
                .put("snapshotIndex", s.snapshotIndex())
                .put("firstLogIndex", s.firstLogIndex())
                .put("members", members)
                .put("healthy", !s.fenced())
                .put("rebuilding", s.rebuilding())
                .put("clusterId", s.clusterId() == 0 ? null : Long.toHexString(s.clusterId()))
                .put("storageId", Long.toHexString(s.storageId())));
    }

    /** Every member's base URL this node knows: its configured peers and the current configuration's. */
    private java.util.Collection<String> memberAddresses() {
        java.util.Set<String> all = new java.util.HashSet<>(settings.addresses().values());
        NodeStatus s = raft.status();
        if (s != null && s.membership() != null) {
            all.addAll(s.membership().addresses().values());
        }
        return all;
    }

    private String address(int id) {
        return settings.addresses().getOrDefault(id, "");
    }

    private void cluster(RoutingContext ctx) {
        NodeStatus s = raft.status();
        if (s.role() != Role.LEADER) {
            forwardOrFail(ctx, s, false);
            return;
        }
        raft.progress().onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            long last = raft.status().lastLogIndex();
            JsonArray members = new JsonArray();
            for (PeerProgress p : ar.result()) {
                boolean self = p.id() == s.id();
                members.add(new JsonObject()
                        .put("id", p.id())
                        .put("address", address(p.id()))
                        .put("role", self ? "leader" : p.voter() ? "follower" : "learner")
                        .put("voter", p.voter())
                        .put("matchIndex", p.matchIndex())
                        .put("lag", Math.max(0, last - p.matchIndex()))
                        .put("storageId", p.storageId() == 0 ? null : Long.toHexString(p.storageId()))
                        .put("rebuilding", s.membership().catchingUp(p.id(), p.storageId())));
            }
            json(ctx, 200, new JsonObject().put("leaderId", s.id()).put("term", s.term()).put("members", members));
        });
    }

    // ----- key-value --------------------------------------------------------------------------

    private byte[] key(RoutingContext ctx) {
        String path = ctx.request().path();
        String prefix = "/v1/kv/";
        if (!path.startsWith(prefix)) {
            throw ApiException.badRequest("key path must start with " + prefix);
        }
        byte[] key = KeyCodec.decodePath(path.substring(prefix.length()));
        if (key.length == 0) {
            throw ApiException.badRequest("key must not be empty");
        }
        if (key.length > settings.maxKeyBytes()) {
            throw ApiException.badRequest("key is " + key.length + " bytes; the limit is " + settings.maxKeyBytes());
        }
        return key;
    }

    private void put(RoutingContext ctx) {
        byte[] key = key(ctx);
        Precondition precondition = RequestParams.precondition(ctx);
        requireKeyWrite(ctx, key, precondition);
        long lease = RequestParams.lease(ctx);
        Buffer body = ctx.body().buffer();
        byte[] value = body == null ? new byte[0] : body.getBytes();
        if (value.length > settings.maxValueBytes()) {
            throw new ApiException(413, "too_large", "value is " + value.length + " bytes; the limit is "
                    + settings.maxValueBytes());
        }
        write(ctx, new Command.Put(key, value, precondition, lease));
    }

    private void delete(RoutingContext ctx) {
        byte[] key = key(ctx);
        Precondition precondition = RequestParams.precondition(ctx);
        requireKeyWrite(ctx, key, precondition);
        write(ctx, new Command.Delete(key, precondition));
    }

    /**
     * Write on {@code key}; with a precondition also read, since the precondition compares the current value and
     * a failed one answers 412 with it ({@code "current"}).
     */
    private static void requireKeyWrite(RoutingContext ctx, byte[] key, Precondition precondition) {
        AccessControl.requireWrite(ctx, KeySelector.key(key), "writing");
        if (precondition != null && !precondition.equals(Precondition.NONE)) {
            AccessControl.requireRead(ctx, KeySelector.key(key), "a write with a precondition (its "
                    + "compare reads the current value, and a failed one answers with it)");
        }
    }

    /**
     * Proposes a client write; with an {@code Idempotency-Key} header, wrapped so that it applies once
     * whatever the retries (see {@link io.rafty.kv.Idempotency}).
     */
    private void write(RoutingContext ctx, Command write) {
        write(ctx, write, result -> writeResult(ctx, result));
    }

    /**
     * Proposes a client write and hands its result to {@code onResult}: for a retry answered from the
     * idempotency table, the first attempt's result, with {@code Idempotency-Replayed: true} set. A reused
     * key is answered 422 here, a failure as {@link #failedOnLeader} decides.
     */
    private void write(RoutingContext ctx, Command write, java.util.function.Consumer<KvResult> onResult) {
        raft.propose(withIdempotencyKey(ctx, write)).onComplete(ar -> {
            if (ar.failed()) {
                failedOnLeader(ctx, ar.cause(), true);
            } else if (ar.result() instanceof KvResult.Replayed replayed) {
                ctx.response().putHeader(IDEMPOTENCY_REPLAYED, "true");
                onResult.accept(replayed.original());
            } else if (ar.result() instanceof KvResult.IdempotencyKeyReused reused) {
                error(ctx, new ApiException(422, "idempotency_key_reused", "the Idempotency-Key was used at revision "
                        + reused.firstRevision() + " for a different request"));
            } else {
                onResult.accept(ar.result());
            }
        });
    }

    /** {@code write}, wrapped with the request's {@code Idempotency-Key} when it has one (400 when malformed). */
    private Command withIdempotencyKey(RoutingContext ctx, Command write) {
        List<String> keys = ctx.request().headers().getAll(IDEMPOTENCY_KEY);
        String user = AccessControl.grant(ctx).user();
        if (keys.size() > 1) {
            throw ApiException.badRequest("the Idempotency-Key header is given more than once");
        }
        if (keys.isEmpty()) {
            return write;
        }
        String problem = io.rafty.kv.Idempotency.problem(keys.get(0));
        if (problem != null) {
            throw ApiException.badRequest(problem);
        }
        // With auth, the key is the user's own: a retry is answered only to the user who made the first attempt,
        // and another user's equal key is another key (names hold no NUL, so the two parts cannot blur).
        String scoped = user == null ? keys.get(0) : "user\0" + user + "\0" + keys.get(0);
        return new Command.Idempotent(scoped.getBytes(StandardCharsets.UTF_8),
                settings.idempotencyWindowRevisions(), write);
    }

    private void writeResult(RoutingContext ctx, KvResult result) {
        ApiException refusal = switch (result.kind()) {
            case WRITTEN -> {
                KvEntry written = ((KvResult.Written) result).entry();
                yield ok(ctx, new JsonObject().put("key", KeyCodec.display(written.key())).put("revision", written.revision()));
            }
            case DELETED -> {
                KvResult.Deleted deleted = (KvResult.Deleted) result;
                yield ok(ctx, new JsonObject().put("key", KeyCodec.display(deleted.key())).put("revision", deleted.revision())
                        .put("deleted", true));
            }
            case TXN_DONE -> ok(ctx, TxnJson.render((KvResult.TxnDone) result));
            case NOT_FOUND -> new ApiException(404, "key_not_found", "key not found: "
                    + KeyCodec.display(((KvResult.NotFound) result).key()));
            case LEASE_NOT_FOUND -> LeaseRoutes.notFound(((KvResult.LeaseNotFound) result).id());
            case TXN_INVALID -> ApiException.badRequest(((KvResult.TxnInvalid) result).problem());
            case COMPARE_FAILED -> {
                KvResult.CompareFailed failed = (KvResult.CompareFailed) result;
                yield new ApiException(412, "compare_failed", "precondition failed for key "
                        + KeyCodec.display(failed.key()),
                        new JsonObject().put("current", failed.current() == null ? null : KvJson.entry(failed.current())));
            }
            // No key write ends like this (write() answers replays and reused keys; an HTTP transaction has no
            // kept values and no past-revision gets, which only etcd's API sends): a bug, answered, not left hanging.
            case COMPACTED, COMPACT_REFUSED, REPLAYED, IDEMPOTENCY_KEY_REUSED, LEASE_GRANTED, LEASE_EXISTS,
                 LEASE_REVOKED, LEASE_CHECKPOINTED, TXN_KEY_NOT_FOUND, TXN_REVISION_UNAVAILABLE, AUTH_CHANGED ->
                    new ApiException(500, "internal", "internal error");
        };
        if (refusal != null) {
            error(ctx, refusal);
        }
    }

    /** Answers 200 with {@code body}; null, as {@link #writeResult} expects of an answered request. */
    private static ApiException ok(RoutingContext ctx, JsonObject body) {
        json(ctx, 200, body);
        return null;
    }

    /**
     * {@code POST /v1/txn} ({@link TxnJson}): a transaction that writes goes through the log like any
     * write; a read-only one is a linearizable read (a read barrier, then one consistent revision from
     * the history) and takes no log entry; {@code ?consistency=stale} skips the barrier.
     */
    private void txn(RoutingContext ctx) {
        Txn txn = TxnJson.parse(ctx.body().buffer(), new TxnJson.Limits(settings.maxKeyBytes(),
                settings.maxValueBytes(), settings.maxListLimit(), settings.maxTxnOps()));
        AccessControl.requireTxn(ctx, txn);
        if (!txn.readOnly()) {
            write(ctx, new Command.Transaction(txn));
            return;
        }
        afterReadBarrier(ctx, () -> vertx.executeBlocking(() -> stateMachine.readTransaction(txn), false)
                .onComplete(ar -> {
                    if (ar.failed()) {
                        ctx.fail(ar.cause());
                    } else {
                        json(ctx, 200, TxnJson.render(ar.result()));
                    }
                }));
    }

    private void get(RoutingContext ctx) {
        byte[] key = key(ctx);
        AccessControl.requireRead(ctx, KeySelector.key(key), "reading");
        boolean raw = ctx.queryParams().contains("raw");
        Long revision = RequestParams.revision(ctx, "revision", 1);
        afterReadBarrier(ctx, () -> {
            Future<KvEntry> lookup = revision == null ? reads.get(key)
                    : vertx.executeBlocking(() -> stateMachine.getAt(key, revision), false);
            lookup.onComplete(ar -> {
                if (ar.failed()) {
                    ctx.fail(ar.cause());
                    return;
                }
                KvEntry entry = ar.result();
                if (entry == null) {
                    error(ctx, new ApiException(404, "key_not_found", "key not found: " + KeyCodec.display(key)
                            + (revision == null ? "" : " at revision " + revision)));
                } else if (raw) {
                    ctx.response().setStatusCode(200).putHeader("content-type", "application/octet-stream")
                            .putHeader("x-rafty-revision", Long.toString(entry.revision()))
                            .end(Buffer.buffer(entry.value()));
                } else {
                    json(ctx, 200, KvJson.entry(entry));
                }
            });
        });
    }

    /**
     * A page of keys under a prefix, read at one revision: {@code ?revision=R} (a past state, from the
     * history), or the revision the node had applied when it read the page. Passing the first page's
     * {@code revision} with the next pages lists a large prefix without tearing.
     */
    private void list(RoutingContext ctx) {
        byte[] prefix = RequestParams.bytes(ctx, "prefix");
        byte[] after = RequestParams.bytes(ctx, "after");
        int limit = RequestParams.limit(ctx, settings.maxListLimit());
        Long revision = RequestParams.revision(ctx, "revision", 1);
        byte[] from = prefix == null ? new byte[0] : prefix;
        // The whole requested prefix must be readable, not just the keys that happen to exist now.
        AccessControl.requireRead(ctx, KeySelector.prefix(from), "listing");
        afterReadBarrier(ctx, () -> vertx.executeBlocking(() -> revision == null
                ? stateMachine.list(from, after, limit + 1)
                : stateMachine.listAt(from, after, limit + 1, revision), false).onComplete(ar -> {
            if (ar.failed()) {
                ctx.fail(ar.cause());
                return;
            }
            List<KvEntry> found = ar.result().entries();
            JsonArray items = new JsonArray();
            for (int i = 0; i < Math.min(limit, found.size()); i++) {
                items.add(KvJson.entry(found.get(i)));
            }
            json(ctx, 200, new JsonObject().put("items", items).put("more", found.size() > limit)
                    .put("revision", ar.result().revision()));
        }));
    }

    /**
     * {@code POST /v1/compact {"revision":R}}: discards the history before R on every node (a replicated
     * command). 200 with the new compact revision; 410 when R is already compacted; 400 when R is beyond
     * the store's revision.
     */
    private void compact(RoutingContext ctx) {
        JsonObject body;
        try {
            Buffer raw = ctx.body().buffer();
            body = raw == null || raw.length() == 0 ? null : raw.toJsonObject();
        } catch (RuntimeException e) {
            throw ApiException.badRequest("the body must be a JSON object such as {\"revision\":100}");
        }
        if (body == null || !(body.getValue("revision") instanceof Number number) || number.longValue() < 1
                || number.doubleValue() != number.longValue() || body.size() != 1) {
            throw ApiException.badRequest("the body must be {\"revision\":R} with R a positive integer");
        }
        long revision = number.longValue();
        raft.propose(new Command.Compact(revision)).onComplete(ar -> {
            if (ar.failed()) {
                failedOnLeader(ctx, ar.cause(), true);
                return;
            }
            if (ar.result() instanceof KvResult.Compacted compacted) {
                json(ctx, 200, new JsonObject().put("revision", compacted.index())
                        .put("compactRevision", compacted.compactRevision()));
            } else if (ar.result() instanceof KvResult.CompactRefused refused) {
                error(ctx, Failures.toApi(new io.rafty.kv.RevisionUnavailableException(refused.reason(),
                        refused.revision(), refused.compactRevision(), refused.currentRevision())));
            } else {
                ctx.fail(new IllegalStateException("a compaction was answered with " + ar.result()));
            }
        });
    }

    /**
     * Runs {@code read} once it may observe linearizable state: at once for
     * {@code consistency=stale}, or after a ReadIndex round (the leader's own, or one a follower asked
     * the leader for); a read the local node cannot confirm is relayed by forwarding the whole
     * request to the leader from a follower.
     */
    private void afterReadBarrier(RoutingContext ctx, Runnable read) {
        if (RequestParams.stale(ctx)) {
            if (raft.status().fenced()) {
                // Its state stopped moving when storage failed: even a stale read would grow ever staler.
                error(ctx, Failures.toApi(new RequestFailure(RequestFailure.Kind.UNAVAILABLE,
                        "storage failed on this node", 0)));
                return;
            }
            read.run();
            return;
        }
        raft.readBarrier().onComplete(ar -> {
            if (ar.succeeded()) {
                read.run();
            } else {
                failedOnLeader(ctx, ar.cause(), false);
            }
        });
    }

    /** Handles a request the local Raft refused or lost: forward to the leader when it is elsewhere. */
    private void failedOnLeader(RoutingContext ctx, Throwable cause, boolean isWrite) {
        if (cause instanceof RequestFailure failure) {
            if (failure.kind() == RequestFailure.Kind.NO_LEADER && failure.leaderId() != 0
                    && failure.leaderId() != raft.status().id() && !forwarder.wasForwarded(ctx)) {
                forwarder.forward(ctx, failure.leaderId(), isWrite);
                return;
            }
            error(ctx, Failures.toApi(failure));
            return;
        }
        ctx.fail(cause);
    }

    private void forwardOrFail(RoutingContext ctx, NodeStatus s, boolean isWrite) {
        if (s.leaderId() != 0 && s.leaderId() != s.id() && !forwarder.wasForwarded(ctx)) {
            forwarder.forward(ctx, s.leaderId(), isWrite);
        } else {
            error(ctx, Failures.toApi(RequestFailure.noLeader("no leader is known", 0)));
        }
    }

    // ----- responses --------------------------------------------------------------------------

    private void failure(RoutingContext ctx) {
        Throwable cause = ctx.failure();
        if (ctx.response().closed() || cause instanceof IOException) {
            // The client went away mid-request (a reset while the body was uploading, say): nobody is left to
            // answer, and it is not a server fault worth a SEVERE line.
            LOG.log(Level.FINE, () -> "client closed " + ctx.request().method() + " " + ctx.request().path() + ": "
                    + (cause == null ? "connection closed" : cause.getMessage()));
            return;
        }
        if (cause instanceof ApiException api) {
            error(ctx, api);
        } else if (cause instanceof RequestFailure failure) {
            error(ctx, Failures.toApi(failure));
        } else if (cause instanceof io.rafty.kv.RevisionUnavailableException unavailable) {
            error(ctx, Failures.toApi(unavailable));
        } else if (ctx.statusCode() == 413) {
            error(ctx, new ApiException(413, "too_large", "request body exceeds the limit"));
        } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            error(ctx, new ApiException(ctx.statusCode(), "bad_request", "the request could not be processed"));
        } else if (decodingFailed(cause)) {
            // The request stream itself failed: Netty could not decode the body (a chunk size that is not hex,
            // for instance). The client's fault, and the rest of the stream is unreadable.
            ApiException malformed = ApiException.badRequest("malformed request body: " + cause.getMessage());
            ctx.response().setStatusCode(400).putHeader("content-type", JSON).putHeader("connection", "close")
                    .end(malformed.body().toBuffer())
                    .onComplete(ar -> ctx.request().connection().close());
        } else {
            LOG.log(Level.SEVERE, "unexpected failure on " + ctx.request().method() + " " + ctx.request().path(),
                    cause);
            error(ctx, new ApiException(500, "internal", "internal error"));
        }
    }

    /** True when {@code cause} was thrown by Netty's HTTP decoder, i.e. by reading the client's bytes. */
    private static boolean decodingFailed(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            for (StackTraceElement frame : t.getStackTrace()) {
                if (frame.getClassName().startsWith("io.netty.handler.codec.http.HttpObjectDecoder")) {
                    return true;
                }
            }
        }
        return false;
    }

    static void error(RoutingContext ctx, ApiException e) {
        if (ctx.response().ended()) {
            return;
        }
        if (e.status() == 503) {
            ctx.response().putHeader("retry-after", "1");
        }
        json(ctx, e.status(), e.body());
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader("content-type", JSON).end(body.toBuffer());
    }

    static boolean isWriteMethod(HttpMethod method) {
        return method == HttpMethod.PUT || method == HttpMethod.DELETE || method == HttpMethod.POST;
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
