package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import com.google.protobuf.Empty;
import io.etcd.jetcd.api.ResponseHeader;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** etcd's Lease service against a real single-voter node, through jetcd and through the raw stub. */
class EtcdLeaseServiceTest {

    private static final int WAIT_SECONDS = 10;

    @TempDir
    static Path dir;
    static EtcdNodes cluster;
    static Client client;

    @BeforeAll
    static void start() throws Exception {
        cluster = new EtcdNodes(dir, 1);
        client = cluster.client(1);
    }

    @AfterAll
    static void stop() throws Exception {
        cluster.close();
    }

    private static String text(ByteSequence bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The gRPC status a failed jetcd call carries. */
    private static Status statusOf(ExecutionException failure) {
        Throwable cause = failure;
        while (cause != null) {
            if (cause instanceof StatusRuntimeException status) {
                return status.getStatus();
            }
            cause = cause.getCause();
        }
        return Status.fromThrowable(failure);
    }

    @Test
    void grantKeepAliveTimeToLiveWithKeysAndRevokeDeletesTheKeys() throws Exception {
        LeaseGrantResponse granted = client.getLeaseClient().grant(60).get(WAIT_SECONDS, TimeUnit.SECONDS);
        long id = granted.getID();
        assertTrue(id > 0);
        assertEquals(60, granted.getTTL());
        cluster.put(1, "lk/a", "1", id);
        cluster.put(1, "lk/b", "2", id);

        assertEquals(60, client.getLeaseClient().keepAliveOnce(id).get(WAIT_SECONDS, TimeUnit.SECONDS).getTTL());
        LeaseTimeToLiveResponse ttl = client.getLeaseClient().timeToLive(id, LeaseOption.builder().withAttachedKeys()
                .build()).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertEquals(60, ttl.getGrantedTTL());
        assertTrue(ttl.getTTL() > 0 && ttl.getTTL() <= 60, "remaining " + ttl.getTTL());
        assertEquals(List.of("lk/a", "lk/b"), ttl.getKeys().stream().map(EtcdLeaseServiceTest::text).sorted().toList());

        client.getLeaseClient().revoke(id).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(cluster.node(1).stateMachine().leaseKeys(id, 10).isEmpty(), "the revoke deleted the keys");
        assertEquals(-1, client.getLeaseClient().timeToLive(id, LeaseOption.DEFAULT).get(WAIT_SECONDS, TimeUnit.SECONDS)
                .getTTL(), "as etcd: an unknown lease has TTL -1");

        ExecutionException again = assertThrows(ExecutionException.class,
                () -> client.getLeaseClient().revoke(id).get(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(Status.Code.NOT_FOUND, statusOf(again).getCode());
        assertEquals("etcdserver: requested lease not found", statusOf(again).getDescription());
    }

    @Test
    void grantsTakeTheClientsIdRaiseShortTtlsAndRefuseLongOnesAndDuplicates() throws Exception {
        LeaseGrpc.LeaseBlockingStub stub = LeaseGrpc.newBlockingStub(cluster.channel(1));
        var chosen = stub.leaseGrant(io.etcd.jetcd.api.LeaseGrantRequest.newBuilder().setID(7777).setTTL(0).build());
        assertEquals(7777, chosen.getID());
        assertEquals(EtcdNodes.MIN_TTL_SECONDS, chosen.getTTL(), "a TTL below the minimum is raised to it, as etcd");
        assertTrue(chosen.getHeader().getRevision() > 0);
        assertEquals(1, chosen.getHeader().getMemberId());

        StatusRuntimeException duplicate = assertThrows(StatusRuntimeException.class, () -> stub.leaseGrant(
                io.etcd.jetcd.api.LeaseGrantRequest.newBuilder().setID(7777).setTTL(10).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, duplicate.getStatus().getCode());
        assertEquals("etcdserver: lease already exists", duplicate.getStatus().getDescription());

        StatusRuntimeException tooLong = assertThrows(StatusRuntimeException.class, () -> stub.leaseGrant(
                io.etcd.jetcd.api.LeaseGrantRequest.newBuilder().setTTL(EtcdNodes.MAX_TTL_SECONDS + 1).build()));
        assertEquals(Status.Code.OUT_OF_RANGE, tooLong.getStatus().getCode());
        assertEquals("etcdserver: too large lease TTL", tooLong.getStatus().getDescription());
    }

    @Test
    void aKeepAliveStreamAnswersEachRequestAndTtlZeroForAnUnknownLease() throws Exception {
        long id = client.getLeaseClient().grant(30).get(WAIT_SECONDS, TimeUnit.SECONDS).getID();
        BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
        StreamObserver<LeaseKeepAliveRequest> requests = LeaseGrpc.newStub(cluster.channel(1))
                .leaseKeepAlive(new StreamObserver<>() {
                    @Override
                    public void onNext(LeaseKeepAliveResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answers.add(t);
                    }

                    @Override
                    public void onCompleted() {
                        answers.add("completed");
                    }
                });
        requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
        LeaseKeepAliveResponse known = (LeaseKeepAliveResponse) answers.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(known);
        assertEquals(id, known.getID());
        assertEquals(30, known.getTTL());
        requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(987654321).build());
        LeaseKeepAliveResponse unknown = (LeaseKeepAliveResponse) answers.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(unknown);
        assertEquals(987654321, unknown.getID());
        assertEquals(0, unknown.getTTL());
        requests.onCompleted();
        assertEquals("completed", answers.poll(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void anExpiredLeaseDeletesItsKeysAndAWatcherSeesTheDeletes() throws Exception {
        long id = client.getLeaseClient().grant(EtcdNodes.MIN_TTL_SECONDS).get(WAIT_SECONDS, TimeUnit.SECONDS).getID();
        long written = cluster.put(1, "lx/k", "v", id);
        BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
        try (Watch.Watcher watch = EtcdWatchServiceTest.watch(client, "lx/k", WatchOption.builder().withRevision(written),
                events)) {
            WatchEvent put = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(put);
            assertEquals(id, put.getKeyValue().getLease());
            WatchEvent expired = events.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(expired, "the lease expired in time");
            assertEquals(WatchEvent.EventType.DELETE, expired.getEventType());
            assertEquals("lx/k", text(expired.getKeyValue().getKey()));
        }
        Awaitility.await().atMost(Duration.ofSeconds(WAIT_SECONDS)).until(() -> client.getLeaseClient()
                .timeToLive(id, LeaseOption.DEFAULT).get(WAIT_SECONDS, TimeUnit.SECONDS).getTTL() == -1);
    }

    @Test
    void leaseLeasesListsEveryLeaseOverARawCall() throws Exception {
        long first = client.getLeaseClient().grant(60).get(WAIT_SECONDS, TimeUnit.SECONDS).getID();
        long second = client.getLeaseClient().grant(60).get(WAIT_SECONDS, TimeUnit.SECONDS).getID();
        ManagedChannel channel = cluster.channel(1);
        LeaseLeases.Response listed = ClientCalls.blockingUnaryCall(channel, LeaseLeases.METHOD,
                CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS), Empty.getDefaultInstance());
        assertTrue(listed.ids().containsAll(List.of(first, second)), listed.ids().toString());
        assertEquals(listed.ids().stream().sorted().toList(), listed.ids(), "in id order");
        assertEquals(1, listed.header().getMemberId());
        assertTrue(listed.header().getRevision() > 0);
        assertTrue(listed.header().getClusterId() != 0);

        client.getLeaseClient().revoke(first).get(WAIT_SECONDS, TimeUnit.SECONDS);
        LeaseLeases.Response after = ClientCalls.blockingUnaryCall(channel, LeaseLeases.METHOD,
                CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS), Empty.getDefaultInstance());
        assertFalse(after.ids().contains(first), after.ids().toString());
        assertTrue(after.ids().contains(second), after.ids().toString());

        // A request with a field this server does not know (a newer client's) is answered all the same.
        MethodDescriptor<byte[], LeaseLeases.Response> withUnknownField = LeaseLeases.METHOD.toBuilder(
                new RawBytes(), LeaseLeases.METHOD.getResponseMarshaller()).build();
        LeaseLeases.Response tolerant = ClientCalls.blockingUnaryCall(channel, withUnknownField,
                CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS), new byte[] {5 << 3, 42});
        assertTrue(tolerant.ids().contains(second));
    }

    @Test
    void leaseLeasesMessagesRoundTrip() {
        ResponseHeader header = ResponseHeader.newBuilder().setClusterId(7).setMemberId(2).setRevision(99)
                .setRaftTerm(3).build();
        LeaseLeases.Response response = new LeaseLeases.Response(header, List.of(1L, 300L, Long.MAX_VALUE));
        LeaseLeases.Response parsed = LeaseLeases.METHOD.parseResponse(LeaseLeases.METHOD.streamResponse(response));
        assertEquals(response, parsed);
        assertEquals(response.serializedSize(), response.encode().length);
        LeaseLeases.Response empty = new LeaseLeases.Response(header, List.of());
        assertEquals(empty, LeaseLeases.METHOD.parseResponse(LeaseLeases.METHOD.streamResponse(empty)));
    }

    /** Bytes as they are, for requests the generated messages cannot express. */
    private static final class RawBytes implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public java.io.InputStream stream(byte[] value) {
            return new java.io.ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(java.io.InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
