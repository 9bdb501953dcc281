package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request whose protobuf does not parse is a client's mistake: it gets an error status, the server
 * goes on answering, and the log gets one short line (rate-limited), not a stack trace per request that
 * anyone able to reach the port could flood it with.
 */
class EtcdMalformedRequestTest {

    @TempDir
    Path root;

    @Test
    void malformedProtobufIsAnsweredWithAStatusAndLoggedAsOneLineWithoutAStackTrace() throws Exception {
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger rootLogger = Logger.getLogger("");
        rootLogger.addHandler(capture);
        try (EtcdCluster cluster = new EtcdCluster(root, 1)) {
            cluster.awaitLeader();
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.nodes.get(1).etcdPort())
                    .usePlaintext().build();
            try {
                MethodDescriptor<byte[], byte[]> range = MethodDescriptor.<byte[], byte[]>newBuilder()
                        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("etcdserverpb.KV/Range")
                        .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
                for (int i = 0; i < 3; i++) {
                    // A length-delimited field that claims 127 bytes and has one.
                    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> ClientCalls
                            .blockingUnaryCall(channel, range, CallOptions.DEFAULT.withDeadlineAfter(30,
                                    TimeUnit.SECONDS), new byte[] {0x0a, 0x7f, 0x01}));
                    assertEquals(Status.Code.INTERNAL, refused.getStatus().getCode(), refused.toString());
                }
                KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
                kv.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("alive"))
                        .setValue(ByteString.copyFromUtf8("yes")).build());
                assertEquals("yes", kv.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("alive"))
                        .build()).getKvs(0).getValue().toStringUtf8(), "the server answers after the bad requests");
            } finally {
                channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            }
        } finally {
            rootLogger.removeHandler(capture);
        }
        assertFalse(records.stream().anyMatch(r -> r.getThrown() != null && r.getLevel().intValue()
                >= Level.WARNING.intValue()), () -> "no stack trace logged: " + records.stream()
                .filter(r -> r.getThrown() != null).map(r -> r.getLoggerName() + " " + r.getThrown()).toList());
        List<String> refusals = records.stream().map(LogRecord::getMessage)
                .filter(m -> m != null && m.startsWith("etcd API: refused")).toList();
        assertEquals(1, refusals.size(), "one line for the three bad requests within the interval: " + refusals);
        assertTrue(refusals.get(0).contains("Invalid protobuf byte sequence"), refusals.get(0));
    }

    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
