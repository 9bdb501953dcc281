package io.rafty.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * What one kind of HTTP server is sent for an operation on a key, and which answers count as success:
 * the only part of an HTTP bench that differs between targets ({@link HttpSender} sends what it says).
 * Everything else (the closed loops, the key choice, the preload, the histogram, the output) is shared
 * in {@link LoadGenerator}, so the figures of two targets come from the same machinery; the gRPC target
 * has its own {@link EtcdGrpcProtocol} and {@link EtcdGrpcSender} beside the same loops.
 *
 * <p>Every method runs on a generator event loop for every request. Implementations hold only
 * immutable state and allocate no more than the request itself needs.
 */
sealed interface TargetProtocol permits RaftyProtocol, EtcdProtocol {

    /** The protocol of the settings' HTTP target; {@code value} is the bytes every write stores. */
    static TargetProtocol of(BenchSettings settings, byte[] value) {
        return switch (settings.target()) {
            case rafty -> settings.workload() == BenchCommand.Workload.keepalive
                    ? RaftyProtocol.keepalives(settings.keyPrefix())
                    : new RaftyProtocol(settings.keyPrefix(), settings.stale(), value,
                    settings.workload() == BenchCommand.Workload.txn ? settings.keys() : 0);
            case etcd -> new EtcdProtocol(settings.keyPrefix(), settings.stale(), value);
            case etcdGrpc, zookeeper -> throw new IllegalArgumentException("--target " + settings.target()
                    + " is not an HTTP target");
        };
    }

    /** The HTTP method of a read ({@code read}) or a write. */
    HttpMethod method(boolean read);

    /** The request URI (path and query) of a read or a write of key number {@code key}. */
    String uri(int key, boolean read);

    /** The request body of a read or a write of key number {@code key}; null for a request without one. */
    Buffer body(int key, boolean read);

    /** Whether an answer with this status and body (null when empty) is a success. */
    boolean succeeded(int statusCode, Buffer body);

    /** The revision in a successful write's answer, or -1 when the answer carries none this tool reads. */
    default long revision(Buffer body) {
        return -1;
    }

    /** Appends the name of key number {@code key}: the prefix and ten zero-padded digits, {@code bench/0000000042}. */
    static StringBuilder appendKey(StringBuilder out, String keyPrefix, int key) {
        out.append(keyPrefix);
        String digits = Integer.toString(key);
        for (int i = digits.length(); i < 10; i++) {
            out.append('0');
        }
        return out.append(digits);
    }
}
