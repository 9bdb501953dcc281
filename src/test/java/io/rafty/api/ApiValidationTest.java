package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.vertx.core.json.JsonObject;
import java.net.Socket;
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

/** Bad input gets a clear JSON 4xx naming the problem (DESIGN §4); one single-voter node serves them all. */
class ApiValidationTest {

    @TempDir
    static Path dir;
    private static RaftyNode node;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        node = SingleNodeApi.start(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, byte[] body) throws Exception {
        return SingleNodeApi.send(node, method, path, body);
    }

    private static void assertError(HttpResponse<String> response, int status, String code) {
        SingleNodeApi.assertError(response, status, code);
    }

    @Test
    void valueOverTheLimitIs413() throws Exception {
        assertError(send("PUT", "/v1/kv/big", new byte[2 << 20]), 413, "too_large");
    }

    @Test
    void emptyKeyIs400() throws Exception {
        assertError(send("PUT", "/v1/kv/", "x".getBytes(StandardCharsets.UTF_8)), 400, "bad_request");
    }

    @Test
    void overLongKeyIs400() throws Exception {
        assertError(send("PUT", "/v1/kv/" + "k".repeat(1025), new byte[1]), 400, "bad_request");
        assertEquals(200, send("PUT", "/v1/kv/" + "k".repeat(1024), new byte[1]).statusCode());
    }

    @Test
    void invalidPercentEncodingIs400() throws Exception {
        // java.net.URI refuses to build such a URI, so this one goes over a raw socket.
        try (Socket socket = new Socket("127.0.0.1", node.port())) {
            socket.getOutputStream().write(("GET /v1/kv/bad%zzkey HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 400"), response);
            assertTrue(response.contains("\"error\":\"bad_request\""), response);
        }
    }

    @Test
    void nonNumericPrevRevisionIs400() throws Exception {
        assertError(send("PUT", "/v1/kv/a?prevRevision=abc", new byte[1]), 400, "bad_request");
        assertError(send("DELETE", "/v1/kv/a?prevRevision=-1", new byte[0]), 400, "bad_request");
    }

    @Test
    void unknownConsistencyIs400() throws Exception {
        assertError(send("GET", "/v1/kv/a?consistency=eventual", new byte[0]), 400, "bad_request");
    }

    @Test
    void badPrevExistAndLimitAre400() throws Exception {
        assertError(send("PUT", "/v1/kv/a?prevExist=maybe", new byte[1]), 400, "bad_request");
        assertError(send("GET", "/v1/kv?limit=0", new byte[0]), 400, "bad_request");
        assertError(send("GET", "/v1/kv?limit=x", new byte[0]), 400, "bad_request");
    }

    @Test
    void unknownPathIs404AndWrongMethodIs405() throws Exception {
        assertError(send("GET", "/v2/nothing", new byte[0]), 404, "not_found");
        assertError(send("POST", "/v1/kv/a", new byte[1]), 405, "method_not_allowed");
    }

    @Test
    void garbagePeerMessageIs400AndChangesNothing() throws Exception {
        long term = node.status().term();
        assertError(send("POST", "/raft/messages", new byte[] {1, 0, 0, 0, 9, 3}), 400, "bad_request");
        assertEquals(term, node.status().term());
    }

    @Test
    void keysMayContainSlashesAndEncodedBytes() throws Exception {
        assertEquals(200, send("PUT", "/v1/kv/dir/sub/key%20one", "v".getBytes(StandardCharsets.UTF_8)).statusCode());
        HttpResponse<String> get = send("GET", "/v1/kv/dir/sub/key%20one", new byte[0]);
        assertEquals("dir/sub/key one", new JsonObject(get.body()).getString("key"));
    }

    @Test
    void binaryValuesComeBackAsBase64OrRaw() throws Exception {
        byte[] value = {(byte) 0xff, 0, (byte) 0xfe};
        assertEquals(200, send("PUT", "/v1/kv/bin", value).statusCode());
        JsonObject json = new JsonObject(send("GET", "/v1/kv/bin", new byte[0]).body());
        assertEquals("base64", json.getString("encoding"));
        assertEquals("/wD+", json.getString("value"));
        HttpResponse<byte[]> raw = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/bin?raw")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(3, raw.body().length);
        assertEquals((byte) 0xff, raw.body()[0]);
    }

    @Test
    void tooManyQueryParametersIs400() throws Exception {
        StringBuilder query = new StringBuilder("?");
        for (int i = 0; i < 40; i++) {
            query.append("p").append(i).append("=1&");
        }
        assertError(send("GET", "/v1/kv/a" + query, new byte[0]), 400, "bad_request");
    }

    @Test
    void missingKeyIs404KeyNotFound() throws Exception {
        assertError(send("GET", "/v1/kv/absent", new byte[0]), 404, "key_not_found");
    }
}
