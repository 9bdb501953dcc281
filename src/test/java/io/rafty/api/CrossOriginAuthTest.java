package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.RootPassword;
import io.rafty.config.TestConfigs;
import io.rafty.raft.Role;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signed-in dashboard sends {@code Authorization: Bearer} to every member, cross-origin, so the browser asks
 * each member first (a preflight, which never carries a credential). On a node with auth on — and with
 * {@code /metrics} closed ({@code authMetricsOpen=false}), the strictest case — a preflight from a member's origin
 * that asks for the authorization header is answered before the gate; the real request without a token is still
 * 401, and that 401 carries the CORS headers so that the page can read why and show its sign-in form.
 */
class CrossOriginAuthTest {

    private static final String ROOT_PASSWORD = "root-secret-password";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;
    private static RaftyNode node;
    /** The node's own address under another loopback name: another origin to a browser, a member's to the node. */
    private static String origin;

    @BeforeAll
    static void start() throws Exception {
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        node = RaftyNode.start(TestConfigs.with(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")), Map.of(
                "auth", true, "authRootPassword", RootPassword.of(ROOT_PASSWORD), "authBcryptCost", 4,
                "authMetricsOpen", false)), addresses, new VertxOptions());
        addresses.put(1, node.url());
        origin = node.url().replace("127.0.0.1", "localhost");
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> node.status().role() == Role.LEADER
                && node.stateMachine().authState().enabled());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> preflight(String path, String method, String requestHeaders, String from)
            throws Exception {
        return send("OPTIONS", path, null, "Origin", from, "Access-Control-Request-Method", method,
                "Access-Control-Request-Headers", requestHeaders);
    }

    private static Optional<String> header(HttpResponse<String> response, String name) {
        return response.headers().firstValue(name);
    }

    private static void assertPreflightAllowsAuthorization(HttpResponse<String> response) {
        String what = response.request().uri() + " → " + response.statusCode() + " " + response.body();
        assertEquals(204, response.statusCode(), what);
        assertEquals(Optional.of(origin), header(response, "access-control-allow-origin"), what);
        List<String> allowed = List.of(header(response, "access-control-allow-headers").orElse("")
                .toLowerCase(Locale.ROOT).split("\\s*,\\s*"));
        assertTrue(allowed.contains("authorization"), "allowed headers " + allowed);
    }

    private static void assertUnauthenticatedReadableCrossOrigin(HttpResponse<String> response) {
        String what = response.request().method() + " " + response.request().uri() + " → " + response.body();
        assertEquals(401, response.statusCode(), what);
        assertEquals("unauthenticated", new JsonObject(response.body()).getString("error"), what);
        assertEquals(Optional.of(origin), header(response, "access-control-allow-origin"),
                "the page must be able to read the 401 to offer its sign-in form: " + what);
    }

    private static String rootToken() throws Exception {
        HttpResponse<String> login = send("POST", "/v1/auth/token",
                new JsonObject().put("user", "root").put("password", ROOT_PASSWORD).encode(),
                "Origin", origin, "content-type", "application/json");
        assertEquals(200, login.statusCode(), login.body());
        assertEquals(Optional.of(origin), header(login, "access-control-allow-origin"));
        return new JsonObject(login.body()).getString("token");
    }

    @Test
    void aMembersPreflightAskingForAuthorizationIsAnsweredOnTheClosedRoutes() throws Exception {
        assertPreflightAllowsAuthorization(preflight("/v1/cluster", "GET", "authorization", origin));
        assertPreflightAllowsAuthorization(preflight("/v1/kv/app/x", "PUT", "authorization,content-type", origin));
        assertPreflightAllowsAuthorization(preflight("/v1/kv", "GET", "authorization", origin));
        assertPreflightAllowsAuthorization(preflight("/v1/raft/log", "GET", "authorization", origin));
        assertPreflightAllowsAuthorization(preflight("/metrics", "GET", "authorization", origin));
        assertPreflightAllowsAuthorization(preflight("/v1/auth/token", "POST", "content-type", origin));
    }

    @Test
    void theRealRequestWithoutATokenIsStill401AndThePageCanReadIt() throws Exception {
        assertUnauthenticatedReadableCrossOrigin(send("GET", "/v1/cluster", null, "Origin", origin));
        assertUnauthenticatedReadableCrossOrigin(send("GET", "/v1/kv?prefix=app/", null, "Origin", origin));
        assertUnauthenticatedReadableCrossOrigin(send("PUT", "/v1/kv/app/x", "v", "Origin", origin));
        assertUnauthenticatedReadableCrossOrigin(send("GET", "/metrics", null, "Origin", origin));
        assertUnauthenticatedReadableCrossOrigin(send("GET", "/v1/cluster", null, "Origin", origin,
                "Authorization", "Bearer not-a-token"));
    }

    @Test
    void anOptionsRequestThatIsNoPreflightGetsNoFurtherThanTheGate() throws Exception {
        // Without Access-Control-Request-Method it is an ordinary request: the gate answers it like any other.
        HttpResponse<String> plain = send("OPTIONS", "/v1/kv/app/x", null, "Origin", origin);
        assertEquals(401, plain.statusCode(), plain.body());
        HttpResponse<String> noOrigin = send("OPTIONS", "/v1/kv/app/x", null, "Access-Control-Request-Method", "GET");
        assertEquals(401, noOrigin.statusCode(), noOrigin.body());
    }

    @Test
    void aStrangersPreflightIsRefusedAndGetsNoCorsHeaders() throws Exception {
        HttpResponse<String> stranger = preflight("/v1/cluster", "GET", "authorization", "http://evil.example");
        assertFalse(stranger.statusCode() < 300, "a stranger's preflight is refused: " + stranger.statusCode());
        assertEquals(Optional.empty(), header(stranger, "access-control-allow-origin"));
        HttpResponse<String> metrics = preflight("/metrics", "GET", "authorization", "http://evil.example");
        assertFalse(metrics.statusCode() < 300, "a stranger's preflight is refused: " + metrics.statusCode());
        assertEquals(Optional.empty(), header(metrics, "access-control-allow-origin"));
    }

    @Test
    void withRootsTokenTheCrossOriginRequestsAreServed() throws Exception {
        String bearer = "Bearer " + rootToken();
        HttpResponse<String> cluster = send("GET", "/v1/cluster", null, "Origin", origin, "Authorization", bearer);
        assertEquals(200, cluster.statusCode(), cluster.body());
        assertEquals(Optional.of(origin), header(cluster, "access-control-allow-origin"));
        HttpResponse<String> metrics = send("GET", "/metrics", null, "Origin", origin, "Authorization", bearer);
        assertEquals(200, metrics.statusCode(), metrics.body());
        assertEquals(Optional.of(origin), header(metrics, "access-control-allow-origin"));
    }
}
