package io.rafty.bench;

import io.etcd.jetcd.api.PutResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcErrorException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * etcd v3 gRPC calls ({@link EtcdGrpcProtocol}) through Vert.x's own gRPC client, on the loop's event
 * loop and without blocking: the gRPC way, one HTTP/2 connection per endpoint for the loop's clients,
 * each call its own stream on it (a generator with two event loops holds two connections to each
 * endpoint). The per-request timeout is the call's deadline, sent to the server as {@code grpc-timeout}
 * and enforced by the client too.
 */
final class EtcdGrpcSender implements Sender {

    /** Room beside one value in an answer: the header, the key and the protobuf framing. */
    static final int ANSWER_OVERHEAD_BYTES = 64 * 1024;

    private final EtcdGrpcProtocol protocol;
    private final List<SocketAddress> addresses;
    private final GrpcClient client;

    EtcdGrpcSender(BenchSettings settings, EtcdGrpcProtocol protocol, Context context) {
        this.protocol = protocol;
        this.addresses = settings.endpoints().stream()
                .map((URI uri) -> SocketAddress.inetSocketAddress(uri.getPort(), uri.getHost())).toList();
        long timeoutMs = Math.min(Integer.MAX_VALUE, settings.timeout().toMillis());
        GrpcClientOptions grpc = new GrpcClientOptions()
                .setScheduleDeadlineAutomatically(true)
                .setTimeout((int) timeoutMs)
                .setTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxMessageSize(Math.max(GrpcClientOptions.DEFAULT_MAX_MESSAGE_SIZE,
                        (long) settings.valueBytes() + ANSWER_OVERHEAD_BYTES));
        // HTTP/2 with prior knowledge, as gRPC clients speak to a plaintext port.
        HttpClientOptions http = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setTcpNoDelay(true).setKeepAlive(true).setIdleTimeout(0);
        this.client = GrpcClient.builder(context.owner()).with(grpc).with(http).build();
    }

    @Override
    public Future<Outcome> send(int client, int endpoint, int key, boolean read, boolean revision) {
        SocketAddress address = addresses.get(endpoint);
        if (read) {
            return call(address, EtcdGrpcProtocol.RANGE, protocol.range(key), true)
                    .map(answer -> Outcome.OK)
                    .recover(cause -> failure(cause, true));
        }
        return call(address, EtcdGrpcProtocol.PUT, protocol.put(key), false)
                .map((PutResponse answer) -> revision ? Outcome.ok(answer.getHeader().getRevision()) : Outcome.OK)
                .recover(cause -> failure(cause, false));
    }

    /** One unary call: its answer, or a failure that {@link #failure} turns into an outcome where it can. */
    private <Q, A> Future<A> call(SocketAddress address, ServiceMethod<A, Q> method, Q message, boolean read) {
        return client.request(address, method)
                .compose(request -> request.send(message))
                .compose(response -> response.last().recover(cause -> Future.failedFuture(statusOf(response, cause))));
    }

    /** A status other than OK as a {@link CallStatus}, so that its message reaches the error's kind. */
    private static Throwable statusOf(GrpcClientResponse<?, ?> response, Throwable cause) {
        GrpcStatus status = response.status();
        return status == null || status == GrpcStatus.OK ? cause : new CallStatus(status, response.statusMessage());
    }

    /** A call that ended with a status is an answer (an error outcome); anything else stays a failure. */
    private static Future<Outcome> failure(Throwable cause, boolean read) {
        if (cause instanceof CallStatus status) {
            return Future.succeededFuture(Outcome.failed(EtcdGrpcProtocol.errorKind(status.status, status.message, read)));
        }
        if (cause instanceof GrpcErrorException error) {
            return Future.succeededFuture(Outcome.failed(EtcdGrpcProtocol.errorKind(error.status(), null, read)));
        }
        return Future.failedFuture(cause);
    }

    /** The status and message of a call that the server ended with a status other than OK. */
    private static final class CallStatus extends RuntimeException {
        final GrpcStatus status;
        final String message;

        CallStatus(GrpcStatus status, String message) {
            super(status.name(), null, false, false);
            this.status = status;
            this.message = message;
        }
    }
}
