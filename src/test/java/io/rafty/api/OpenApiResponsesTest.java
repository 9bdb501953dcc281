package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every client route of a real node, answering real requests — successes and the errors each family can
 * give — and every answer checked against {@code openapi.json}: its status is listed for the operation, its
 * content type too, and its JSON body validates against the schema given for that status. Afterwards, every
 * operation of the document must have been seen to succeed at least once.
 */
class OpenApiResponsesTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Small, so that a 413 is cheap to provoke. */
    private static final int MAX_VALUE_BYTES = 1024;

    @TempDir
    static Path dir;
    private static RaftyNode node;
    private static OpenApiSpec spec;

    @BeforeAll
    static void start() throws Exception {
        spec = OpenApiSpec.load();
        node = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")),
                Map.of("maxValueBytes", MAX_VALUE_BYTES, "maxRequestBodyBytes", MAX_VALUE_BYTES)));
    }

    @AfterAll
    static void everyOperationWasSeenToSucceed() {
        try {
            Set<String> neverSucceeded = new TreeSet<>();
            for (OpenApiSpec.Operation op : spec.operationsByRoute().values()) {
                Set<Integer> statuses = spec.seen().getOrDefault(op.id(), Set.of());
                if (statuses.stream().noneMatch(s -> s < 400)) {
                    neverSucceeded.add(op.id());
                }
            }
            assertTrue(neverSucceeded.isEmpty(), "operations this test never saw succeed: " + neverSucceeded);
        } finally {
            node.close();
        }
    }

    // ----- requests ---------------------------------------------------------------------------

    /** Sends {@code method target} and checks the answer against the operation {@code method template}. */
    private static HttpResponse<String> call(String method, String template, String target, String body,
                                             String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + target))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        spec.check(method, template, response);
        return response;
    }

    private static JsonObject expect(int status, HttpResponse<String> response) {
        OpenApiSpec.assertStatus(status, response);
        String type = response.headers().firstValue("content-type").orElse("");
        return type.startsWith("application/json") ? new JsonObject(response.body()) : null;
    }

    private static void expectError(int status, String code, HttpResponse<String> response) {
        assertEquals(code, expect(status, response).getString("error"), response.body());
    }

    private static long revisionNow() throws Exception {
        return expect(200, call("GET", "/v1/status", "/v1/status", null)).getLong("revision");
    }

    /**
     * The auth API on a node of its own with auth on (root's password from the config, bcrypt at its cheapest):
     * login, users and roles, each answer checked against the document, 401 and 403 included.
     */
    @Test
    void authRoutesOnANodeWithAuthOn() throws Exception {
        try (RaftyNode secured = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(2, 0, List.of(),
                dir.resolve("auth")), Map.of("auth", true, "authRootPassword",
                io.rafty.config.RootPassword.of("root-password-1"), "authBcryptCost", 4)))) {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> secured.stateMachine().authState().enabled());
            expectError(401, "unauthenticated", authCall(secured, "POST", "/v1/auth/token", "/v1/auth/token",
                    "{\"user\":\"root\",\"password\":\"wrong-password\"}"));
            String root = "Bearer " + expect(200, authCall(secured, "POST", "/v1/auth/token", "/v1/auth/token",
                    "{\"user\":\"root\",\"password\":\"root-password-1\"}")).getString("token");
            expectError(401, "unauthenticated", authCall(secured, "GET", "/v1/auth/users", "/v1/auth/users", null));
            expect(200, authCall(secured, "PUT", "/v1/auth/roles/{name}", "/v1/auth/roles/reader",
                    "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}", "authorization", root));
            expectError(400, "bad_request", authCall(secured, "PUT", "/v1/auth/roles/{name}", "/v1/auth/roles/bad",
                    "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"all\"}]}", "authorization", root));
            expect(200, authCall(secured, "GET", "/v1/auth/roles/{name}", "/v1/auth/roles/reader", null,
                    "authorization", root));
            expect(200, authCall(secured, "GET", "/v1/auth/roles", "/v1/auth/roles", null, "authorization", root));
            expect(200, authCall(secured, "PUT", "/v1/auth/users/{name}", "/v1/auth/users/bob",
                    "{\"password\":\"bob-password\",\"roles\":[\"reader\"]}", "authorization", root));
            expectError(404, "role_not_found", authCall(secured, "PUT", "/v1/auth/users/{name}",
                    "/v1/auth/users/carol", "{\"password\":\"carol-password\",\"roles\":[\"nope\"]}",
                    "authorization", root));
            JsonObject bob = expect(200, authCall(secured, "GET", "/v1/auth/users/{name}", "/v1/auth/users/bob",
                    null, "authorization", root));
            assertFalse(bob.encode().contains("$2"), "no password hash in " + bob);
            expect(200, authCall(secured, "GET", "/v1/auth/users", "/v1/auth/users", null, "authorization", root));
            String bobToken = "Bearer " + expect(200, authCall(secured, "POST", "/v1/auth/token", "/v1/auth/token",
                    "{\"user\":\"bob\",\"password\":\"bob-password\"}")).getString("token");
            expectError(403, "permission_denied", authCall(secured, "GET", "/v1/auth/users", "/v1/auth/users",
                    null, "authorization", bobToken));
            expect(200, authCall(secured, "DELETE", "/v1/auth/users/{name}", "/v1/auth/users/bob", null,
                    "authorization", root));
            expectError(404, "user_not_found", authCall(secured, "GET", "/v1/auth/users/{name}",
                    "/v1/auth/users/bob", null, "authorization", root));
            expect(200, authCall(secured, "DELETE", "/v1/auth/roles/{name}", "/v1/auth/roles/reader", null,
                    "authorization", root));
            expectError(404, "role_not_found", authCall(secured, "DELETE", "/v1/auth/roles/{name}",
                    "/v1/auth/roles/reader", null, "authorization", root));
        }
    }

    private static HttpResponse<String> authCall(RaftyNode on, String method, String template, String target,
                                                 String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(on.url() + target))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        spec.check(method, template, response);
        return response;
    }

    // ----- operations, health and documents ----------------------------------------------------

    @Test
    void probesAndDocuments() throws Exception {
        assertEquals("ok", expect(200, call("GET", "/health", "/health", null)).getString("status"));
        assertEquals("ok", expect(200, call("GET", "/livez", "/livez", null)).getString("status"));
        JsonObject ready = expect(200, call("GET", "/readyz", "/readyz", null));
        assertEquals(1, ready.getInteger("leaderId"));
        JsonObject document = expect(200, call("GET", "/openapi.json", "/openapi.json", null));
        assertEquals(spec.document, document, "the node serves the document the tests check against");
        HttpResponse<String> docs = call("GET", "/docs", "/docs", null);
        assertEquals(302, docs.statusCode());
        assertEquals("/docs/", docs.headers().firstValue("location").orElse(""));
        HttpResponse<String> metrics = call("GET", "/metrics", "/metrics", null);
        OpenApiSpec.assertStatus(200, metrics);
        assertTrue(metrics.body().contains("# TYPE rafty_has_leader gauge"), metrics.body());
    }

    @Test
    void dashboardPageAndItsFiles() throws Exception {
        HttpResponse<String> page = call("GET", "/", "/", null);
        OpenApiSpec.assertStatus(200, page);
        assertTrue(page.body().contains("<script src=\"/dashboard/dashboard.js\">"), page.body());
        HttpResponse<String> script = call("GET", "/dashboard/{file}", "/dashboard/dashboard.js", null);
        OpenApiSpec.assertStatus(200, script);
        assertTrue(script.body().contains("/v1/raft/log"), "the script polls the log route");
        OpenApiSpec.assertStatus(200, call("GET", "/dashboard/{file}", "/dashboard/dashboard.css", null));
        expectError(404, "not_found", call("GET", "/dashboard/{file}", "/dashboard/nope.js", null));
    }

    @Test
    void raftLogListsTheNewestEntriesFirstWithTheirKeys() throws Exception {
        long written = expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/log-probe", "v")).getLong("revision");
        JsonObject log = expect(200, call("GET", "/v1/raft/log", "/v1/raft/log?limit=3", null));
        var entries = log.getJsonArray("entries");
        assertTrue(entries.size() >= 1 && entries.size() <= 3, log.encode());
        long newest = entries.getJsonObject(0).getLong("index");
        assertTrue(newest >= written, "the newest entry " + newest + " is at least the write's " + written);
        for (int i = 1; i < entries.size(); i++) {
            assertEquals(newest - i, entries.getJsonObject(i).getLong("index"), log.encode());
        }
        boolean sawProbe = false;
        for (int i = 0; i < entries.size(); i++) {
            JsonObject entry = entries.getJsonObject(i);
            sawProbe |= "put".equals(entry.getString("command")) && "log-probe".equals(entry.getString("key"));
        }
        assertTrue(sawProbe, "the put of log-probe is among the last entries: " + log.encode());
        expectError(400, "bad_request", call("GET", "/v1/raft/log", "/v1/raft/log?limit=101", null));
        expectError(400, "bad_request", call("GET", "/v1/raft/log", "/v1/raft/log?limit=x", null));
    }

    @Test
    void backupStreamsAtARevisionAtLeastTheLastWrite() throws Exception {
        long written = expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/backup-probe", "v")).getLong("revision");
        HttpResponse<String> backup = call("GET", "/v1/snapshot", "/v1/snapshot", null);
        OpenApiSpec.assertStatus(200, backup);
        long revision = Long.parseLong(backup.headers().firstValue("x-rafty-revision").orElseThrow());
        assertTrue(revision >= written, "backup at " + revision + " misses the write at " + written);
        assertTrue(backup.body().startsWith("RAFTYBAK"), "the backup format's magic");
    }

    @Test
    void statusAndClusterView() throws Exception {
        JsonObject status = expect(200, call("GET", "/v1/status", "/v1/status", null));
        assertEquals("leader", status.getString("role"));
        StringBuilder many = new StringBuilder("/v1/status?p0=0");
        for (int i = 1; i <= 40; i++) {
            many.append("&p").append(i).append('=').append(i);
        }
        expectError(400, "bad_request", call("GET", "/v1/status", many.toString(), null));
        JsonObject cluster = expect(200, call("GET", "/v1/cluster", "/v1/cluster", null));
        assertEquals(1, cluster.getInteger("leaderId"));
    }

    // ----- keys ---------------------------------------------------------------------------------

    @Test
    void keysWriteReadDeleteAndTheirErrors() throws Exception {
        String kv = "/v1/kv/{key}";
        JsonObject written = expect(200, call("PUT", kv, "/v1/kv/docs/a", "one"));
        long revision = written.getLong("revision");
        assertEquals("one", expect(200, call("GET", kv, "/v1/kv/docs/a", null)).getString("value"));
        HttpResponse<String> raw = call("GET", kv, "/v1/kv/docs/a?raw", null);
        assertEquals("one", raw.body());
        assertEquals(Long.toString(revision), raw.headers().firstValue("x-rafty-revision").orElse(""));
        // Not UTF-8: answered in base64, which the Entry schema allows with "encoding".
        HttpResponse<String> binary = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/docs/bin"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 0, (byte) 0xfe})).build(),
                HttpResponse.BodyHandlers.ofString());
        spec.check("PUT", kv, binary);
        assertEquals("base64", expect(200, call("GET", kv, "/v1/kv/docs/bin", null)).getString("encoding"));

        expectError(404, "key_not_found", call("GET", kv, "/v1/kv/docs/missing", null));
        expectError(400, "bad_request", call("GET", kv, "/v1/kv/docs/a?consistency=maybe", null));
        expectError(400, "bad_request", call("GET", kv, "/v1/kv/" + "k".repeat(1025), null));
        expectError(400, "future_revision", call("GET", kv, "/v1/kv/docs/a?revision=" + (revisionNow() + 1000), null));
        assertEquals("one", expect(200, call("GET", kv, "/v1/kv/docs/a?revision=" + revision, null)).getString("value"));

        JsonObject failed = expect(412, call("PUT", kv, "/v1/kv/docs/a?prevExist=false", "two"));
        assertEquals("compare_failed", failed.getString("error"));
        assertEquals("one", failed.getJsonObject("current").getString("value"));
        assertTrue(expect(412, call("PUT", kv, "/v1/kv/docs/new?prevExist=true", "x")).containsKey("current"));
        expectError(400, "bad_request", call("PUT", kv, "/v1/kv/docs/a?prevRevision=soon", "two"));
        expectError(400, "bad_request", call("PUT", kv, "/v1/kv/docs/a?lease=-3", "two"));
        expectError(404, "lease_not_found", call("PUT", kv, "/v1/kv/docs/a?lease=987654321", "two"));
        expectError(413, "too_large", call("PUT", kv, "/v1/kv/docs/a", "x".repeat(MAX_VALUE_BYTES + 1)));
        expectError(400, "bad_request", call("PUT", kv, "/v1/kv/docs/a", "two", "Idempotency-Key", "k".repeat(129)));

        expect(200, call("PUT", kv, "/v1/kv/docs/once", "v1", "Idempotency-Key", "docs-once"));
        HttpResponse<String> replay = call("PUT", kv, "/v1/kv/docs/once", "v1", "Idempotency-Key", "docs-once");
        expect(200, replay);
        assertEquals("true", replay.headers().firstValue("idempotency-replayed").orElse(""));
        expectError(422, "idempotency_key_reused", call("PUT", kv, "/v1/kv/docs/once", "v2", "Idempotency-Key",
                "docs-once"));

        expectError(412, "compare_failed", call("DELETE", kv, "/v1/kv/docs/a?prevValue=other", null));
        JsonObject deleted = expect(200, call("DELETE", kv, "/v1/kv/docs/a", null));
        assertTrue(deleted.getBoolean("deleted"));
        expectError(404, "key_not_found", call("DELETE", kv, "/v1/kv/docs/a", null));
        expectError(400, "bad_request", call("DELETE", kv, "/v1/kv/docs/a?prevExist=sometimes", null));
    }

    @Test
    void listingsAndCompaction() throws Exception {
        for (int i = 0; i < 5; i++) {
            expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/list/k" + i, "v" + i));
        }
        JsonObject page = expect(200, call("GET", "/v1/kv", "/v1/kv?prefix=list/&limit=2", null));
        assertEquals(2, page.getJsonArray("items").size());
        assertTrue(page.getBoolean("more"));
        long before = page.getLong("revision");
        expectError(400, "bad_request", call("GET", "/v1/kv", "/v1/kv?limit=0", null));
        expectError(400, "bad_request", call("GET", "/v1/kv", "/v1/kv?limit=many", null));
        expectError(400, "future_revision", call("GET", "/v1/kv", "/v1/kv?revision=" + (before + 1000), null));

        expectError(400, "bad_request", call("POST", "/v1/compact", "/v1/compact", "{\"revision\":\"soon\"}"));
        expectError(400, "bad_request", call("POST", "/v1/compact", "/v1/compact", "not json"));
        expectError(400, "future_revision", call("POST", "/v1/compact", "/v1/compact",
                "{\"revision\":" + (before + 1000) + "}"));
        expectError(413, "too_large", call("POST", "/v1/compact", "/v1/compact", "{\"revision\":" + " ".repeat(5000)
                + "1}"));
        expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/list/k0", "again"));
        JsonObject compacted = expect(200, call("POST", "/v1/compact", "/v1/compact", "{\"revision\":" + before + "}"));
        assertEquals(before, compacted.getLong("compactRevision"));
        expectError(410, "compacted", call("POST", "/v1/compact", "/v1/compact", "{\"revision\":" + (before - 1) + "}"));
        expectError(410, "compacted", call("GET", "/v1/kv", "/v1/kv?prefix=list/&revision=" + (before - 1), null));
        expectError(410, "compacted", call("GET", "/v1/kv/{key}", "/v1/kv/list/k0?revision=" + (before - 1), null));
        expectError(410, "compacted", call("GET", "/v1/watch/{key}", "/v1/watch/list/k0?fromRevision=1", null));
        expectError(410, "compacted", call("GET", "/v1/watch", "/v1/watch?prefix=list/&fromRevision=1", null));
    }

    // ----- transactions --------------------------------------------------------------------------

    @Test
    void transactions() throws Exception {
        String txn = "/v1/txn";
        JsonObject done = expect(200, call("POST", txn, txn, "{\"compare\":[{\"key\":\"t/a\",\"target\":\"version\","
                + "\"op\":\"==\",\"value\":0}],\"success\":[{\"op\":\"put\",\"key\":\"t/a\",\"value\":\"x\"},"
                + "{\"op\":\"put\",\"key\":\"t/b\",\"valueBase64\":\"/w==\"},{\"op\":\"delete\",\"prefix\":\"t/none/\"},"
                + "{\"op\":\"get\",\"prefix\":\"t/\"}],\"failure\":[]}"));
        assertTrue(done.getBoolean("succeeded"));
        assertEquals(4, done.getJsonArray("results").size());
        JsonObject read = expect(200, call("POST", txn, txn + "?consistency=stale",
                "{\"compare\":[{\"key\":\"t/a\",\"target\":\"exists\",\"op\":\"==\",\"value\":false}],"
                        + "\"success\":[],\"failure\":[{\"op\":\"get\",\"key\":\"t/a\"}]}"));
        assertFalse(read.getBoolean("succeeded"));
        expectError(400, "bad_request", call("POST", txn, txn, "{\"compare\":[],\"sucess\":[]}"));
        expectError(400, "bad_request", call("POST", txn, txn, "{\"success\":[{\"op\":\"put\",\"key\":\"t/c\","
                + "\"value\":\"1\"},{\"op\":\"put\",\"key\":\"t/c\",\"value\":\"2\"}]}"));
        expectError(400, "bad_request", call("POST", txn, txn, "[1,2]"));
        expectError(404, "lease_not_found", call("POST", txn, txn, "{\"success\":[{\"op\":\"put\",\"key\":\"t/l\","
                + "\"value\":\"1\",\"lease\":987654321}]}"));
        expectError(413, "too_large", call("POST", txn, txn, "{\"success\":[{\"op\":\"put\",\"key\":\"t/big\","
                + "\"value\":\"" + "x".repeat(MAX_VALUE_BYTES) + "\"}]}"));
        String once = "{\"success\":[{\"op\":\"put\",\"key\":\"t/once\",\"value\":\"1\"}]}";
        expect(200, call("POST", txn, txn, once, "Idempotency-Key", "txn-once"));
        expectError(422, "idempotency_key_reused", call("POST", txn, txn, once.replace("\"1\"", "\"2\""),
                "Idempotency-Key", "txn-once"));
    }

    // ----- leases ---------------------------------------------------------------------------------

    @Test
    void leases() throws Exception {
        JsonObject granted = expect(200, call("POST", "/v1/leases", "/v1/leases", "{\"ttl\":1}"));
        assertTrue(granted.containsKey("requestedTtl"), "a TTL below the minimum is raised, and the answer says so");
        long id = expect(200, call("POST", "/v1/leases", "/v1/leases", "{\"ttl\":60,\"id\":777}")).getLong("id");
        assertEquals(777, id);
        expectError(409, "lease_exists", call("POST", "/v1/leases", "/v1/leases", "{\"ttl\":60,\"id\":777}"));
        expectError(400, "bad_request", call("POST", "/v1/leases", "/v1/leases", "{\"ttl\":0}"));
        expectError(400, "bad_request", call("POST", "/v1/leases", "/v1/leases", "{\"ttl\":5,\"owner\":\"me\"}"));
        expectError(413, "too_large", call("POST", "/v1/leases", "/v1/leases", "{\"ttl\":" + " ".repeat(5000) + "5}"));
        expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/lease/a?lease=777", "held"));

        JsonObject list = expect(200, call("GET", "/v1/leases", "/v1/leases", null));
        assertTrue(list.getJsonArray("leases").size() >= 2);
        expectError(400, "bad_request", call("GET", "/v1/leases", "/v1/leases?consistency=eventually", null));

        JsonObject info = expect(200, call("GET", "/v1/leases/{id}", "/v1/leases/777", null));
        assertEquals("lease/a", info.getJsonArray("keys").getString(0));
        expectError(404, "lease_not_found", call("GET", "/v1/leases/{id}", "/v1/leases/778", null));
        expectError(400, "bad_request", call("GET", "/v1/leases/{id}", "/v1/leases/seven", null));

        assertEquals(60, expect(200, call("POST", "/v1/leases/{id}/keepalive", "/v1/leases/777/keepalive", null))
                .getLong("ttl"));
        expectError(404, "lease_not_found", call("POST", "/v1/leases/{id}/keepalive", "/v1/leases/778/keepalive",
                null));
        expectError(400, "bad_request", call("POST", "/v1/leases/{id}/keepalive", "/v1/leases/0/keepalive", null));

        assertEquals(1, expect(200, call("DELETE", "/v1/leases/{id}", "/v1/leases/777", null)).getInteger("deleted"));
        expectError(404, "lease_not_found", call("DELETE", "/v1/leases/{id}", "/v1/leases/777", null));
        expectError(400, "bad_request", call("DELETE", "/v1/leases/{id}", "/v1/leases/-1", null));
    }

    // ----- watches -------------------------------------------------------------------------------

    @Test
    void watchStreamsAndTheirRefusals() throws Exception {
        long first = expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/w/a", "1")).getLong("revision");
        expect(200, call("PUT", "/v1/kv/{key}", "/v1/kv/w/a", "2"));
        expect(200, call("DELETE", "/v1/kv/{key}", "/v1/kv/w/a", null));
        streamValidates("/v1/watch/{key}", "/v1/watch/w/a?fromRevision=" + first + "&prevKv=true&progressMs=100",
                Set.of("created", "change", "progress"));
        streamValidates("/v1/watch", "/v1/watch?prefix=w/&fromRevision=" + first + "&progressMs=100",
                Set.of("created", "change", "progress"));

        expectError(400, "bad_request", call("GET", "/v1/watch", "/v1/watch", null));
        expectError(400, "bad_request", call("GET", "/v1/watch", "/v1/watch?prefix=w/&since=3", null));
        expectError(400, "bad_request", call("GET", "/v1/watch", "/v1/watch?prefix=w/&progressMs=5", null));
        expectError(400, "bad_request", call("GET", "/v1/watch/{key}", "/v1/watch/w/a?prefix=w/", null));
        expectError(400, "bad_request", call("GET", "/v1/watch/{key}", "/v1/watch/w/a?prevKv=yes", null));
        expectError(400, "bad_request", call("GET", "/v1/watch/{key}", "/v1/watch/w/a", null,
                "Last-Event-ID", "latest"));
    }

    /**
     * Opens a watch, reads it until every event type in {@code wanted} has been seen (a deadline bounds the
     * wait), and validates the response and each message's data against the document.
     */
    private static void streamValidates(String template, String target, Set<String> wanted) throws Exception {
        HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + target))
                .header("accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            // The status and content type are checked like any answer's; the body is the stream, read below.
            spec.check("GET", template, new HeadersOnly(response));
            List<String[]> messages = new ArrayList<>();
            CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> readEvents(body, messages, wanted));
            reading.get(20, TimeUnit.SECONDS);
            Set<String> types = new TreeSet<>();
            for (String[] message : messages) {
                types.add(message[0]);
                spec.validate(spec.eventSchemaPointer(template, message[0]), message[1], "GET " + template + " event "
                        + message[0]);
            }
            assertTrue(types.containsAll(wanted), "saw " + types + ", wanted " + wanted);
        }
    }

    private static void readEvents(InputStream body, List<String[]> messages, Set<String> wanted) {
        Set<String> seen = new TreeSet<>();
        try (Stream<String> lines = new java.io.BufferedReader(new java.io.InputStreamReader(body,
                StandardCharsets.UTF_8)).lines()) {
            String[] event = {null};
            lines.takeWhile(line -> !seen.containsAll(wanted)).forEach(line -> {
                if (line.startsWith("event: ")) {
                    event[0] = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    messages.add(new String[] {event[0], line.substring(6)});
                    seen.add(event[0]);
                }
            });
        }
    }

    // ----- membership ------------------------------------------------------------------------------

    @Test
    void membershipChanges() throws Exception {
        String members = "/v1/cluster/members";
        expectError(400, "bad_request", call("POST", members, members, "{\"id\":5}"));
        expectError(400, "bad_request", call("POST", members, members, "{\"id\":5,\"address\":\"ftp://x\"}"));
        expectError(413, "too_large", call("POST", members, members, "{\"id\":5" + " ".repeat(5000) + "}"));
        // A learner at an address nobody serves: it joins the configuration, never catches up, and is removed.
        JsonObject added = expect(200, call("POST", members, members,
                "{\"id\":5,\"address\":\"http://127.0.0.1:9\",\"learner\":true}"));
        assertTrue(added.getJsonArray("members").stream().anyMatch(m -> ((JsonObject) m).getInteger("id") == 5));
        expectError(409, "member_exists", call("POST", members, members,
                "{\"id\":5,\"address\":\"http://127.0.0.1:10\",\"learner\":true}"));
        expectError(409, "learner_not_ready", call("POST", members + "/{id}/promote", members + "/5/promote", null));
        expectError(404, "member_not_found", call("POST", members + "/{id}/promote", members + "/6/promote", null));
        expectError(400, "bad_request", call("POST", members + "/{id}/promote", members + "/x/promote", null));
        expect(200, call("POST", members + "/{id}/promote", members + "/1/promote", null)); // a voter already

        expect(200, call("DELETE", members + "/{id}", members + "/5", null));
        expectError(404, "member_not_found", call("DELETE", members + "/{id}", members + "/5", null));
        expectError(400, "bad_request", call("DELETE", members + "/{id}", members + "/1", null));
        expectError(400, "bad_request", call("DELETE", members + "/{id}", members + "/0", null));

        String leader = "/v1/cluster/leader";
        expectError(400, "bad_request", call("POST", leader, leader, "{\"id\":\"one\"}"));
        expect(200, call("POST", leader, leader, "{\"id\":1}"));
    }

    /** A streaming response's status and headers, with an empty body, for {@link OpenApiSpec#check}. */
    private record HeadersOnly(HttpResponse<InputStream> stream) implements HttpResponse<String> {
        @Override
        public int statusCode() {
            return stream.statusCode();
        }

        @Override
        public HttpRequest request() {
            return stream.request();
        }

        @Override
        public java.util.Optional<HttpResponse<String>> previousResponse() {
            return java.util.Optional.empty();
        }

        @Override
        public java.net.http.HttpHeaders headers() {
            return stream.headers();
        }

        @Override
        public String body() {
            return "";
        }

        @Override
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() {
            return stream.sslSession();
        }

        @Override
        public URI uri() {
            return stream.uri();
        }

        @Override
        public HttpClient.Version version() {
            return stream.version();
        }
    }
}
