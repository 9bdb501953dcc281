package io.rafty.etcd;

import io.grpc.BindableService;
import io.grpc.StatusRuntimeException;
import io.rafty.config.NodeConfig;
import io.rafty.security.NodeTls;
import io.rafty.transport.CoalescedFlushes;
import io.rafty.transport.QuietConnections;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpcio.server.GrpcIoServer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * etcd's v3 gRPC API (DESIGN §5) on {@code etcdPort}: an HTTP/2 server (cleartext, h2c with prior
 * knowledge, as etcd clients speak it without TLS) on the node's Vert.x, whose requests Vert.x's
 * {@link GrpcIoServer} hands to grpc-java services generated from etcd's own protos (jetcd-grpc),
 * so method paths are etcd's ({@code /etcdserverpb.KV/Range}, …). Every call completes from the
 * node's futures; nothing here blocks the event loop.
 *
 * <p>Messages above {@code etcdMaxMessageBytes} are refused by the gRPC layer with RESOURCE_EXHAUSTED;
 * an unknown method gets UNIMPLEMENTED. A request whose protobuf does not parse is answered INTERNAL
 * ("Invalid protobuf byte sequence", as grpc-java's servers answer it) by the gRPC bridge, which then
 * reports the parse failure (and its own second attempt to close the call) as an uncaught exception on
 * this verticle's context; {@link #onUncaught} turns those into one rate-limited line instead of two
 * stack traces per bad request, and leaves every other uncaught exception as loud as Vert.x makes it.
 */
public final class EtcdServer extends VerticleBase {

    /** etcd's own progress-notification interval, for watches when {@code watchProgressMs} is 0 (never). */
    static final int ETCD_PROGRESS_INTERVAL_MS = 10 * 60 * 1000;
    /** At most one log line per this interval about requests the gRPC layer could not decode. */
    static final long REFUSED_LOG_INTERVAL_MS = 60_000;

    private static final Logger LOG = Logger.getLogger(EtcdServer.class.getName());
    private final AtomicLong lastRefusedLog = new AtomicLong();
    private final AtomicLong refusedSinceLog = new AtomicLong();

    private final EtcdNode node;
    private HttpServer server;

    private final io.rafty.security.Auth auth;

    public EtcdServer(EtcdNode node) {
        this(node, authOf(node));
    }

    /** As the other constructor, with the node's client auth (shared with the HTTP API: one login throttle). */
    public EtcdServer(EtcdNode node, io.rafty.security.Auth auth) {
        this.node = node;
        this.auth = auth;
    }

    /** Client auth as {@code node}'s configuration and replicated table say. */
    static io.rafty.security.Auth authOf(EtcdNode node) {
        NodeConfig config = node.config();
        return new io.rafty.security.Auth(new io.rafty.security.Auth.Settings(config.auth(),
                config.authRootPassword() == null ? null : config.authRootPassword().reveal(), config.authBcryptCost(),
                config.authTokenTtlS(), config.authMetricsOpen(), config.authHeaderBytesMax()),
                node.stateMachine()::authState, System::currentTimeMillis);
    }

    /**
     * The services this server registers. To add one, construct it here from {@code node}.
     */
    static List<BindableService> services(EtcdNode node) {
        return services(node, authOf(node));
    }

    /** The services, the Auth service (Authenticate) among them. */
    static List<BindableService> services(EtcdNode node, io.rafty.security.Auth auth) {
        NodeConfig config = node.config();
        // etcd sends progress notifications every 10 minutes; Rafty's watchProgressMs of 0 means "never" for
        // SSE, and an etcd client asking for progress_notify expects some, so etcd's interval stands in.
        int progressMs = config.watchProgressMs() > 0 ? config.watchProgressMs() : ETCD_PROGRESS_INTERVAL_MS;
        EtcdLeaseService leases = new EtcdLeaseService(node.vertx(), node.raft(), node.stateMachine(), config.id(),
                node.addresses(), new EtcdLeaseService.Settings(config.maxLeases(), config.maxLeaseTtlSeconds(),
                        node.minLeaseTtlSeconds(), config.maxListLimit(), config.etcdMaxKeepAlivesInFlight(),
                        config.clientRequestTimeoutMs(), config.etcdMaxMessageBytes()), NodeTls.of(config));
        // The Lease service registers a definition of its own: the generated methods and LeaseLeases.
        BindableService leasesWithList = leases::withLeaseLeases;
        return List.of(
                new EtcdKvService(node),
                new EtcdMaintenanceService(node),
                new EtcdClusterService(node),
                new EtcdWatchService(node.raft(), config.id(), new EtcdWatchService.Settings(progressMs)),
                leasesWithList,
                new EtcdAuthService(node, auth));
    }

    @Override
    public Future<?> start() {
        context.exceptionHandler(this::onUncaught);
        GrpcIoServer grpc = GrpcIoServer.server(vertx,
                new GrpcServerOptions().setMaxMessageSize(node.config().etcdMaxMessageBytes()));
        for (BindableService service : services(node, auth)) {
            grpc.addService(gated(service));
        }
        // With tlsCert: TLS, HTTP/2 by ALPN (h2 only), client certificates from tlsCa with tlsClientAuth.
        HttpServerOptions options = NodeTls.of(node.config()).etcdPort(new HttpServerOptions())
                .setHost(node.config().host())
                .setPort(node.config().etcdPort())
                .setHttp2ClearTextEnabled(true)
                // No idle timeout: a watch stream may stay quiet for hours, and etcd closes no idle connection.
                .setTcpNoDelay(true);
        server = vertx.createHttpServer(options)
                .connectionHandler(connection -> {
                    QuietConnections.quiet(connection, "etcd client");
                    if (CoalescedFlushes.ETCD) {
                        CoalescedFlushes.install(connection);
                    }
                })
                .requestHandler(grpc);
        return server.listen();
    }

    /**
     * {@code service} behind the auth gate (docs/SECURITY.md "The etcd port"). Without auth every call gets the
     * grant {@link EtcdAuth#ALL}. With auth, {@code Auth/Authenticate} is the one open method; every other call
     * needs a Rafty token in the {@code token} metadata (what etcd clients send after Authenticate): none is
     * UNAUTHENTICATED "etcdserver: user name is empty", a bad, expired or revoked one UNAUTHENTICATED
     * "etcdserver: invalid auth token" (on which etcd clients log in again). KV and Watch check each request's
     * keys themselves ({@link EtcdAuth}); every other service — Lease, Cluster, Maintenance, the rest of Auth —
     * needs the role root (PERMISSION_DENIED "etcdserver: permission denied"). A refused call is closed at its
     * first message or half-close, before any handler sees it.
     */
    private BindableService gated(BindableService service) {
        io.grpc.ServerInterceptor gate = new io.grpc.ServerInterceptor() {
            @Override
            public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call,
                    io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, R> next) {
                io.grpc.MethodDescriptor<Q, R> method = call.getMethodDescriptor();
                if (!auth.enforced() || AUTHENTICATE.equals(method.getFullMethodName())) {
                    return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(EtcdAuth.GRANT,
                            EtcdAuth.ALL), call, headers, next);
                }
                String token = headers.get(TOKEN_KEY);
                if (token == null) {
                    return refused(call, io.grpc.Status.UNAUTHENTICATED.withDescription("etcdserver: user name is empty"));
                }
                io.rafty.security.Auth.Principal principal;
                try {
                    principal = auth.principal(token);
                } catch (io.rafty.security.Auth.Unauthenticated e) {
                    return refused(call, io.grpc.Status.UNAUTHENTICATED.withDescription("etcdserver: invalid auth token"));
                }
                if (!KEY_SERVICES.contains(method.getServiceName()) && !principal.root()) {
                    return refused(call, io.grpc.Status.PERMISSION_DENIED.withDescription(EtcdAuth.PERMISSION_DENIED));
                }
                return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(EtcdAuth.GRANT,
                        new EtcdAuth.Grant(principal)), call, headers, next);
            }
        };
        return () -> io.grpc.ServerInterceptors.intercept(service, gate);
    }

    /** The one method open with auth on: logging in. */
    static final String AUTHENTICATE = "etcdserverpb.Auth/Authenticate";
    /** The services that check each request's keys; the others need root. */
    static final java.util.Set<String> KEY_SERVICES = java.util.Set.of("etcdserverpb.KV", "etcdserverpb.Watch");

    /**
     * A listener that closes the call with {@code status} at its first message or half-close — not inside
     * startCall, where the Vert.x bridge is still setting the call up (a close there made it fail the stream a
     * second time, logged SEVERE).
     */
    private static <Q, R> io.grpc.ServerCall.Listener<Q> refused(io.grpc.ServerCall<Q, R> call, io.grpc.Status status) {
        call.request(1);
        return new io.grpc.ServerCall.Listener<>() {
            private boolean closed;

            private void refuse() {
                if (!closed) {
                    closed = true;
                    call.close(status, new io.grpc.Metadata());
                }
            }

            @Override
            public void onMessage(Q message) {
                refuse();
            }

            @Override
            public void onHalfClose() {
                refuse();
            }
        };
    }

    /** The metadata key etcd clients send their token in. */
    static final io.grpc.Metadata.Key<String> TOKEN_KEY = io.grpc.Metadata.Key.of("token",
            io.grpc.Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    /**
     * An exception no handler caught on this server's context. A request the gRPC bridge could not decode
     * (already answered with an error status by then) is logged as one line at most every
     * {@link #REFUSED_LOG_INTERVAL_MS}, with how many there were; anything else keeps its stack trace.
     */
    void onUncaught(Throwable failure) {
        if (isSecondClose(failure)) {
            return;
        }
        if (!isUndecodable(failure)) {
            LOG.log(Level.SEVERE, "etcd API: unhandled exception", failure);
            return;
        }
        long refused = refusedSinceLog.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastRefusedLog.get();
        if (now - last >= REFUSED_LOG_INTERVAL_MS && lastRefusedLog.compareAndSet(last, now)) {
            refusedSinceLog.addAndGet(-refused);
            LOG.info("etcd API: refused " + refused + " request(s) the gRPC layer could not decode since the last "
                    + "such line (e.g. " + oneLine(failure) + ")");
        }
    }

    /** The marshaller's status exception for a request it could not parse (the call is answered INTERNAL). */
    static boolean isUndecodable(Throwable failure) {
        return failure instanceof StatusRuntimeException && thrownFrom(failure, "io.grpc.protobuf.lite.ProtoLiteUtils");
    }

    /** The bridge closing a call it has already closed with an error status: nothing left to tell anyone. */
    static boolean isSecondClose(Throwable failure) {
        return failure instanceof IllegalStateException && "Trailers already sent".equals(failure.getMessage())
                && thrownFrom(failure, "io.vertx.grpcio.server.impl.GrpcIoServiceBridgeImpl");
    }

    private static boolean thrownFrom(Throwable failure, String classPrefix) {
        for (StackTraceElement frame : failure.getStackTrace()) {
            if (frame.getClassName().startsWith(classPrefix)) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(Throwable failure) {
        String text = String.valueOf(failure.getMessage());
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    /** The port actually bound. */
    public int actualPort() {
        return server.actualPort();
    }
}
