package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every malformed or out-of-bounds transaction is a clear JSON 4xx, and changes nothing. */
class TxnApiValidationTest {

    private static final int MAX_TXN_OPS = 8;

    @TempDir
    static Path dir;
    private static RaftyNode node;

    @BeforeAll
    static void start() throws Exception {
        node = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")),
                Map.of("maxTxnOps", MAX_TXN_OPS, "maxValueBytes", 4096)));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> txn(String body) throws Exception {
        return SingleNodeApi.send(node, "POST", "/v1/txn", body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The request is refused naming {@code named}, and nothing was appended to the log. (The last log index,
     * not the applied index: a write is answered before the node publishes its new applied index, but
     * long after it published the index it appended.)
     */
    private static void refused(String body, int status, String code, String named) throws Exception {
        long lastBefore = node.status().lastLogIndex();
        HttpResponse<String> response = txn(body);
        SingleNodeApi.assertError(response, status, code);
        String message = new JsonObject(response.body()).getString("message");
        assertTrue(message.contains(named), "the message names " + named + ": " + message);
        assertEquals(lastBefore, node.status().lastLogIndex(), "nothing was proposed");
    }

    private static String put(String key) {
        return "{\"op\":\"put\",\"key\":\"" + key + "\",\"value\":\"v\"}";
    }

    @Test
    void malformedBodiesAre400() throws Exception {
        refused("", 400, "bad_request", "JSON object");
        refused("{not json", 400, "bad_request", "JSON object");
        refused("[1,2]", 400, "bad_request", "JSON object");
        refused("{\"succes\":[]}", 400, "bad_request", "succes");
        refused("{\"success\":{}}", 400, "bad_request", "\"success\" must be an array");
        refused("{\"success\":[3]}", 400, "bad_request", "success[0] must be an object");
    }

    @Test
    void unknownTargetsOperatorsAndOpsAre400() throws Exception {
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"colour\",\"op\":\"==\",\"value\":1}]}", 400,
                "bad_request", "target");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"=~\",\"value\":1}]}", 400,
                "bad_request", "\"op\"");
        refused("{\"success\":[{\"op\":\"increment\",\"key\":\"a\"}]}", 400, "bad_request", "increment");
        refused("{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"v\",\"prevKv\":true}]}", 400, "bad_request",
                "prevKv");
    }

    @Test
    void compareValuesMustFitTheirTarget() throws Exception {
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"==\",\"value\":\"one\"}]}", 400,
                "bad_request", "non-negative integer");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"revision\",\"op\":\">\",\"value\":-1}]}", 400,
                "bad_request", "non-negative integer");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"version\",\"op\":\"==\",\"value\":1.5}]}", 400,
                "bad_request", "non-negative integer");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"exists\",\"op\":\"<\",\"value\":true}]}", 400,
                "bad_request", "== or !=");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"exists\",\"op\":\"==\",\"value\":1}]}", 400,
                "bad_request", "true or false");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"value\",\"op\":\"==\"}]}", 400, "bad_request", "value");
        refused("{\"compare\":[{\"key\":\"a\",\"target\":\"value\",\"op\":\"==\",\"valueBase64\":\"%%%\"}]}", 400,
                "bad_request", "base64");
    }

    @Test
    void keysMustBePresentNonEmptyAndWithinTheLimit() throws Exception {
        refused("{\"success\":[{\"op\":\"put\",\"value\":\"v\"}]}", 400, "bad_request", "key");
        refused("{\"success\":[" + put("") + "]}", 400, "bad_request", "empty");
        refused("{\"success\":[" + put("k".repeat(1025)) + "]}", 400, "bad_request", "1025 bytes");
        refused("{\"success\":[{\"op\":\"delete\",\"key\":\"a\",\"prefix\":\"a\"}]}", 400, "bad_request",
                "exactly one");
        refused("{\"success\":[{\"op\":\"get\"}]}", 400, "bad_request", "exactly one");
        refused("{\"success\":[{\"op\":\"get\",\"prefix\":\"p\",\"limit\":0}]}", 400, "bad_request", "limit");
    }

    @Test
    void aKeyWrittenTwiceInABranchIs400() throws Exception {
        refused("{\"success\":[" + put("a") + "," + put("a") + "]}", 400, "bad_request", "at most once");
        refused("{\"failure\":[{\"op\":\"delete\",\"prefix\":\"p/\"}," + put("p/x") + "]}", 400, "bad_request",
                "overlap");
        // The same key in both branches, or read and written in one, is fine.
        HttpResponse<String> ok = txn("{\"success\":[" + put("a") + ",{\"op\":\"get\",\"key\":\"a\"}],\"failure\":["
                + put("a") + "]}");
        assertEquals(200, ok.statusCode(), ok.body());
    }

    @Test
    void moreThanMaxTxnOpsIs400() throws Exception {
        JsonArray ops = new JsonArray();
        for (int i = 0; i <= MAX_TXN_OPS; i++) {
            ops.add(new JsonObject(put("k" + i)));
        }
        refused(new JsonObject().put("success", ops).encode(), 400, "bad_request", "maxTxnOps");
        JsonArray compares = new JsonArray();
        for (int i = 0; i <= MAX_TXN_OPS; i++) {
            compares.add(new JsonObject().put("key", "k" + i).put("target", "version").put("op", "==").put("value", 0));
        }
        refused(new JsonObject().put("compare", compares).encode(), 400, "bad_request", "maxTxnOps");
        ops.remove(0);
        HttpResponse<String> atTheLimit = txn(new JsonObject().put("success", ops).encode());
        assertEquals(200, atTheLimit.statusCode(), atTheLimit.body());
    }

    @Test
    void tooLargeValuesAndTransactionsAre413() throws Exception {
        refused("{\"success\":[{\"op\":\"put\",\"key\":\"a\",\"value\":\"" + "x".repeat(5000) + "\"}]}", 413,
                "too_large", "4096");
        JsonArray ops = new JsonArray();
        for (int i = 0; i < 4; i++) {
            ops.add(new JsonObject().put("op", "put").put("key", "k" + i).put("value", "x".repeat(1500)));
        }
        refused(new JsonObject().put("success", ops).encode(), 413, "too_large", "maxValueBytes");
    }

    @Test
    void aLeaseThatDoesNotExistIs404AndChangesNothing() throws Exception {
        HttpResponse<String> response = txn("{\"success\":[{\"op\":\"put\",\"key\":\"nolease\",\"value\":\"v\"},"
                + "{\"op\":\"put\",\"key\":\"leased\",\"value\":\"v\",\"lease\":42}]}");
        SingleNodeApi.assertError(response, 404, "lease_not_found");
        assertTrue(new JsonObject(response.body()).getString("message").contains("42"));
        assertEquals(404, SingleNodeApi.send(node, "GET", "/v1/kv/nolease", new byte[0]).statusCode(),
                "the whole transaction failed, on every node alike");
    }
}
