package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.cluster.Member;
import io.etcd.jetcd.kv.DeleteResponse;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jetcd (and raw grpc-java stubs, for exact error strings) against three in-process nodes. */
class EtcdApiTest {

    @TempDir
    static Path root;
    static EtcdCluster cluster;
    static int leader;
    static int follower;
    static Client client;
    static KV kv;
    static ManagedChannel channel;
    static KVGrpc.KVBlockingStub raw;

    @BeforeAll
    static void start() throws Exception {
        cluster = new EtcdCluster(root, 3);
        leader = cluster.awaitLeader();
        follower = leader == 1 ? 2 : 1;
        client = Client.builder().endpoints(cluster.endpoint(follower)).build();
        kv = client.getKVClient();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", cluster.nodes.get(follower).etcdPort())
                .usePlaintext().maxInboundMessageSize(8 << 20).build();
        raw = KVGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    static String text(ByteSequence b) {
        return b.toString(StandardCharsets.UTF_8);
    }

    static long put(String key, String value) throws Exception {
        return kv.put(bytes(key), bytes(value)).get(30, TimeUnit.SECONDS).getHeader().getRevision();
    }

    static GetResponse get(String key, GetOption option) throws Exception {
        return kv.get(bytes(key), option).get(30, TimeUnit.SECONDS);
    }

    static List<String> keys(GetResponse response) {
        return response.getKvs().stream().map(kv -> text(kv.getKey())).toList();
    }

    @Test
    void putThenGetByPrefixAndAtAnEarlierRevision() throws Exception {
        long first = put("p/a", "1");
        put("p/b", "2");
        long third = put("p/a", "3");
        put("q/x", "other");
        GetResponse prefix = get("p/", GetOption.builder().isPrefix(true).build());
        assertEquals(List.of("p/a", "p/b"), keys(prefix));
        assertEquals("3", text(prefix.getKvs().get(0).getValue()));
        assertEquals(third, prefix.getKvs().get(0).getModRevision());
        assertEquals(first, prefix.getKvs().get(0).getCreateRevision());
        assertEquals(2, prefix.getKvs().get(0).getVersion());
        assertEquals(2, prefix.getCount());
        GetResponse old = get("p/a", GetOption.builder().withRevision(first).build());
        assertEquals("1", text(old.getKvs().get(0).getValue()));
        assertEquals(first, old.getHeader().getRevision());
        assertEquals(follower, old.getHeader().getMemberId());
    }

    @Test
    void rangeHonoursLimitCountOnlyKeysOnlyAndSort() throws Exception {
        put("r/c", "x");
        put("r/a", "zz");
        put("r/b", "y");
        GetResponse limited = get("r/", GetOption.builder().isPrefix(true).withLimit(2).build());
        assertEquals(List.of("r/a", "r/b"), keys(limited));
        assertTrue(limited.isMore());
        assertEquals(3, limited.getCount());
        GetResponse counted = get("r/", GetOption.builder().isPrefix(true).withCountOnly(true).build());
        assertEquals(3, counted.getCount());
        assertTrue(counted.getKvs().isEmpty());
        GetResponse keysOnly = get("r/", GetOption.builder().isPrefix(true).withKeysOnly(true).build());
        assertEquals(3, keysOnly.getKvs().size());
        assertTrue(keysOnly.getKvs().stream().allMatch(kv -> kv.getValue().isEmpty()));
        // Newest modification first, then the first one only: sorting happens before the limit, as in etcd.
        GetResponse byMod = get("r/", GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.MOD)
                .withSortOrder(GetOption.SortOrder.DESCEND).build());
        assertEquals(List.of("r/b", "r/a", "r/c"), keys(byMod));
        GetResponse byValue = get("r/", GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.VALUE)
                .withSortOrder(GetOption.SortOrder.DESCEND).withLimit(1).build());
        assertEquals(List.of("r/a"), keys(byValue));
        assertTrue(byValue.isMore());
        // A half-open range [r/b, r/c) and everything from r/b on.
        assertEquals(List.of("r/b"), keys(get("r/b", GetOption.builder().withRange(bytes("r/c")).build())));
        List<String> fromKey = keys(get("r/b", GetOption.builder().withRange(bytes("\0")).build()));
        assertEquals(List.of("r/b", "r/c"), fromKey.subList(0, 2));
        assertTrue(fromKey.stream().allMatch(k -> k.compareTo("r/b") >= 0));
    }

    @Test
    void deleteReturnsThePreviousValues() throws Exception {
        put("d/1", "one");
        put("d/2", "two");
        DeleteResponse single = kv.delete(bytes("d/1"), DeleteOption.builder().withPrevKV(true).build())
                .get(30, TimeUnit.SECONDS);
        assertEquals(1, single.getDeleted());
        assertEquals("one", text(single.getPrevKvs().get(0).getValue()));
        put("d/3", "three");
        DeleteResponse prefix = kv.delete(bytes("d/"), DeleteOption.builder().isPrefix(true).withPrevKV(true).build())
                .get(30, TimeUnit.SECONDS);
        assertEquals(2, prefix.getDeleted());
        assertEquals(List.of("two", "three"), prefix.getPrevKvs().stream().map(kv -> text(kv.getValue())).toList());
        assertEquals(0, get("d/", GetOption.builder().isPrefix(true).build()).getCount());
        DeleteResponse none = kv.delete(bytes("d/none")).get(30, TimeUnit.SECONDS);
        assertEquals(0, none.getDeleted());
    }

    @Test
    void everyTxnCompareTargetDecidesTheBranch() throws Exception {
        long created = put("t/k", "v1");
        long modified = put("t/k", "v2");
        assertTrue(txn(new Cmp(bytes("t/k"), Cmp.Op.EQUAL, CmpTarget.value(bytes("v2")))).isSucceeded());
        assertFalse(txn(new Cmp(bytes("t/k"), Cmp.Op.EQUAL, CmpTarget.value(bytes("v1")))).isSucceeded());
        assertTrue(txn(new Cmp(bytes("t/k"), Cmp.Op.EQUAL, CmpTarget.version(2))).isSucceeded());
        assertTrue(txn(new Cmp(bytes("t/k"), Cmp.Op.LESS, CmpTarget.version(3))).isSucceeded());
        assertTrue(txn(new Cmp(bytes("t/k"), Cmp.Op.EQUAL, CmpTarget.createRevision(created))).isSucceeded());
        assertTrue(txn(new Cmp(bytes("t/k"), Cmp.Op.EQUAL, CmpTarget.modRevision(modified))).isSucceeded());
        assertTrue(txn(new Cmp(bytes("t/k"), Cmp.Op.GREATER, CmpTarget.modRevision(created))).isSucceeded());
        assertFalse(txn(new Cmp(bytes("t/k"), Cmp.Op.NOT_EQUAL, CmpTarget.modRevision(modified))).isSucceeded());
        // Kubernetes' create: MOD == 0 holds only for a missing key.
        assertTrue(txn(new Cmp(bytes("t/absent"), Cmp.Op.EQUAL, CmpTarget.modRevision(0))).isSucceeded());
        // LEASE (not in jetcd's protos): the key has no lease, so LEASE == 0 holds and LEASE == 7 does not.
        assertTrue(rawLeaseCompare("t/k", 0));
        assertFalse(rawLeaseCompare("t/k", 7));
    }

    @Test
    void txnRunsTheChosenBranchAndAnswersEachOp() throws Exception {
        put("u/a", "old");
        TxnResponse response = kv.txn()
                .If(new Cmp(bytes("u/a"), Cmp.Op.EQUAL, CmpTarget.value(bytes("old"))))
                .Then(Op.put(bytes("u/a"), bytes("new"), PutOption.builder().withPrevKV().build()),
                        Op.put(bytes("u/b"), bytes("b"), PutOption.DEFAULT),
                        Op.get(bytes("u/"), GetOption.builder().isPrefix(true).build()))
                .Else(Op.get(bytes("u/a"), GetOption.DEFAULT))
                .commit().get(30, TimeUnit.SECONDS);
        assertTrue(response.isSucceeded());
        assertEquals("old", text(response.getPutResponses().get(0).getPrevKv().getValue()));
        assertEquals(List.of("u/a", "u/b"), keys(response.getGetResponses().get(0)));
        assertEquals("new", text(response.getGetResponses().get(0).getKvs().get(0).getValue()));
        TxnResponse failed = kv.txn()
                .If(new Cmp(bytes("u/a"), Cmp.Op.EQUAL, CmpTarget.value(bytes("old"))))
                .Then(Op.delete(bytes("u/a"), DeleteOption.DEFAULT))
                .Else(Op.get(bytes("u/a"), GetOption.DEFAULT))
                .commit().get(30, TimeUnit.SECONDS);
        assertFalse(failed.isSucceeded());
        assertEquals("new", text(failed.getGetResponses().get(0).getKvs().get(0).getValue()));
        assertEquals("new", text(get("u/a", GetOption.DEFAULT).getKvs().get(0).getValue()));
    }

    @Test
    void txnLimitsAndUnsupportedShapesAreEtcdErrors() {
        TxnRequest.Builder tooMany = TxnRequest.newBuilder();
        for (int i = 0; i <= io.rafty.config.NodeConfig.DEFAULT_MAX_TXN_OPS; i++) {
            tooMany.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                    .setKey(ByteString.copyFromUtf8("many/" + i))));
        }
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request",
                () -> raw.txn(tooMany.build()));
        RequestOp putA = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("dup"))).build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(putA).addSuccess(putA).build()));
        StatusRuntimeException nested = assertThrows(StatusRuntimeException.class, () -> raw.txn(
                TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestTxn(TxnRequest.getDefaultInstance()))
                        .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, nested.getStatus().getCode());
        assertTrue(nested.getStatus().getDescription().startsWith("rafty: nested transactions"));
    }

    @Test
    void compactedAndFutureRevisionsHaveEtcdsMessages() throws Exception {
        long before = put("c/k", "1");
        long after = put("c/k", "2");
        kv.compact(after).get(30, TimeUnit.SECONDS);
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted",
                () -> raw.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("c/k"))
                        .setRevision(before).build()));
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted",
                () -> raw.compact(io.etcd.jetcd.api.CompactionRequest.newBuilder().setRevision(before).build()));
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision",
                () -> raw.range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("c/k"))
                        .setRevision(after + 1_000_000).build()));
        assertEquals("2", get("c/k", GetOption.builder().withRevision(after).build()).getKvs().get(0).getValue()
                .toString(StandardCharsets.UTF_8));
    }

    @Test
    void putOptionsAndTheirEtcdErrors() throws Exception {
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: key is not provided",
                () -> raw.put(PutRequest.newBuilder().setValue(ByteString.copyFromUtf8("v")).build()));
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found",
                () -> raw.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("i/missing"))
                        .setIgnoreValue(true).build()));
        assertStatus(Status.Code.NOT_FOUND, "etcdserver: requested lease not found",
                () -> raw.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("i/k"))
                        .setValue(ByteString.copyFromUtf8("v")).setLease(424242).build()));
        put("i/k", "kept");
        raw.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("i/k")).setIgnoreValue(true).build());
        KeyValue now = get("i/k", GetOption.DEFAULT).getKvs().get(0);
        assertEquals("kept", text(now.getValue()));
        assertEquals(2, now.getVersion());
        var previous = kv.put(bytes("i/k"), bytes("next"), PutOption.builder().withPrevKV().build())
                .get(30, TimeUnit.SECONDS);
        assertEquals("kept", text(previous.getPrevKv().getValue()));
    }

    @Test
    void aFollowerServesLinearizableAndSerializableReads() throws Exception {
        long written = put("f/k", "v");
        GetResponse linearizable = get("f/k", GetOption.DEFAULT);
        assertEquals("v", text(linearizable.getKvs().get(0).getValue()));
        assertTrue(linearizable.getHeader().getRevision() >= written);
        assertEquals(follower, linearizable.getHeader().getMemberId());
        GetResponse serializable = get("f/", GetOption.builder().isPrefix(true).withSerializable(true).build());
        assertTrue(serializable.getHeader().getRevision() > 0);
    }

    @Test
    void statusAndMemberList() throws Exception {
        StatusResponse status = MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance());
        assertEquals(leader, status.getLeader());
        assertEquals(follower, status.getHeader().getMemberId());
        assertTrue(status.getRaftAppliedIndex() > 0);
        assertTrue(status.getRaftTerm() > 0);
        assertTrue(status.getDbSize() > 0);
        assertTrue(status.getVersion().startsWith("3."));
        List<Member> members = client.getClusterClient().listMember().get(30, TimeUnit.SECONDS).getMembers();
        assertEquals(List.of(1L, 2L, 3L), members.stream().map(Member::getId).sorted().toList());
        Member self = members.stream().filter(m -> m.getId() == follower).findFirst().orElseThrow();
        assertEquals(List.of(cluster.endpoint(follower)), self.getClientURIs().stream().map(Object::toString).toList());
        assertEquals(cluster.nodes.get(follower).url(), self.getPeerURIs().get(0).toString());
        assertFalse(self.isLearner());
    }

    @Test
    void unknownMethodsAndOversizedMessagesGetStatusesNotCrashes() throws Exception {
        MethodDescriptor<byte[], byte[]> unknown = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName("etcdserverpb.KV/NoSuchMethod")
                .setRequestMarshaller(new Bytes()).setResponseMarshaller(new Bytes()).build();
        StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> ClientCalls.blockingUnaryCall(
                channel, unknown, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), new byte[0]));
        assertEquals(Status.Code.UNIMPLEMENTED, missing.getStatus().getCode());
        byte[] big = new byte[300 * 1024];
        StatusRuntimeException oversized = assertThrows(StatusRuntimeException.class, () -> raw.put(
                PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("big")).setValue(ByteString.copyFrom(big))
                        .build()));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, oversized.getStatus().getCode(), oversized.toString());
        byte[] overValue = new byte[200 * 1024];
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large", () -> raw.put(
                PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("big")).setValue(ByteString.copyFrom(overValue))
                        .build()));
        // Malformed protobuf: a length-delimited field running past the end.
        MethodDescriptor<byte[], byte[]> rangeBytes = unknown.toBuilder().setFullMethodName("etcdserverpb.KV/Range")
                .build();
        StatusRuntimeException malformed = assertThrows(StatusRuntimeException.class, () -> ClientCalls
                .blockingUnaryCall(channel, rangeBytes, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                        new byte[] {0x0a, 0x7f, 0x01}));
        assertTrue(malformed.getStatus().getCode() == Status.Code.INVALID_ARGUMENT
                || malformed.getStatus().getCode() == Status.Code.INTERNAL, malformed.toString());
        // The server still answers.
        put("alive", "yes");
        assertEquals("yes", text(get("alive", GetOption.DEFAULT).getKvs().get(0).getValue()));
    }

    private static TxnResponse txn(Cmp cmp) throws Exception {
        return kv.txn().If(cmp).commit().get(30, TimeUnit.SECONDS);
    }

    private static boolean rawLeaseCompare(String key, long lease) {
        Compare compare = Compare.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setResult(Compare.CompareResult.EQUAL).setTargetValue(EtcdTxns.LEASE_TARGET)
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(EtcdTxns.LEASE_FIELD,
                        UnknownFieldSet.Field.newBuilder().addVarint(lease).build()).build())
                .build();
        return raw.txn(TxnRequest.newBuilder().addCompare(compare).build()).getSucceeded();
    }

    private static void assertStatus(Status.Code code, String message, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.toString());
        assertEquals(message, e.getStatus().getDescription());
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
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
