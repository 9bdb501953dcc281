package io.rafty.etcd;

import io.grpc.BindableService;
import io.rafty.config.NodeConfig;
import io.rafty.transport.QuietConnections;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpcio.server.GrpcIoServer;
import java.util.List;

/**
 * etcd's v3 gRPC API (DESIGN §5) on {@code etcdPort}: an HTTP/2 server (cleartext, h2c with prior
 * knowledge, as etcd clients speak it without TLS) on the node's Vert.x, whose requests Vert.x's
 * {@link GrpcIoServer} hands to grpc-java services generated from etcd's own protos (jetcd-grpc),
 * so method paths are etcd's ({@code /etcdserverpb.KV/Range}, …). Every call completes from the
 * node's futures; nothing here blocks the event loop.
 *
 * <p>Messages above {@code etcdMaxMessageBytes} are refused by the gRPC layer with RESOURCE_EXHAUSTED;
 * an unknown method gets UNIMPLEMENTED.
 */
public final class EtcdServer extends VerticleBase {

    /** etcd's own progress-notification interval, for watches when {@code watchProgressMs} is 0 (never). */
    static final int ETCD_PROGRESS_INTERVAL_MS = 10 * 60 * 1000;

    private final EtcdNode node;
    private HttpServer server;

    public EtcdServer(EtcdNode node) {
        this.node = node;
    }

    /**
     * The services this server registers. To add one, construct it here from {@code node}.
     */
    static List<BindableService> services(EtcdNode node) {
        NodeConfig config = node.config();
        // etcd sends progress notifications every 10 minutes; Rafty's watchProgressMs of 0 means "never" for
        // SSE, and an etcd client asking for progress_notify expects some, so etcd's interval stands in.
        int progressMs = config.watchProgressMs() > 0 ? config.watchProgressMs() : ETCD_PROGRESS_INTERVAL_MS;
        EtcdLeaseService leases = new EtcdLeaseService(node.vertx(), node.raft(), node.stateMachine(), config.id(),
                node.addresses(), new EtcdLeaseService.Settings(config.maxLeases(), config.maxLeaseTtlSeconds(),
                        node.minLeaseTtlSeconds(), config.maxListLimit(), config.etcdMaxKeepAlivesInFlight(),
                        config.clientRequestTimeoutMs(), config.etcdMaxMessageBytes()));
        // The Lease service registers a definition of its own: the generated methods and LeaseLeases.
        BindableService leasesWithList = leases::withLeaseLeases;
        return List.of(
                new EtcdKvService(node),
                new EtcdMaintenanceService(node),
                new EtcdClusterService(node),
                new EtcdWatchService(node.raft(), config.id(), new EtcdWatchService.Settings(progressMs)),
                leasesWithList);
    }

    @Override
    public Future<?> start() {
        GrpcIoServer grpc = GrpcIoServer.server(vertx,
                new GrpcServerOptions().setMaxMessageSize(node.config().etcdMaxMessageBytes()));
        for (BindableService service : services(node)) {
            grpc.addService(service);
        }
        HttpServerOptions options = new HttpServerOptions()
                .setHost(node.config().host())
                .setPort(node.config().etcdPort())
                .setHttp2ClearTextEnabled(true)
                // No idle timeout: a watch stream may stay quiet for hours, and etcd closes no idle connection.
                .setTcpNoDelay(true);
        server = vertx.createHttpServer(options)
                .connectionHandler(connection -> QuietConnections.quiet(connection, "etcd client"))
                .requestHandler(grpc);
        return server.listen();
    }

    @Override
    public Future<?> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    /** The port actually bound. */
    public int actualPort() {
        return server.actualPort();
    }
}
