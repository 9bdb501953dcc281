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
import io.etcd.jetcd.Watch;
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
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
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
    void txnLimitsAreEtcdErrors() {
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
        // etcd's budget: a nested transaction gets what its parent's largest list left (128 - 101 < 50).
        TxnRequest.Builder overBudget = TxnRequest.newBuilder();
        for (int i = 0; i < 100; i++) {
            overBudget.addSuccess(rawPut("budget/" + i, "v"));
        }
        TxnRequest.Builder fifty = TxnRequest.newBuilder();
        for (int i = 0; i < 50; i++) {
            fifty.addSuccess(rawPut("budget/n" + i, "v"));
        }
        overBudget.addSuccess(RequestOp.newBuilder().setRequestTxn(fifty));
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request",
                () -> raw.txn(overBudget.build()));
        // Rafty's count: every nested op counts in its branch (3 + 3 * 50 > 128), as HTTP bounds a branch.
        TxnRequest.Builder threeNested = TxnRequest.newBuilder();
        for (int i = 0; i < 3; i++) {
            TxnRequest.Builder inner = TxnRequest.newBuilder();
            for (int j = 0; j < 50; j++) {
                inner.addSuccess(rawPut("count/" + i + "/" + j, "v"));
            }
            threeNested.addSuccess(RequestOp.newBuilder().setRequestTxn(inner));
        }
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request",
                () -> raw.txn(threeNested.build()));
        TxnRequest deep = TxnRequest.getDefaultInstance();
        for (int level = 1; level <= io.rafty.kv.Txn.MAX_NESTING_DEPTH; level++) {
            deep = TxnRequest.newBuilder().addSuccess(RequestOp.newBuilder().setRequestTxn(deep)).build();
        }
        TxnRequest tooDeep = deep;
        assertStatus(Status.Code.INVALID_ARGUMENT, "rafty: transactions nest at most "
                + io.rafty.kv.Txn.MAX_NESTING_DEPTH + " deep", () -> raw.txn(tooDeep));
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(RequestOp.getDefaultInstance()).build()));
    }

    static RequestOp rawPut(String key, String value) {
        return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setValue(ByteString.copyFromUtf8(value))).build();
    }

    static RequestOp rawRange(String key, String rangeEnd, long revision) {
        return RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setRangeEnd(ByteString.copyFromUtf8(rangeEnd)).setRevision(revision)).build();
    }

    static RequestOp rawTxn(TxnRequest.Builder txn) {
        return RequestOp.newBuilder().setRequestTxn(txn).build();
    }

    static List<String> rawKeys(io.etcd.jetcd.api.RangeResponse response) {
        return response.getKvsList().stream().map(kv -> kv.getKey().toStringUtf8()).toList();
    }

    @Test
    void deleteOfAHalfOpenRangeIsOneRevisionWithAnEventPerKey() throws Exception {
        put("e/a", "1");
        put("e/b", "2");
        put("e/b/x", "3");
        put("e/c", "4");
        DeleteResponse range = kv.delete(bytes("e/b"), DeleteOption.builder().withRange(bytes("e/c")).withPrevKV(true)
                .build()).get(30, TimeUnit.SECONDS);
        assertEquals(2, range.getDeleted());
        assertEquals(List.of("e/b", "e/b/x"), range.getPrevKvs().stream().map(kv -> text(kv.getKey())).toList());
        assertEquals(List.of("2", "3"), range.getPrevKvs().stream().map(kv -> text(kv.getValue())).toList());
        assertEquals(List.of("e/a", "e/c"), keys(get("e/", GetOption.builder().isPrefix(true).build())));
        long revision = range.getHeader().getRevision();
        BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
        try (Watch.Watcher watcher = client.getWatchClient().watch(bytes("e/"), WatchOption.builder().isPrefix(true)
                .withRevision(revision).build(), Watch.listener(responses::add))) {
            WatchResponse first = responses.poll(30, TimeUnit.SECONDS);
            assertTrue(first != null, "the watch replays the delete");
            assertEquals(List.of("e/b", "e/b/x"), first.getEvents().stream()
                    .map(event -> text(event.getKeyValue().getKey())).toList(), "one response for the revision");
            assertTrue(first.getEvents().stream().allMatch(event -> event.getEventType() == WatchEvent.EventType.DELETE
                    && event.getKeyValue().getModRevision() == revision));
        }
        DeleteResponse empty = kv.delete(bytes("e/x"), DeleteOption.builder().withRange(bytes("e/y")).build())
                .get(30, TimeUnit.SECONDS);
        assertEquals(0, empty.getDeleted());
    }

    @Test
    void deleteFromAKeyOnRemovesEveryLaterKey() throws Exception {
        // "~" sorts after the other tests' keys, so "from ~from/b on" reaches only this test's.
        put("~from/a", "1");
        put("~from/b", "2");
        put("~from/c", "3");
        io.etcd.jetcd.api.DeleteRangeResponse deleted = raw.deleteRange(io.etcd.jetcd.api.DeleteRangeRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("~from/b")).setRangeEnd(ByteString.copyFrom(new byte[] {0}))
                .setPrevKv(true).build());
        assertEquals(2, deleted.getDeleted());
        assertEquals(List.of("~from/b", "~from/c"), deleted.getPrevKvsList().stream()
                .map(kv -> kv.getKey().toStringUtf8()).toList());
        assertEquals(List.of("~from/a"), keys(get("~from/", GetOption.builder().isPrefix(true).build())));
    }

    @Test
    void nestedTxnsRunEitherBranchAndCompareBeforeAnyOp() throws Exception {
        put("n/flag", "on");
        Op nested = Op.txn(new Cmp[] {new Cmp(bytes("n/flag"), Cmp.Op.EQUAL, CmpTarget.value(bytes("on")))},
                new Op[] {Op.put(bytes("n/x"), bytes("then"), PutOption.DEFAULT)},
                new Op[] {Op.put(bytes("n/x"), bytes("else"), PutOption.DEFAULT)});
        TxnResponse then = kv.txn().Then(nested, Op.put(bytes("n/y"), bytes("1"), PutOption.DEFAULT)).commit()
                .get(30, TimeUnit.SECONDS);
        assertTrue(then.isSucceeded());
        assertTrue(then.getTxnResponses().get(0).isSucceeded());
        assertEquals(1, then.getTxnResponses().get(0).getPutResponses().size());
        assertEquals("then", text(get("n/x", GetOption.DEFAULT).getKvs().get(0).getValue()));
        assertEquals(then.getHeader().getRevision(), get("n/y", GetOption.DEFAULT).getKvs().get(0).getModRevision());
        assertEquals(then.getHeader().getRevision(), get("n/x", GetOption.DEFAULT).getKvs().get(0).getModRevision(),
                "the nested put is at the outer revision");
        put("n/flag", "off");
        TxnResponse otherwise = kv.txn().Then(nested).commit().get(30, TimeUnit.SECONDS);
        assertFalse(otherwise.getTxnResponses().get(0).isSucceeded());
        assertEquals("else", text(get("n/x", GetOption.DEFAULT).getKvs().get(0).getValue()));
        // etcd decides every branch before any op runs: the nested compare sees n/flag as it was, "off".
        TxnResponse before = kv.txn().Then(Op.put(bytes("n/flag"), bytes("on"), PutOption.DEFAULT), nested).commit()
                .get(30, TimeUnit.SECONDS);
        assertFalse(before.getTxnResponses().get(0).isSucceeded());
        assertEquals("else", text(get("n/x", GetOption.DEFAULT).getKvs().get(0).getValue()));
        assertEquals("on", text(get("n/flag", GetOption.DEFAULT).getKvs().get(0).getValue()));
    }

    @Test
    void aKeyWrittenTwiceAcrossNestedTxnsIsADuplicate() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawPut("nd/k", "1"))
                        .addSuccess(rawTxn(TxnRequest.newBuilder().addFailure(rawPut("nd/k", "2")))).build()));
        RequestOp deleteRange = RequestOp.newBuilder().setRequestDeleteRange(io.etcd.jetcd.api.DeleteRangeRequest
                .newBuilder().setKey(ByteString.copyFromUtf8("nd/")).setRangeEnd(ByteString.copyFromUtf8("nd0")))
                .build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawTxn(TxnRequest.newBuilder()
                        .addSuccess(deleteRange))).addSuccess(rawPut("nd/k", "1")).build()));
        // A nested transaction's two branches never both run: they may write the same key.
        io.etcd.jetcd.api.TxnResponse fine = raw.txn(TxnRequest.newBuilder().addSuccess(rawTxn(TxnRequest.newBuilder()
                .addSuccess(rawPut("nd/k", "then")).addFailure(rawPut("nd/k", "else")))).build());
        assertTrue(fine.getResponses(0).getResponseTxn().getSucceeded());
    }

    @Test
    void aRangeCompareHoldsOnlyWhenEveryKeyOfTheRangeHolds() {
        raw.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("rc/a")).setValue(ByteString.copyFromUtf8("same"))
                .build());
        raw.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("rc/b")).setValue(ByteString.copyFromUtf8("same"))
                .build());
        raw.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("rc/c")).setValue(ByteString.copyFromUtf8("other"))
                .build());
        assertTrue(rangeCompare("rc/a", "rc/c", "same"));
        assertFalse(rangeCompare("rc/a", "rc/d", "same"), "rc/c differs");
        assertFalse(rangeCompare("rc/x", "rc/y", "same"), "a value compare on no key fails");
        Compare noneCreated = Compare.newBuilder().setKey(ByteString.copyFromUtf8("rc/x"))
                .setRangeEnd(ByteString.copyFromUtf8("rc/y")).setTarget(Compare.CompareTarget.CREATE)
                .setResult(Compare.CompareResult.EQUAL).setCreateRevision(0).build();
        assertTrue(raw.txn(TxnRequest.newBuilder().addCompare(noneCreated).build()).getSucceeded());
    }

    private static boolean rangeCompare(String key, String rangeEnd, String value) {
        Compare compare = Compare.newBuilder().setKey(ByteString.copyFromUtf8(key))
                .setRangeEnd(ByteString.copyFromUtf8(rangeEnd)).setTarget(Compare.CompareTarget.VALUE)
                .setResult(Compare.CompareResult.EQUAL).setValue(ByteString.copyFromUtf8(value)).build();
        return raw.txn(TxnRequest.newBuilder().addCompare(compare).build()).getSucceeded();
    }

    @Test
    void txnRangesCoverAnyRangeAndPastRevisions() throws Exception {
        long first = put("h/a", "1");
        put("h/a", "2");
        put("h/b", "x");
        put("h/c", "y");
        // Read-only (no log entry) and writing (applied) transactions read alike.
        for (boolean writes : new boolean[] {false, true}) {
            TxnRequest.Builder request = TxnRequest.newBuilder().addSuccess(rawRange("h/a", "h/c", 0))
                    .addSuccess(rawRange("h/a", "", first)).addSuccess(rawRange("h/", "h0", first));
            if (writes) {
                request.addSuccess(rawPut("h/w", "1"));
            }
            io.etcd.jetcd.api.TxnResponse response = raw.txn(request.build());
            assertEquals(List.of("h/a", "h/b"), rawKeys(response.getResponses(0).getResponseRange()));
            assertEquals("2", response.getResponses(0).getResponseRange().getKvs(0).getValue().toStringUtf8());
            assertEquals("1", response.getResponses(1).getResponseRange().getKvs(0).getValue().toStringUtf8(),
                    "the range at the first revision");
            assertEquals(List.of("h/a"), rawKeys(response.getResponses(2).getResponseRange()),
                    "h/b and h/c did not exist yet");
        }
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawRange("h/a", "", first + 1_000_000)).build()));
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawPut("h/never", "1"))
                        .addSuccess(rawRange("h/a", "", first + 1_000_000)).build()));
        assertEquals(0, get("h/never", GetOption.DEFAULT).getCount(), "a refused transaction writes nothing");
    }

    @Test
    void txnPutsCanKeepTheValueOrTheLease() throws Exception {
        put("iv/k", "kept");
        RequestOp keepValue = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("iv/k")).setIgnoreValue(true).setPrevKv(true)).build();
        io.etcd.jetcd.api.TxnResponse response = raw.txn(TxnRequest.newBuilder().addSuccess(keepValue).build());
        assertEquals("kept", response.getResponses(0).getResponsePut().getPrevKv().getValue().toStringUtf8());
        KeyValue after = get("iv/k", GetOption.DEFAULT).getKvs().get(0);
        assertEquals("kept", text(after.getValue()));
        assertEquals(2, after.getVersion());
        RequestOp keepLease = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("iv/k")).setValue(ByteString.copyFromUtf8("new")).setIgnoreLease(true))
                .build();
        raw.txn(TxnRequest.newBuilder().addSuccess(keepLease).build());
        assertEquals("new", text(get("iv/k", GetOption.DEFAULT).getKvs().get(0).getValue()));
        RequestOp missing = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("iv/missing")).setIgnoreValue(true)).build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: key not found",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawPut("iv/other", "1")).addSuccess(missing).build()));
        assertEquals(0, get("iv/other", GetOption.DEFAULT).getCount(), "a refused transaction writes nothing");
        RequestOp valueGiven = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("iv/k")).setValue(ByteString.copyFromUtf8("x")).setIgnoreValue(true))
                .build();
        assertStatus(Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(valueGiven).build()));
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
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawRange("c/k", "", before)).build()));
        assertStatus(Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted",
                () -> raw.txn(TxnRequest.newBuilder().addSuccess(rawPut("c/other", "1"))
                        .addSuccess(rawRange("c/k", "", before)).build()));
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
