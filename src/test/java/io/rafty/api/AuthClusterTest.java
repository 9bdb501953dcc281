package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.ClusterSecret;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.config.RootPassword;
import io.rafty.config.TestConfigs;
import io.rafty.raft.Role;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real nodes with auth on (and a cluster secret): every route is closed without a token unless it is on the
 * open list, a role with read on {@code app/} reads there and nowhere else, on every node with a token from any
 * node, and a role change or a password change takes effect on every node within the documented bound; bad
 * credentials and bad auth requests are clear 4xx JSON, and no password or token ever reaches the log.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthClusterTest {

    private static final String ROOT_PASSWORD = "root-secret-password";
    private static final String ALICE_PASSWORD = "alice-secret-password";
    /** The bound docs/SECURITY.md states for a role change to count on every node (it is normally milliseconds). */
    private static final Duration ROLE_CHANGE_BOUND = Duration.ofSeconds(5);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The open list ({@link AuthOpenRoutes}): a new route fails the walk until it is closed or opened on purpose. */
    private static final Set<String> OPEN_ROUTES = AuthOpenRoutes.ROUTES;

    @TempDir
    static Path dir;
    private static final Map<Integer, String> ADDRESSES = new ConcurrentHashMap<>();
    private static final List<RaftyNode> NODES = new ArrayList<>();
    private static final List<LogRecord> LOGGED = java.util.Collections.synchronizedList(new ArrayList<>());
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            LOGGED.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private static Level raftyLevel;
    private static String rootToken;
    private static String aliceToken;

    @BeforeAll
    static void start() throws Exception {
        Logger rafty = Logger.getLogger("io.rafty");
        raftyLevel = rafty.getLevel();
        rafty.setLevel(Level.ALL);
        rafty.addHandler(CAPTURE);
        Logger.getLogger("").addHandler(CAPTURE);
        List<Integer> ports = List.of(freePort(), freePort(), freePort());
        for (int id = 1; id <= 3; id++) {
            List<Peer> peers = new ArrayList<>();
            for (int other = 1; other <= 3; other++) {
                if (other != id) {
                    peers.add(new Peer(other, "http://127.0.0.1:" + ports.get(other - 1)));
                }
            }
            NodeConfig config = TestConfigs.with(TestConfigs.node(id, 0, peers, dir.resolve("node" + id)), Map.of(
                    "auth", true, "authRootPassword", RootPassword.of(ROOT_PASSWORD), "authBcryptCost", 4,
                    "clusterSecret", ClusterSecret.of("a-cluster-secret-of-enough-bytes"),
                    "etcdPort", id == 1 ? freePort() : 0));
            RaftyNode node = RaftyNode.start(config, ADDRESSES, new VertxOptions());
            ADDRESSES.put(id, node.url());
            NODES.add(node);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> NODES.stream().anyMatch(n ->
                n.status().role() == Role.LEADER)
                && NODES.stream().allMatch(n -> n.stateMachine().authState().enabled()));
        rootToken = login(1, "root", ROOT_PASSWORD);
    }

    @AfterAll
    static void stop() {
        NODES.forEach(RaftyNode::close);
        Logger.getLogger("io.rafty").removeHandler(CAPTURE);
        Logger.getLogger("").removeHandler(CAPTURE);
        Logger.getLogger("io.rafty").setLevel(raftyLevel);
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    // ----- requests ---------------------------------------------------------------------------

    private static HttpResponse<String> call(int node, String method, String target, String body, String token,
                                             String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ADDRESSES.get(node) + target))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("authorization", "Bearer " + token);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static String login(int node, String user, String password) throws Exception {
        HttpResponse<String> response = call(node, "POST", "/v1/auth/token",
                new JsonObject().put("user", user).put("password", password).encode(), null);
        assertEquals(200, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertEquals(NodeConfig.DEFAULT_AUTH_TOKEN_TTL_S, body.getInteger("expiresInS"));
        return body.getString("token");
    }

    private static void assertError(int status, String code, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.request().method() + " " + response.request().uri()
                + " → " + response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"),
                response.request().uri() + " answers JSON");
        JsonObject body = new JsonObject(response.body());
        assertEquals(code, body.getString("error"), response.body());
        assertTrue(body.getString("message").length() > 5, "the message names the problem: " + response.body());
    }

    private static void assertOk(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.request().method() + " " + response.request().uri()
                + " → " + response.body());
    }

    // ----- the route walk ---------------------------------------------------------------------

    /**
     * A concrete request target for a route's path: parameters filled in, and a name after a wildcard route's
     * prefix (Vert.x reports {@code /v1/kv/*} as {@code /v1/kv/}).
     */
    private static String target(String path) {
        String filled = path.replace(":id", "1").replace(":name", "someone");
        return filled.endsWith("/") && filled.length() > 1 ? filled + "x" : filled;
    }

    @Test
    @Order(1)
    void everyRouteOfTheRouterIsClosedWithoutATokenUnlessItIsOnTheOpenList() throws Exception {
        for (int node = 1; node <= 3; node++) {
            List<Route> routes = NODES.get(node - 1).api().routes();
            Set<String> walked = new TreeSet<>();
            Set<String> open = new TreeSet<>();
            for (Route route : routes) {
                String path = route.getPath();
                if (path == null) {
                    continue; // the gate itself and the failure handler: no path of their own
                }
                Set<HttpMethod> methods = route.methods();
                List<String> names = methods == null || methods.isEmpty() ? List.of("ANY")
                        : methods.stream().map(HttpMethod::name).toList();
                for (String method : names) {
                    String id = method + " " + path;
                    walked.add(id);
                    String send = method.equals("ANY") ? "GET" : method;
                    HttpResponse<String> response = call(node, send, target(path), send.equals("GET") ? null : "{}",
                            null);
                    if (OPEN_ROUTES.contains(id)) {
                        open.add(id);
                        assertNotEquals(401, response.statusCode(), id + " is on the open list: " + response.body());
                    } else {
                        assertError(401, "unauthenticated", response);
                    }
                }
            }
            assertTrue(walked.size() > 30, "walked the whole router: " + walked);
            assertTrue(walked.containsAll(List.of("PUT /v1/kv/", "GET /v1/watch", "POST /v1/txn",
                    "GET /v1/snapshot", "POST /raft/messages", "PUT /v1/auth/users/:name")), walked.toString());
            assertEquals(new TreeSet<>(OPEN_ROUTES), open, "every open route exists, and no other is open");
        }
    }

    @Test
    @Order(2)
    void theEtcdPortRefusesCallsWithoutAToken() throws Exception {
        int etcdPort = NODES.get(0).etcdPort();
        try (io.etcd.jetcd.Client client = io.etcd.jetcd.Client.builder()
                .endpoints("http://127.0.0.1:" + etcdPort).build()) {
            java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                    java.util.concurrent.ExecutionException.class, () -> client.getKVClient()
                            .get(io.etcd.jetcd.ByteSequence.from("app/x", StandardCharsets.UTF_8))
                            .get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(refused.getCause().getMessage().contains("UNAUTHENTICATED"), refused.getCause().toString());
            org.junit.jupiter.api.Assertions.assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> client.getLeaseClient().grant(10).get(20, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    // ----- a reader of app/ -------------------------------------------------------------------

    @Test
    @Order(3)
    void aReaderOfAppReadsThereOnEveryNodeAndNowhereElse() throws Exception {
        assertOk(call(2, "PUT", "/v1/auth/roles/app-reader",
                "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}", rootToken));
        assertOk(call(3, "PUT", "/v1/auth/roles/w-writer",
                "{\"permissions\":[{\"prefix\":\"w/\",\"access\":\"write\"}]}", rootToken));
        assertOk(call(1, "PUT", "/v1/kv/app/x", "1", rootToken));
        assertOk(call(1, "PUT", "/v1/kv/other/x", "2", rootToken));
        assertOk(call(3, "PUT", "/v1/auth/users/alice",
                new JsonObject().put("password", ALICE_PASSWORD).put("roles", List.of("app-reader", "w-writer"))
                        .encode(), rootToken));
        aliceToken = login(2, "alice", ALICE_PASSWORD);
        for (int node = 1; node <= 3; node++) {
            assertEquals("1", new JsonObject(call(node, "GET", "/v1/kv/app/x", null, aliceToken).body())
                    .getString("value"), "node " + node);
            assertOk(call(node, "GET", "/v1/kv?prefix=app/", null, aliceToken));
            assertOk(call(node, "GET", "/v1/kv/app/x?consistency=stale", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv/other/x", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv/other/x?revision=2", null, aliceToken));
            assertError(403, "permission_denied", call(node, "PUT", "/v1/kv/app/x", "3", aliceToken));
            assertError(403, "permission_denied", call(node, "DELETE", "/v1/kv/app/x", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv?prefix=", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv?prefix=ap", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/watch?prefix=", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/watch?prefix=a", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/watch/other/x", null, aliceToken));
            assertError(403, "permission_denied", call(node, "POST", "/v1/txn",
                    "{\"compare\":[{\"key\":\"other/x\",\"target\":\"value\",\"op\":\"==\",\"value\":\"2\"}],"
                            + "\"success\":[{\"op\":\"get\",\"key\":\"app/x\"}]}", aliceToken));
            assertError(403, "permission_denied", call(node, "POST", "/v1/txn",
                    "{\"success\":[{\"op\":\"delete\",\"prefix\":\"\"}]}", aliceToken));
            assertOk(call(node, "POST", "/v1/txn",
                    "{\"compare\":[{\"key\":\"app/x\",\"target\":\"value\",\"op\":\"==\",\"value\":\"1\"}],"
                            + "\"success\":[{\"op\":\"get\",\"key\":\"app/x\"},{\"op\":\"put\",\"key\":\"w/t\","
                            + "\"value\":\"v\"}]}", aliceToken));
            // Write without read on w/: a plain put is allowed, a put whose precondition reads the current value
            // (and whose 412 answers with it) is not — previous values need read.
            assertOk(call(node, "PUT", "/v1/kv/w/k", "v" + node, aliceToken));
            assertError(403, "permission_denied", call(node, "PUT", "/v1/kv/w/k?prevValue=v1", "z", aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv/w/k", null, aliceToken));
            // Admin and cluster routes need root.
            assertError(403, "permission_denied", call(node, "GET", "/v1/cluster", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/raft/log", null, aliceToken));
            assertError(403, "permission_denied", call(node, "POST", "/v1/compact", "{\"revision\":1}", aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/snapshot", null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/auth/users", null, aliceToken));
            // Leases: granting is any user's; revoking and listing (anyone's keys) need every key.
            HttpResponse<String> lease = call(node, "POST", "/v1/leases", "{\"ttl\":60}", aliceToken);
            assertOk(lease);
            long id = new JsonObject(lease.body()).getLong("id");
            assertError(403, "permission_denied", call(node, "DELETE", "/v1/leases/" + id, null, aliceToken));
            assertError(403, "permission_denied", call(node, "GET", "/v1/leases", null, aliceToken));
            assertOk(call(node, "DELETE", "/v1/leases/" + id, null, rootToken));
        }
        // A watch inside app/ streams.
        HttpResponse<InputStream> watch = HTTP.send(HttpRequest.newBuilder(URI.create(ADDRESSES.get(2)
                        + "/v1/watch?prefix=app/")).header("authorization", "Bearer " + aliceToken)
                .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, watch.statusCode());
        try (InputStream stream = watch.body()) {
            byte[] first = stream.readNBytes("event: created".length());
            assertEquals("event: created", new String(first, StandardCharsets.UTF_8));
        }
    }


    @Test
    @Order(4)
    void onTheEtcdPortTheReaderOfAppReadsThereAndNowhereElse() throws Exception {
        String endpoint = "http://127.0.0.1:" + NODES.get(0).etcdPort();
        io.etcd.jetcd.ByteSequence appX = io.etcd.jetcd.ByteSequence.from("app/x", StandardCharsets.UTF_8);
        io.etcd.jetcd.ByteSequence otherX = io.etcd.jetcd.ByteSequence.from("other/x", StandardCharsets.UTF_8);
        try (io.etcd.jetcd.Client alice = io.etcd.jetcd.Client.builder().endpoints(endpoint)
                .user(io.etcd.jetcd.ByteSequence.from("alice", StandardCharsets.UTF_8))
                .password(io.etcd.jetcd.ByteSequence.from(ALICE_PASSWORD, StandardCharsets.UTF_8)).build();
             io.etcd.jetcd.Client root = io.etcd.jetcd.Client.builder().endpoints(endpoint)
                .user(io.etcd.jetcd.ByteSequence.from("root", StandardCharsets.UTF_8))
                .password(io.etcd.jetcd.ByteSequence.from(ROOT_PASSWORD, StandardCharsets.UTF_8)).build()) {
            var read = alice.getKVClient().get(appX).get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("1", read.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8));
            assertEtcdDenied(() -> alice.getKVClient().get(otherX).get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertEtcdDenied(() -> alice.getKVClient().put(appX, otherX).get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertEtcdDenied(() -> alice.getKVClient().get(io.etcd.jetcd.ByteSequence.from("a", StandardCharsets.UTF_8),
                    io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
                    .get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertEtcdDenied(() -> alice.getKVClient().txn().If(new io.etcd.jetcd.op.Cmp(otherX,
                    io.etcd.jetcd.op.Cmp.Op.EQUAL, io.etcd.jetcd.op.CmpTarget.version(1))).commit()
                    .get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertEtcdDenied(() -> alice.getKVClient().put(io.etcd.jetcd.ByteSequence.from("w/e", StandardCharsets.UTF_8),
                    appX, io.etcd.jetcd.options.PutOption.builder().withPrevKV().build())
                    .get(20, java.util.concurrent.TimeUnit.SECONDS));
            alice.getKVClient().put(io.etcd.jetcd.ByteSequence.from("w/e", StandardCharsets.UTF_8), appX)
                    .get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEtcdDenied(() -> alice.getLeaseClient().grant(60).get(20, java.util.concurrent.TimeUnit.SECONDS));
            assertEtcdDenied(() -> alice.getClusterClient().listMember().get(20, java.util.concurrent.TimeUnit.SECONDS));
            // A watch of every key is refused (cancelled at once); root may do everything.
            java.util.concurrent.CompletableFuture<Throwable> cancelled = new java.util.concurrent.CompletableFuture<>();
            alice.getWatchClient().watch(io.etcd.jetcd.ByteSequence.from(new byte[] {0}),
                    io.etcd.jetcd.options.WatchOption.builder().withRange(io.etcd.jetcd.ByteSequence.from(new byte[] {0}))
                            .build(), io.etcd.jetcd.Watch.listener(response -> { }, cancelled::complete));
            Throwable why = cancelled.get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(String.valueOf(why).contains("permission denied"), String.valueOf(why));
            assertEquals(1, root.getKVClient().get(otherX).get(20, java.util.concurrent.TimeUnit.SECONDS).getKvs().size());
            assertEquals(3, root.getClusterClient().listMember().get(20, java.util.concurrent.TimeUnit.SECONDS)
                    .getMembers().size());
        }
    }

    private static void assertEtcdDenied(org.junit.jupiter.api.function.Executable call) {
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, call);
        assertTrue(String.valueOf(refused.getCause()).contains("etcdserver: permission denied"),
                String.valueOf(refused.getCause()));
    }

    @Test
    @Order(5)
    void anIdempotentWriteIsReplayedOnlyToTheUserWhoMadeIt() throws Exception {
        HttpResponse<String> first = call(1, "PUT", "/v1/kv/w/once", "v", rootToken, "idempotency-key", "k-1");
        assertOk(first);
        HttpResponse<String> replay = call(2, "PUT", "/v1/kv/w/once", "v", rootToken, "idempotency-key", "k-1");
        assertEquals("true", replay.headers().firstValue("idempotency-replayed").orElse(""), replay.body());
        HttpResponse<String> other = call(3, "PUT", "/v1/kv/w/once", "v", aliceToken, "idempotency-key", "k-1");
        assertOk(other);
        assertTrue(other.headers().firstValue("idempotency-replayed").isEmpty(), "not root's answer: " + other.body());
        assertNotEquals(new JsonObject(first.body()).getLong("revision"),
                new JsonObject(other.body()).getLong("revision"));
    }

    @Test
    @Order(6)
    void removingTheRoleAndChangingThePasswordTakeEffectOnEveryNodeWithinTheBound() throws Exception {
        assertOk(call(1, "GET", "/v1/kv/app/x", null, aliceToken));
        // A watch alice opened before the change: it must end once node 3 applies it, not stream on.
        HttpResponse<InputStream> watch = HTTP.send(HttpRequest.newBuilder(URI.create(ADDRESSES.get(3)
                        + "/v1/watch?prefix=app/&progressMs=100")).header("authorization", "Bearer " + aliceToken)
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, watch.statusCode());
        java.util.concurrent.CompletableFuture<String> streamed = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                    StringBuilder seen = new StringBuilder();
                    try (java.io.BufferedReader lines = new java.io.BufferedReader(new java.io.InputStreamReader(
                            watch.body(), StandardCharsets.UTF_8))) {
                        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                            seen.append(line).append('\n');
                        }
                    } catch (java.io.IOException e) {
                        seen.append("failed: ").append(e);
                    }
                    return seen.toString();
                });
        long started = System.nanoTime();
        assertOk(call(2, "PUT", "/v1/auth/users/alice", "{\"roles\":[]}", rootToken));
        Awaitility.await().atMost(ROLE_CHANGE_BOUND).pollInterval(Duration.ofMillis(10)).until(() -> {
            for (int node = 1; node <= 3; node++) {
                if (call(node, "GET", "/v1/kv/app/x?consistency=stale", null, aliceToken).statusCode() != 403) {
                    return false;
                }
            }
            return true;
        });
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(ROLE_CHANGE_BOUND) < 0);
        String stream = streamed.get(ROLE_CHANGE_BOUND.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        assertTrue(stream.startsWith("event: created"), stream);
        assertTrue(stream.contains("event: cancelled\ndata: {\"reason\":\"permission_denied\""),
                "the running watch ended when its user lost the role: " + stream);
        for (int node = 1; node <= 3; node++) {
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv/app/x", null, aliceToken));
        }
        // The etcd port reads the same table: the reader is refused there too.
        try (io.etcd.jetcd.Client alice = io.etcd.jetcd.Client.builder()
                .endpoints("http://127.0.0.1:" + NODES.get(0).etcdPort())
                .user(io.etcd.jetcd.ByteSequence.from("alice", StandardCharsets.UTF_8))
                .password(io.etcd.jetcd.ByteSequence.from(ALICE_PASSWORD, StandardCharsets.UTF_8)).build()) {
            assertEtcdDenied(() -> alice.getKVClient().get(io.etcd.jetcd.ByteSequence.from("app/x",
                    StandardCharsets.UTF_8)).get(20, java.util.concurrent.TimeUnit.SECONDS));
        }
        // A new password revokes the old token everywhere (401, not 403: the token itself is no longer good).
        assertOk(call(3, "PUT", "/v1/auth/users/alice", "{\"password\":\"another-password\"}", rootToken));
        Awaitility.await().atMost(ROLE_CHANGE_BOUND).pollInterval(Duration.ofMillis(10)).until(() -> {
            for (int node = 1; node <= 3; node++) {
                if (call(node, "GET", "/v1/kv/app/x?consistency=stale", null, aliceToken).statusCode() != 401) {
                    return false;
                }
            }
            return true;
        });
        assertError(401, "unauthenticated", call(1, "GET", "/v1/kv/app/x", null, aliceToken));
    }

    // ----- bad input ----------------------------------------------------------------------------

    @Test
    @Order(7)
    void badCredentialsAndBadAuthRequestsAreClear4xxJson() throws Exception {
        byte[] key = NODES.get(0).stateMachine().authState().signingKey();
        long now = System.currentTimeMillis() / 1000;
        long rootRevision = NODES.get(0).stateMachine().authState().user("root").passwordRevision();
        byte[] otherKey = key.clone();
        otherKey[0] ^= 1;
        String badSignature = io.rafty.security.Tokens.mint(otherKey, "root", rootRevision, now + 300);
        String expired = io.rafty.security.Tokens.mint(key, "root", rootRevision, now - 1);
        String unknownUser = io.rafty.security.Tokens.mint(key, "mallory", 1, now + 300);
        for (String header : new String[] {"Bearer", "Bearer ", "Basic cm9vdDpyb290", "Bearer not-a-token",
                "Bearer a.b.c", "Bearer " + rootToken + "x", "Bearer " + badSignature, "Bearer " + expired,
                "Bearer " + unknownUser, "Bearer " + "A".repeat(2000)}) {
            HttpResponse<String> response = call(1, "GET", "/v1/kv/app/x", null, null, "authorization", header);
            assertError(401, "unauthenticated", response);
            assertFalse(response.body().contains(rootToken) || response.body().contains(badSignature),
                    "the answer quotes no token");
        }
        assertTrue(new JsonObject(call(1, "GET", "/v1/kv/app/x", null, null, "authorization", "Bearer "
                + "A".repeat(2000)).body()).getString("message").contains("authHeaderBytesMax"));
        assertTrue(new JsonObject(call(1, "GET", "/v1/kv/app/x", null, expired).body()).getString("message")
                .contains("expired"));
        // Logins.
        assertError(401, "unauthenticated", call(2, "POST", "/v1/auth/token",
                "{\"user\":\"nobody\",\"password\":\"whatever-it-is\"}", null));
        assertError(401, "unauthenticated", call(2, "POST", "/v1/auth/token",
                "{\"user\":\"root\",\"password\":\"wrong-password\"}", null));
        for (String body : new String[] {"", "not json", "[]", "{\"user\":\"root\"}", "{\"user\":\"\",\"password\":\"x\"}",
                "{\"user\":\"root\",\"password\":7}", "{\"user\":\"root\",\"password\":\"p\",\"extra\":1}"}) {
            assertError(400, "bad_request", call(3, "POST", "/v1/auth/token", body, null));
        }
        // The auth API.
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/users/bob", "{\"roles\":[]}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/users/bob", "{\"password\":\"short\"}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/users/bob", "{}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/users/b%20b",
                "{\"password\":\"long-enough-password\"}", rootToken));
        assertError(405, "method_not_allowed", call(1, "PUT", "/v1/auth/users/",
                "{\"password\":\"long-enough-password\"}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/roles/r",
                "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"everything\"}]}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/roles/r",
                "{\"permissions\":[{\"access\":\"read\"}]}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/roles/r", "{\"permissions\":\"all\"}", rootToken));
        assertError(400, "bad_request", call(1, "PUT", "/v1/auth/roles/root", "{\"permissions\":[]}", rootToken));
        assertError(400, "bad_request", call(1, "DELETE", "/v1/auth/users/root", null, rootToken));
        assertError(404, "user_not_found", call(1, "GET", "/v1/auth/users/ghost", null, rootToken));
        JsonObject rootUser = new JsonObject(call(2, "GET", "/v1/auth/users/root", null, rootToken).body());
        assertEquals(List.of("root"), rootUser.getJsonArray("roles").getList());
        assertFalse(rootUser.encode().contains("$2"), "no hash in answers");
    }

    @Test
    @Order(8)
    void failedLoginsAreCountedAndNoPasswordOrTokenIsLogged() throws Exception {
        HttpResponse<String> metrics = call(2, "GET", "/metrics", null, null);
        assertOk(metrics);
        assertTrue(metrics.body().lines().anyMatch(line -> line.startsWith("rafty_auth_failures_total{")
                && line.contains("kind=\"login\"") && !line.endsWith(" 0.0")), "failed logins are counted");
        List<String> secrets = new ArrayList<>(List.of(ROOT_PASSWORD, ALICE_PASSWORD, "another-password",
                "wrong-password", "whatever-it-is", rootToken, aliceToken));
        List<String> lines = new ArrayList<>();
        synchronized (LOGGED) {
            for (LogRecord record : LOGGED) {
                StringBuilder line = new StringBuilder(String.valueOf(record.getMessage()));
                if (record.getParameters() != null) {
                    for (Object parameter : record.getParameters()) {
                        line.append(' ').append(parameter);
                    }
                }
                for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                    line.append(' ').append(t);
                }
                lines.add(line.toString());
            }
        }
        assertTrue(lines.size() > 10, "the capture saw the nodes' log: " + lines.size());
        assertTrue(lines.stream().anyMatch(line -> line.contains("auth enabled through the log")), lines.toString());
        for (String line : lines) {
            for (String secret : secrets) {
                assertFalse(line.contains(secret), "a secret in the log: " + line);
            }
            assertFalse(line.contains("$2b$"), "a password hash in the log: " + line);
        }
    }
}
