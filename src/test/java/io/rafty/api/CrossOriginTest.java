package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.Peer;
import io.rafty.config.TestConfigs;
import io.vertx.core.VertxOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard polls every member from the page one member served, so members let pages from their cluster's
 * origins read their answers, and nobody else's: a web site the operator visits must not read the store through
 * the operator's browser.
 */
class CrossOriginTest {

    /** A peer that never answers; only its address matters here. */
    private static final String PEER = "http://127.0.0.1:3999";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;
    private static RaftyNode node;

    @BeforeAll
    static void start() throws Exception {
        // As RaftyNode.addressesOf(config) fills it for a node started from its configuration.
        Map<Integer, String> addresses = new ConcurrentHashMap<>(Map.of(2, PEER));
        node = RaftyNode.start(TestConfigs.node(1, 0, List.of(new Peer(2, PEER)), dir.resolve("n1")), addresses,
                new VertxOptions());
        addresses.put(1, node.url());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Optional<String> allowedOrigin(HttpResponse<String> response) {
        return response.headers().firstValue("access-control-allow-origin");
    }

    @Test
    void aMembersPageMayReadTheStatusAndTheMetrics() throws Exception {
        HttpResponse<String> status = send("GET", "/v1/status", "Origin", PEER);
        assertEquals(200, status.statusCode(), status.body());
        assertEquals(Optional.of(PEER), allowedOrigin(status));
        assertEquals(Optional.of("origin"), status.headers().firstValue("vary"));
        HttpResponse<String> metrics = send("GET", "/metrics", "Origin", node.url());
        assertEquals(200, metrics.statusCode());
        assertEquals(Optional.of(node.url()), allowedOrigin(metrics));
    }

    @Test
    void loopbackNamesCountAsOneHostButThePortMustMatch() throws Exception {
        assertEquals(Optional.of("http://localhost:3999"),
                allowedOrigin(send("GET", "/v1/status", "Origin", "http://localhost:3999")));
        assertEquals(Optional.empty(), allowedOrigin(send("GET", "/v1/status", "Origin", "http://localhost:3998")));
        assertEquals(Optional.empty(), allowedOrigin(send("GET", "/v1/status", "Origin", "https://127.0.0.1:3999")));
    }

    @Test
    void anyOtherOriginGetsNoCorsHeaders() throws Exception {
        HttpResponse<String> status = send("GET", "/v1/status", "Origin", "http://evil.example");
        assertEquals(200, status.statusCode(), "the request itself is served; the browser hides the answer");
        assertEquals(Optional.empty(), allowedOrigin(status));
        assertEquals(Optional.empty(), allowedOrigin(send("GET", "/v1/status", "Origin", "null")));
        assertEquals(Optional.empty(), allowedOrigin(send("GET", "/v1/status")));
    }

    @Test
    void preflightFromAMemberIsAnsweredAndFromAStrangerIsNot() throws Exception {
        HttpResponse<String> member = send("OPTIONS", "/v1/kv/some/key", "Origin", PEER,
                "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type");
        assertEquals(204, member.statusCode(), member.body());
        assertEquals(Optional.of(PEER), allowedOrigin(member));
        String methods = member.headers().firstValue("access-control-allow-methods").orElse("");
        assertTrue(methods.contains("PUT") && methods.contains("DELETE"), methods);
        assertTrue(member.headers().firstValue("access-control-allow-headers").orElse("").contains("content-type"));

        HttpResponse<String> stranger = send("OPTIONS", "/v1/kv/some/key", "Origin", "http://evil.example",
                "Access-Control-Request-Method", "PUT");
        assertFalse(stranger.statusCode() < 300, "a stranger's preflight is refused: " + stranger.statusCode());
        assertEquals(Optional.empty(), allowedOrigin(stranger));
    }

    @Test
    void peerRoutesNeverGetCorsHeaders() throws Exception {
        HttpResponse<String> peer = send("POST", "/raft/messages", "Origin", PEER);
        assertEquals(Optional.empty(), allowedOrigin(peer));
    }
}
