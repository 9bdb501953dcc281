package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Set;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What each target is sent for a key, and which answers count as success. */
class TargetProtocolTest {

    private static final byte[] VALUE = "hello, etcd".getBytes(StandardCharsets.US_ASCII);

    private static String decode(JsonObject body, String field) {
        return new String(Base64.getDecoder().decode(body.getString(field)), StandardCharsets.US_ASCII);
    }

    @Test
    void etcdPutSendsKeyAndValueInBase64() {
        EtcdProtocol etcd = new EtcdProtocol("bench/", false, VALUE);
        assertEquals(HttpMethod.POST, etcd.method(false));
        assertEquals("/v3/kv/put", etcd.uri(42, false));
        JsonObject body = etcd.body(42, false).toJsonObject();
        assertEquals(Set.of("key", "value"), body.fieldNames());
        assertEquals("bench/0000000042", decode(body, "key"));
        assertArrayEquals(VALUE, Base64.getDecoder().decode(body.getString("value")));
    }

    @Test
    void etcdLinearizableRangeSendsOnlyTheKey() {
        EtcdProtocol etcd = new EtcdProtocol("bench/", false, VALUE);
        assertEquals(HttpMethod.POST, etcd.method(true));
        assertEquals("/v3/kv/range", etcd.uri(7, true));
        JsonObject body = etcd.body(7, true).toJsonObject();
        assertEquals(Set.of("key"), body.fieldNames(), "a range is linearizable unless it says serializable");
        assertEquals("bench/0000000007", decode(body, "key"));
    }

    @Test
    void etcdStaleRangeIsSerializable() {
        EtcdProtocol etcd = new EtcdProtocol("bench/", true, VALUE);
        JsonObject body = etcd.body(1_234_567_890, true).toJsonObject();
        assertEquals(Set.of("key", "serializable"), body.fieldNames());
        assertEquals(Boolean.TRUE, body.getBoolean("serializable"));
        assertEquals("bench/1234567890", decode(body, "key"));
        assertEquals(Set.of("key", "value"), etcd.body(1, false).toJsonObject().fieldNames(),
                "stale applies to reads only");
    }

    @Test
    void etcdEmptyValueIsAnEmptyBase64String() {
        JsonObject body = new EtcdProtocol("", false, new byte[0]).body(0, false).toJsonObject();
        assertEquals("", body.getString("value"));
        assertEquals("0000000000", decode(body, "key"));
    }

    @Test
    void etcdSucceedsOnlyOnA200WithAJsonBody() {
        EtcdProtocol etcd = new EtcdProtocol("bench/", false, VALUE);
        assertTrue(etcd.succeeded(200, Buffer.buffer("{\"header\":{\"revision\":\"2\"}}")));
        assertFalse(etcd.succeeded(200, null), "an empty 200 is not the gateway's answer");
        assertFalse(etcd.succeeded(200, Buffer.buffer("")));
        assertFalse(etcd.succeeded(200, Buffer.buffer("<html>proxy</html>")));
        assertFalse(etcd.succeeded(503, Buffer.buffer("{\"error\":\"etcdserver: leader changed\",\"code\":14}")));
        assertFalse(etcd.succeeded(404, Buffer.buffer("404 page not found")));
    }

    @Test
    void raftyKeepsItsRestShape() {
        RaftyProtocol rafty = new RaftyProtocol("bench/", false, VALUE, 0);
        assertEquals(HttpMethod.PUT, rafty.method(false));
        assertEquals(HttpMethod.GET, rafty.method(true));
        assertEquals("/v1/kv/bench/0000000042", rafty.uri(42, false));
        assertEquals("/v1/kv/bench/0000000042", rafty.uri(42, true));
        assertArrayEquals(VALUE, rafty.body(42, false).getBytes());
        assertNull(rafty.body(42, true), "a GET has no body");
        assertTrue(rafty.succeeded(200, null));
        assertFalse(rafty.succeeded(503, Buffer.buffer("{\"error\":\"no_leader\"}")));
    }

    @Test
    void raftyTransactionsAreFourOpCompareAndSetsOnAKeyAndItsNeighbour() {
        RaftyProtocol rafty = new RaftyProtocol("b\"/", false, VALUE, 100);
        assertEquals(HttpMethod.POST, rafty.method(false));
        assertEquals("/v1/txn", rafty.uri(99, false));
        assertEquals("/v1/kv/b\"/0000000099", rafty.uri(99, true), "reads stay plain gets");
        io.vertx.core.json.JsonObject txn = rafty.body(99, false).toJsonObject();
        assertEquals("b\"/0000000099", txn.getJsonArray("compare").getJsonObject(0).getString("key"));
        io.vertx.core.json.JsonArray success = txn.getJsonArray("success");
        assertEquals(4, success.size());
        assertEquals("b\"/0000000000", success.getJsonObject(1).getString("key"), "the neighbour wraps around");
        assertEquals(new String(VALUE, java.nio.charset.StandardCharsets.US_ASCII),
                success.getJsonObject(0).getString("value"));
        assertEquals(List.of("put", "put", "get", "get"), success.stream()
                .map(op -> ((io.vertx.core.json.JsonObject) op).getString("op")).toList());
    }

    @Test
    void aKeepaliveRunGrantsOneLeasePerKeyThenKeepsThemAlive() {
        RaftyProtocol rafty = RaftyProtocol.keepalives("bench/");
        assertEquals(HttpMethod.POST, rafty.method(false));
        assertEquals(HttpMethod.POST, rafty.method(true));
        assertEquals("/v1/leases", rafty.uri(41, false));
        assertEquals(42, rafty.body(41, false).toJsonObject().getLong("id"), "lease ids are key + 1: never 0");
        assertEquals(RaftyProtocol.KEEPALIVE_LEASE_TTL_SECONDS, rafty.body(41, false).toJsonObject().getLong("ttl"));
        assertEquals("/v1/leases/42/keepalive", rafty.uri(41, true));
        assertNull(rafty.body(41, true));
        assertTrue(rafty.succeeded(409, null), "a lease left by an earlier run is as good as granted");
        assertFalse(new RaftyProtocol("bench/", false, VALUE, 0).succeeded(409, null));
    }

    @Test
    void raftyStaleReadsAskForConsistencyStale() {
        RaftyProtocol rafty = new RaftyProtocol("bench/", true, VALUE, 0);
        assertEquals("/v1/kv/bench/0000000042?consistency=stale", rafty.uri(42, true));
        assertEquals("/v1/kv/bench/0000000042", rafty.uri(42, false), "stale applies to reads only");
    }

    @Test
    void raftyWriteRevisionIsReadFromTheAnswer() {
        assertEquals(17, RaftyProtocol.writeRevision(Buffer.buffer("{\"key\":\"bench/0000000042\",\"revision\":17}")));
        assertEquals(1_234_567_890_123L, RaftyProtocol.writeRevision(
                Buffer.buffer("{\"key\":\"a\\\"revision\\\":5\",\"revision\": 1234567890123}")));
        assertEquals(-1, RaftyProtocol.writeRevision(null));
        assertEquals(-1, RaftyProtocol.writeRevision(Buffer.buffer("")));
        assertEquals(-1, RaftyProtocol.writeRevision(Buffer.buffer("{\"key\":\"bench/1\"}")));
        assertEquals(-1, RaftyProtocol.writeRevision(Buffer.buffer("{\"revision\":\"x\"}")));
        assertEquals(-1, RaftyProtocol.writeRevision(Buffer.buffer("{\"revision\":12345678901234567890}")));
    }

    @Test
    void theTargetOptionPicksTheProtocol() {
        assertInstanceOf(RaftyProtocol.class, TargetProtocol.of(settings(), VALUE));
        assertInstanceOf(EtcdProtocol.class, TargetProtocol.of(settings("--target", "etcd"), VALUE));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TargetProtocol.of(settings("--target", "etcd-grpc"), VALUE), "gRPC is not written as HTTP");
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
