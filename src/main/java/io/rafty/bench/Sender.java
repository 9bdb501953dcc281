package io.rafty.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;

/**
 * How the clients of one generator event loop send a read or a write of a key to an endpoint: HTTP
 * requests written by a {@link TargetProtocol} ({@link HttpSender}), or etcd v3 gRPC calls
 * ({@link EtcdGrpcSender}). The closed loops, key choice, preload, warm-up, histogram and output in
 * {@link LoadGenerator} are the same whichever sends, so the figures of two targets come from the same
 * machinery.
 *
 * <p>A sender belongs to one event loop: it is created for that loop's context and called only on it.
 */
sealed interface Sender permits HttpSender, EtcdGrpcSender {

    /**
     * The sender of the settings' target for one event loop.
     *
     * @param value              the bytes every write stores
     * @param clientsPerEndpoint how many of this loop's clients talk to each endpoint (an HTTP/1.1 pool's size)
     */
    static Sender of(BenchSettings settings, byte[] value, Context context, int[] clientsPerEndpoint) {
        return settings.target() == BenchCommand.Target.etcdGrpc
                ? new EtcdGrpcSender(settings, new EtcdGrpcProtocol(settings.keyPrefix(), settings.stale(), value),
                context)
                : new HttpSender(settings, TargetProtocol.of(settings, value), context, clientsPerEndpoint);
    }

    /**
     * Sends a read ({@code read}) or a write of key number {@code key} to endpoint number {@code endpoint}.
     * The future completes with the outcome of an answer, or fails when there was none (a refused
     * connection, a timeout); {@code revision} asks for a write's revision in the outcome.
     */
    Future<Outcome> send(int endpoint, int key, boolean read, boolean revision);
}
