package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.List;

/**
 * How the clients of one generator event loop send a read or a write of a key to an endpoint: HTTP
 * requests written by a {@link TargetProtocol} ({@link HttpSender}), etcd v3 gRPC calls
 * ({@link EtcdGrpcSender}), or ZooKeeper client calls ({@link ZooKeeperSender}). The closed loops, key choice, preload, warm-up, histogram and output in
 * {@link LoadGenerator} are the same whichever sends, so the figures of two targets come from the same
 * machinery.
 *
 * <p>A sender belongs to one event loop: it is created for that loop's context and {@link #send} is
 * called only on it.
 */
sealed interface Sender permits HttpSender, EtcdGrpcSender, ZooKeeperSender {

    /**
     * The sender of the settings' target for one event loop.
     *
     * @param value   the bytes every write stores
     * @param clients the ids of this loop's clients; client {@code i} talks to endpoint {@code i % endpoints}
     */
    static Sender of(BenchSettings settings, byte[] value, Context context, List<Integer> clients) {
        return switch (settings.target()) {
            case rafty, etcd -> {
                // An HTTP/1.1 pool per endpoint, as large as the loop's clients of that endpoint.
                int[] clientsPerEndpoint = new int[settings.endpoints().size()];
                for (int id : clients) {
                    clientsPerEndpoint[id % clientsPerEndpoint.length]++;
                }
                yield new HttpSender(settings, TargetProtocol.of(settings, value), context, clientsPerEndpoint);
            }
            case etcdGrpc -> new EtcdGrpcSender(settings,
                    new EtcdGrpcProtocol(settings.keyPrefix(), settings.stale(), value), context);
            case zookeeper -> new ZooKeeperSender(settings, value, context, clients);
        };
    }

    /**
     * Prepares the sender before any {@link #send}, on the generator's main thread: connects what must be
     * connected first and creates what the requests need (ZooKeeper's sessions and znodes). The future
     * fails with the reason the run cannot start.
     */
    default Future<Void> open() {
        return Future.succeededFuture();
    }

    /**
     * Sends, for client number {@code client}, a read ({@code read}) or a write of key number {@code key}
     * to endpoint number {@code endpoint}. The future completes with the outcome of an answer, or fails
     * when there was none (a refused connection, a timeout); {@code revision} asks for a write's revision
     * in the outcome.
     */
    Future<Outcome> send(int client, int endpoint, int key, boolean read, boolean revision);

    /**
     * Releases what the generator's Vert.x does not close itself (ZooKeeper's sessions), on the main
     * thread once the clients have stopped.
     */
    default void close() {
    }
}
