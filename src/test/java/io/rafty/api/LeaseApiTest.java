package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.rafty.node.SseClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lease routes on one node: grants, attached keys, keepalives, listing, revokes, and bad input. */
class LeaseApiTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    private static RaftyNode node;

    @BeforeAll
    static void start() throws Exception {
        node = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")),
                Map.of("maxLeaseTtlSeconds", 86_400L)));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return SingleNodeApi.send(node, method, path, body.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonObject ok(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body());
    }

    private static long grant(long ttl) throws Exception {
        return ok(send("POST", "/v1/leases", "{\"ttl\":" + ttl + "}")).getLong("id");
    }

    @Test
    void aTtlBelowTheMinimumIsRaisedAndTheAnswerSaysSo() throws Exception {
        JsonObject granted = ok(send("POST", "/v1/leases", "{\"ttl\":1}"));
        assertEquals(2, granted.getLong("ttl"), "one and a half default election timeouts, rounded up");
        assertEquals(1, granted.getLong("requestedTtl"));
        assertEquals(2, granted.getLong("minTtl"));
        JsonObject chosen = ok(send("POST", "/v1/leases", "{\"ttl\":30,\"id\":4242}"));
        assertEquals(4242, chosen.getLong("id"));
        assertFalse(chosen.containsKey("requestedTtl"));
        SingleNodeApi.assertError(send("POST", "/v1/leases", "{\"ttl\":30,\"id\":4242}"), 409, "lease_exists");
    }

    @Test
    void keysAttachToALeaseAndItsRevokeDeletesThemAtOneRevision() throws Exception {
        long lease = grant(60);
        ok(send("PUT", "/v1/kv/svc/a?lease=" + lease, "10.0.0.1"));
        ok(send("PUT", "/v1/kv/svc/b?lease=" + lease, "10.0.0.2"));
        assertEquals(lease, ok(send("GET", "/v1/kv/svc/a", "")).getLong("lease"));
        JsonObject info = ok(send("GET", "/v1/leases/" + lease, ""));
        assertEquals(new JsonArray().add("svc/a").add("svc/b"), info.getJsonArray("keys"));
        assertTrue(info.getLong("remaining") <= 60 && info.getLong("remaining") >= 55, info.encode());
        assertTrue(ok(send("GET", "/v1/leases", "")).getJsonArray("leases").stream()
                .anyMatch(l -> ((JsonObject) l).getLong("id") == lease));
        try (SseClient watch = SseClient.open(HTTP, node.url() + "/v1/watch?prefix=svc/", null)) {
            watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            JsonObject revoked = ok(send("DELETE", "/v1/leases/" + lease, ""));
            assertEquals(2, revoked.getInteger("deleted"));
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !watch.changes().isEmpty());
            JsonObject change = watch.changes().get(0).data();
            assertEquals(revoked.getLong("revision"), change.getLong("revision"));
            assertEquals(2, change.getJsonArray("events").size(), "both keys in one revision");
        }
        assertEquals(404, send("GET", "/v1/kv/svc/a", "").statusCode());
        SingleNodeApi.assertError(send("GET", "/v1/leases/" + lease, ""), 404, "lease_not_found");
        SingleNodeApi.assertError(send("DELETE", "/v1/leases/" + lease, ""), 404, "lease_not_found");
    }

    @Test
    void aKeepaliveAnswersTheTtlAndAnUnknownLeaseIs404() throws Exception {
        long lease = grant(20);
        JsonObject kept = ok(send("POST", "/v1/leases/" + lease + "/keepalive", ""));
        assertEquals(lease, kept.getLong("id"));
        assertEquals(20, kept.getLong("ttl"));
        SingleNodeApi.assertError(send("POST", "/v1/leases/999999/keepalive", ""), 404, "lease_not_found");
        SingleNodeApi.assertError(send("PUT", "/v1/kv/orphan?lease=999999", "x"), 404, "lease_not_found");
        assertEquals(404, send("GET", "/v1/kv/orphan", "").statusCode(), "nothing was written");
    }

    @Test
    void badTtlsIdsAndBodiesAre400() throws Exception {
        for (String body : List.of("{\"ttl\":0}", "{\"ttl\":-5}", "{\"ttl\":86401}", "{\"ttl\":1e30}", "{\"ttl\":\"ten\"}",
                "{}", "{\"ttl\":10,\"colour\":1}", "{\"ttl\":10,\"id\":0}", "[10]", "not json")) {
            SingleNodeApi.assertError(send("POST", "/v1/leases", body), 400, "bad_request");
        }
        SingleNodeApi.assertError(send("POST", "/v1/leases/abc/keepalive", ""), 400, "bad_request");
        SingleNodeApi.assertError(send("GET", "/v1/leases/-3", ""), 400, "bad_request");
        SingleNodeApi.assertError(send("PUT", "/v1/kv/k?lease=x", "v"), 400, "bad_request");
    }
}
