package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Idempotency-Key} on the HTTP API: a retry replays the first answer; misuse is a clear 4xx. */
class IdempotencyApiTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    private static RaftyNode node;

    @BeforeAll
    static void start() throws Exception {
        node = SingleNodeApi.start(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path))
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static boolean replayed(HttpResponse<String> response) {
        return response.headers().firstValue("Idempotency-Replayed").map("true"::equals).orElse(false);
    }

    @Test
    void aRetriedPutGetsTheOriginalAnswerAndAppliesOnce() throws Exception {
        HttpResponse<String> first = send("PUT", "/v1/kv/idem/a", "v1", "Idempotency-Key", "order-1");
        assertEquals(200, first.statusCode(), first.body());
        assertFalse(replayed(first));
        send("PUT", "/v1/kv/idem/other", "x");
        HttpResponse<String> retry = send("PUT", "/v1/kv/idem/a", "v1", "Idempotency-Key", "order-1");
        assertEquals(200, retry.statusCode(), retry.body());
        assertTrue(replayed(retry));
        assertEquals(first.body(), retry.body(), "the same body, revision included");
        JsonObject stored = new JsonObject(send("GET", "/v1/kv/idem/a", "").body());
        assertEquals(1, stored.getLong("version"), "applied once");
    }

    @Test
    void aFailedCompareIsReplayedAsTheSame412() throws Exception {
        send("PUT", "/v1/kv/idem/cas", "a");
        HttpResponse<String> first = send("PUT", "/v1/kv/idem/cas?prevValue=b", "c", "Idempotency-Key", "cas-1");
        assertEquals(412, first.statusCode());
        send("PUT", "/v1/kv/idem/cas", "b");
        HttpResponse<String> retry = send("PUT", "/v1/kv/idem/cas?prevValue=b", "c", "Idempotency-Key", "cas-1");
        assertEquals(412, retry.statusCode(), "not evaluated again, though it would now succeed");
        assertTrue(replayed(retry));
        assertEquals("b", new JsonObject(send("GET", "/v1/kv/idem/cas", "").body()).getString("value"));
    }

    @Test
    void deletesAndTransactionsAreIdempotent() throws Exception {
        send("PUT", "/v1/kv/idem/d", "x");
        assertEquals(200, send("DELETE", "/v1/kv/idem/d", "", "Idempotency-Key", "del-1").statusCode());
        HttpResponse<String> again = send("DELETE", "/v1/kv/idem/d", "", "Idempotency-Key", "del-1");
        assertEquals(200, again.statusCode(), "the first answer, not the 404 a new delete would get");
        assertTrue(replayed(again));
        String txn = "{\"success\":[{\"op\":\"put\",\"key\":\"idem/t\",\"value\":\"1\"}]}";
        HttpResponse<String> first = send("POST", "/v1/txn", txn, "Idempotency-Key", "txn-1");
        HttpResponse<String> retry = send("POST", "/v1/txn", txn, "Idempotency-Key", "txn-1");
        assertEquals(first.body(), retry.body());
        assertTrue(replayed(retry));
        assertEquals(1, new JsonObject(send("GET", "/v1/kv/idem/t", "").body()).getLong("version"));
    }

    @Test
    void leaseGrantsAndRevokesAreIdempotent() throws Exception {
        HttpResponse<String> first = send("POST", "/v1/leases", "{\"ttl\":30}", "Idempotency-Key", "grant-1");
        HttpResponse<String> retry = send("POST", "/v1/leases", "{\"ttl\":30}", "Idempotency-Key", "grant-1");
        assertEquals(200, retry.statusCode(), retry.body());
        assertTrue(replayed(retry));
        long id = new JsonObject(first.body()).getLong("id");
        assertEquals(id, new JsonObject(retry.body()).getLong("id"), "one lease, not two");
        send("PUT", "/v1/kv/idem/leased?lease=" + id, "x");
        HttpResponse<String> revoked = send("DELETE", "/v1/leases/" + id, "", "Idempotency-Key", "revoke-1");
        HttpResponse<String> again = send("DELETE", "/v1/leases/" + id, "", "Idempotency-Key", "revoke-1");
        assertEquals(200, again.statusCode(), "the first answer, not the 404 a new revoke would get");
        assertTrue(replayed(again));
        assertEquals(new JsonObject(revoked.body()).getLong("revision"), new JsonObject(again.body()).getLong("revision"));
        assertEquals(1, new JsonObject(again.body()).getInteger("deleted"));
    }

    @Test
    void theSameKeyWithADifferentRequestIs422() throws Exception {
        send("PUT", "/v1/kv/idem/r", "one", "Idempotency-Key", "reuse-1");
        long before = node.status().lastLogIndex();
        HttpResponse<String> other = send("PUT", "/v1/kv/idem/r", "two", "Idempotency-Key", "reuse-1");
        SingleNodeApi.assertError(other, 422, "idempotency_key_reused");
        assertEquals("one", new JsonObject(send("GET", "/v1/kv/idem/r", "").body()).getString("value"));
        assertTrue(node.status().lastLogIndex() > before, "the refusal is decided in the log, on every node alike");
    }

    @Test
    void malformedKeysAre400() throws Exception {
        SingleNodeApi.assertError(send("PUT", "/v1/kv/idem/bad", "x", "Idempotency-Key", "k".repeat(129)), 400,
                "bad_request");
        SingleNodeApi.assertError(send("PUT", "/v1/kv/idem/bad", "x", "Idempotency-Key", ""), 400, "bad_request");
        HttpResponse<String> twice = send("PUT", "/v1/kv/idem/bad", "x", "Idempotency-Key", "a",
                "Idempotency-Key", "b");
        SingleNodeApi.assertError(twice, 400, "bad_request");
        assertEquals(404, send("GET", "/v1/kv/idem/bad", "").statusCode(), "nothing was written");
        assertEquals(200, send("PUT", "/v1/kv/idem/ok", "x", "Idempotency-Key", "k".repeat(128)).statusCode());
    }
}
