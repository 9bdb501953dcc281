package io.rafty.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.nio.charset.StandardCharsets;

/**
 * What the {@code etcd-grpc} target sends: etcd v3's {@code etcdserverpb.KV/Put} with the key and the
 * value, and {@code etcdserverpb.KV/Range} of the one key, linearizable unless the run asks for stale
 * reads, which set {@code serializable} (answered by the member itself, like Rafty's stale reads). The
 * messages are jetcd-grpc's, generated from etcd's own protos, so the method paths and fields are
 * etcd's and the same calls go to etcd and to Rafty's etcd port.
 *
 * <p>Success is status OK, whatever the answer holds: a range of an absent key is a success with no
 * {@code kvs}, as through the gateway. A failure's kind is the status and its message, {@code
 * "UNAVAILABLE: etcdserver: leader changed (put)"}.
 */
final class EtcdGrpcProtocol {

    static final ServiceName KV = ServiceName.create("etcdserverpb", "KV");
    static final ServiceMethod<PutResponse, PutRequest> PUT = ServiceMethod.client(KV, "Put",
            GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(PutResponse.getDefaultInstance()));
    static final ServiceMethod<RangeResponse, RangeRequest> RANGE = ServiceMethod.client(KV, "Range",
            GrpcMessageEncoder.encoder(), GrpcMessageDecoder.decoder(RangeResponse.getDefaultInstance()));

    private final String keyPrefix;
    private final boolean serializable;
    /** The value of every write, copied once: a ByteString is immutable, so all calls share it. */
    private final ByteString value;

    EtcdGrpcProtocol(String keyPrefix, boolean stale, byte[] value) {
        this.keyPrefix = keyPrefix;
        this.serializable = stale;
        this.value = ByteString.copyFrom(value);
    }

    PutRequest put(int key) {
        return PutRequest.newBuilder().setKey(key(key)).setValue(value).build();
    }

    RangeRequest range(int key) {
        return RangeRequest.newBuilder().setKey(key(key)).setSerializable(serializable).build();
    }

    private ByteString key(int key) {
        return ByteString.copyFrom(TargetProtocol.appendKey(new StringBuilder(10 + keyPrefix.length()), keyPrefix, key)
                .toString(), StandardCharsets.US_ASCII);
    }

    /**
     * The kind of a call that ended with a status other than OK: {@code "timeout"} for DEADLINE_EXCEEDED
     * (the per-request timeout, as for HTTP), else the status and its message.
     */
    static String errorKind(GrpcStatus status, String message, boolean read) {
        if (status == GrpcStatus.DEADLINE_EXCEEDED) {
            return "timeout";
        }
        String detail = message == null || message.isEmpty() ? "" : ": " + Outcome.shorten(message);
        return status.name() + detail + (read ? " (get)" : " (put)");
    }
}
