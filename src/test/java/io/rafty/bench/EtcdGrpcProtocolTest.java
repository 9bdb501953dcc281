package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.ResponseHeader;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What the etcd-grpc target sends, how its answers become outcomes, and the outcomes of the HTTP targets. */
class EtcdGrpcProtocolTest {

    private static final byte[] VALUE = "hello, grpc".getBytes(StandardCharsets.US_ASCII);

    @Test
    void callsGoToEtcdsOwnMethodPaths() {
        assertEquals("etcdserverpb.KV/Put", EtcdGrpcProtocol.PUT.fullMethodName());
        assertEquals("etcdserverpb.KV/Range", EtcdGrpcProtocol.RANGE.fullMethodName());
    }

    @Test
    void aPutCarriesTheKeyAndTheValue() {
        PutRequest put = new EtcdGrpcProtocol("bench/", false, VALUE).put(42);
        assertEquals("bench/0000000042", put.getKey().toString(StandardCharsets.US_ASCII));
        assertArrayEquals(VALUE, put.getValue().toByteArray());
        assertEquals(0, put.getLease());
        assertFalse(put.getPrevKv(), "no previous value is asked for: etcd would read it on every write");
    }

    @Test
    void aRangeIsOfOneKeyAndLinearizableUnlessStale() {
        RangeRequest linearizable = new EtcdGrpcProtocol("bench/", false, VALUE).range(7);
        assertEquals("bench/0000000007", linearizable.getKey().toString(StandardCharsets.US_ASCII));
        assertTrue(linearizable.getRangeEnd().isEmpty(), "one key, not a range");
        assertFalse(linearizable.getSerializable());
        RangeRequest stale = new EtcdGrpcProtocol("bench/", true, VALUE).range(1_234_567_890);
        assertTrue(stale.getSerializable(), "--stale is a serializable range");
        assertEquals("bench/1234567890", stale.getKey().toString(StandardCharsets.US_ASCII));
    }

    @Test
    void theMessagesSurviveTheWireCodecs() throws Exception {
        PutRequest put = new EtcdGrpcProtocol("k/", false, VALUE).put(3);
        GrpcMessage encoded = EtcdGrpcProtocol.PUT.encoder().encode(put, WireFormat.PROTOBUF);
        assertEquals(put, PutRequest.parseFrom(encoded.payload().getBytes()));
        PutResponse answer = PutResponse.newBuilder().setHeader(ResponseHeader.newBuilder().setRevision(99)).build();
        PutResponse decoded = EtcdGrpcProtocol.PUT.decoder().decode(GrpcMessage.message("identity",
                Buffer.buffer(answer.toByteArray())));
        assertEquals(99, decoded.getHeader().getRevision());
    }

    @Test
    void aStatusBecomesAnErrorKindWithItsMessage() {
        assertEquals("UNAVAILABLE: etcdserver: leader changed (put)",
                EtcdGrpcProtocol.errorKind(GrpcStatus.UNAVAILABLE, "etcdserver: leader changed", false));
        assertEquals("INVALID_ARGUMENT (get)", EtcdGrpcProtocol.errorKind(GrpcStatus.INVALID_ARGUMENT, null, true));
        assertEquals("INTERNAL (get)", EtcdGrpcProtocol.errorKind(GrpcStatus.INTERNAL, "", true));
        assertEquals("timeout", EtcdGrpcProtocol.errorKind(GrpcStatus.DEADLINE_EXCEEDED, "deadline exceeded", true),
                "a deadline is the per-request timeout, counted as for HTTP");
        String kind = EtcdGrpcProtocol.errorKind(GrpcStatus.UNKNOWN, "x".repeat(500), false);
        assertEquals("UNKNOWN: " + "x".repeat(Outcome.MAX_DETAIL_CHARS) + " (put)", kind, "kinds stay short and few");
    }

    @Test
    void httpAnswersBecomeOutcomes() {
        RaftyProtocol rafty = new RaftyProtocol("bench/", false, VALUE, 0);
        Buffer written = Buffer.buffer("{\"key\":\"bench/0000000001\",\"revision\":17}");
        assertEquals(17, HttpSender.outcome(rafty, 200, written, false, true).revision());
        assertSame(Outcome.OK, HttpSender.outcome(rafty, 200, written, false, false), "no revision unless asked");
        assertEquals("503 no_leader (put)",
                HttpSender.outcome(rafty, 503, Buffer.buffer("{\"error\":\"no_leader\"}"), false, false).error());
        EtcdProtocol etcd = new EtcdProtocol("bench/", false, VALUE);
        assertEquals(-1, HttpSender.outcome(etcd, 200, Buffer.buffer("{\"header\":{}}"), false, true).revision(),
                "the gateway's revision is not read");
        assertEquals("200 unexpected_body (get)", HttpSender.outcome(etcd, 200, Buffer.buffer("<html>"), true, false)
                .error());
    }

    @Test
    void aFailureWithoutAnAnswerIsNamedByItsCause() {
        assertEquals("timeout", Outcome.kindOf(new TimeoutException("10000ms")));
        assertEquals("IllegalStateException: closed", Outcome.kindOf(new IllegalStateException("closed")));
        assertEquals("IllegalStateException", Outcome.kindOf(new IllegalStateException()));
        assertNull(Outcome.ok(-1).error());
        assertSame(Outcome.OK, Outcome.ok(-1));
    }

    @Test
    void theTargetPicksTheSender() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            assertInstanceOf(EtcdGrpcSender.class, Sender.of(settings("--target", "etcd-grpc"), VALUE,
                    vertx.getOrCreateContext(), java.util.List.of(0)));
            assertInstanceOf(HttpSender.class, Sender.of(settings("--target", "etcd"), VALUE,
                    vertx.getOrCreateContext(), java.util.List.of(0)));
            assertInstanceOf(HttpSender.class, Sender.of(settings(), VALUE, vertx.getOrCreateContext(), java.util.List.of(0)));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static BenchSettings settings(String... extra) {
        BenchCommand command = new BenchCommand();
        String[] args = new String[extra.length + 2];
        args[0] = "--endpoints";
        args[1] = "http://127.0.0.1:2379";
        System.arraycopy(extra, 0, args, 2, extra.length);
        new CommandLine(command).parseArgs(args);
        return command.validate();
    }
}
