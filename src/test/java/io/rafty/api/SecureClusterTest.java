package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.ClusterSecret;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.config.RootPassword;
import io.rafty.config.TestConfigs;
import io.rafty.node.NodeStatus;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.Role;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.RequestVote;
import io.rafty.security.TestPki;
import io.rafty.transport.MessageCodec;
import io.rafty.transport.PeerClient;
import io.rafty.transport.SnapshotSender;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real nodes with everything on at once, as {@code ./run-cluster.sh start --secure} runs them: TLS on the
 * client port with required client certificates (client CA), mutual TLS between peers (peer CA, {@code https://}
 * peers), the cluster secret, and auth. A forged peer message and a forged snapshot chunk change nothing and get
 * 401; without a token every route but the open list is 401; a reader of {@code app/} reads there on every node
 * and nowhere else; a role change counts on every node within the stated bound; plaintext and a wrong client
 * certificate do not get in. ({@link AuthClusterTest} and {@code TlsClusterTest} test each half in more depth.)
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecureClusterTest {

    private static final String ROOT_PASSWORD = "root-password-of-the-secure-test";
    private static final String ALICE_PASSWORD = "alice-password-of-the-secure-test";
    /** docs/SECURITY.md's bound for a role change to count on every node. */
    private static final Duration ROLE_CHANGE_BOUND = Duration.ofSeconds(5);
    private static final Duration BUDGET = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    private static final Map<Integer, String> ADDRESSES = new ConcurrentHashMap<>();
    private static final List<RaftyNode> NODES = new ArrayList<>();
    private static TestPki clientCa;
    private static TestPki peerCa;
    private static TestPki.Leaf client;
    private static TestPki.Leaf wrongClient;
    private static HttpClient https;
    private static String rootToken;

    @BeforeAll
    static void start() throws Exception {
        clientCa = TestPki.ca(dir.resolve("pki"), "clients");
        peerCa = TestPki.ca(dir.resolve("pki"), "peers");
        TestPki.Leaf node = peerCa.issue("node");
        client = clientCa.issue("client");
        wrongClient = TestPki.ca(dir.resolve("pki"), "wrong").issue("client");
        https = client(client.context(peerCa.certificate()));
        List<Integer> ports = List.of(freePort(), freePort(), freePort());
        for (int id = 1; id <= 3; id++) {
            List<Peer> peers = new ArrayList<>();
            for (int other = 1; other <= 3; other++) {
                if (other != id) {
                    peers.add(new Peer(other, "https://127.0.0.1:" + ports.get(other - 1)));
                }
            }
            Map<String, Object> secure = new HashMap<>();
            secure.put("port", ports.get(id - 1));
            secure.put("tlsCert", node.certFile());
            secure.put("tlsKey", node.keyFile());
            secure.put("tlsCa", clientCa.caFile());
            secure.put("tlsClientAuth", true);
            secure.put("peerTlsCert", node.certFile());
            secure.put("peerTlsKey", node.keyFile());
            secure.put("peerTlsCa", peerCa.caFile());
            secure.put("clusterSecret", ClusterSecret.of("the-cluster-secret-of-the-secure-test"));
            secure.put("auth", true);
            secure.put("authRootPassword", RootPassword.of(ROOT_PASSWORD));
            secure.put("authBcryptCost", 4);
            NodeConfig config = TestConfigs.with(TestConfigs.node(id, 0, peers, dir.resolve("node" + id)), secure);
            RaftyNode started = RaftyNode.start(config, ADDRESSES, new VertxOptions());
            ADDRESSES.put(id, started.url());
            NODES.add(started);
        }
        Awaitility.await().atMost(BUDGET).until(() -> NODES.stream().anyMatch(n -> n.status().role() == Role.LEADER)
                && NODES.stream().allMatch(n -> n.stateMachine().authState().enabled()));
        rootToken = login(1, "root", ROOT_PASSWORD);
    }

    @AfterAll
    static void stop() {
        NODES.forEach(RaftyNode::close);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static HttpClient client(SSLContext context) {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5));
        return (context == null ? builder : builder.sslContext(context)).build();
    }

    private static HttpResponse<String> call(HttpClient http, int node, String method, String target, byte[] body,
                                             String token, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(ADDRESSES.get(node) + target))
                .timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            request.header("authorization", "Bearer " + token);
        }
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> call(int node, String method, String target, String body, String token)
            throws Exception {
        return call(https, node, method, target, body == null ? null : body.getBytes(StandardCharsets.UTF_8), token);
    }

    private static String login(int node, String user, String password) throws Exception {
        HttpResponse<String> response = call(node, "POST", "/v1/auth/token",
                new JsonObject().put("user", user).put("password", password).encode(), null);
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body()).getString("token");
    }

    private static void assertError(int status, String code, HttpResponse<String> response) {
        assertEquals(status, response.statusCode(), response.request().method() + " " + response.request().uri()
                + " → " + response.body());
        assertEquals(code, new JsonObject(response.body()).getString("error"), response.body());
    }

    private static int leader() {
        return NODES.stream().filter(n -> n.status().role() == Role.LEADER).findFirst().orElseThrow().status().id();
    }

    @Test
    @Order(1)
    void withoutATokenEveryRouteButTheOpenListIs401OverTls() throws Exception {
        List<Route> routes = NODES.get(0).api().routes();
        Set<String> open = new TreeSet<>();
        int walked = 0;
        for (Route route : routes) {
            String path = route.getPath();
            if (path == null) {
                continue; // the gates and the failure handler: no path of their own
            }
            Set<HttpMethod> methods = route.methods();
            List<String> names = methods == null || methods.isEmpty() ? List.of("ANY")
                    : methods.stream().map(HttpMethod::name).toList();
            for (String method : names) {
                String id = method + " " + path;
                String send = method.equals("ANY") ? "GET" : method;
                String target = path.replace(":id", "1").replace(":name", "someone");
                target = target.endsWith("/") && target.length() > 1 ? target + "x" : target;
                HttpResponse<String> response = call(1, send, target, send.equals("GET") ? null : "{}", null);
                walked++;
                if (AuthOpenRoutes.ROUTES.contains(id)) {
                    open.add(id);
                    assertNotEquals(401, response.statusCode(), id + " is on the open list: " + response.body());
                } else {
                    assertError(401, "unauthenticated", response);
                }
            }
        }
        assertTrue(walked > 30, "walked the whole router: " + walked);
        assertEquals(new TreeSet<>(AuthOpenRoutes.ROUTES), open, "every open route exists, and no other is open");
    }

    @Test
    @Order(2)
    void aForgedPeerMessageAndAForgedSnapshotChunkChangeNothing() throws Exception {
        int leader = leader();
        int follower = leader == 1 ? 2 : 1;
        RaftyNode target = NODES.get(follower - 1);
        Awaitility.await().atMost(BUDGET).until(() -> target.status().clusterId() != 0);
        assertEquals(200, call(leader, "PUT", "/v1/kv/app/before", "kept", rootToken).statusCode());
        Awaitility.await().atMost(BUDGET).until(() -> target.status().appliedIndex()
                >= NODES.get(leader - 1).status().commitIndex());
        NodeStatus before = target.status();
        long higher = before.term() + 10;
        byte[] forged = MessageCodec.encode(new PeerIdentity(before.clusterId(), 77), List.of(
                new Heartbeat(leader, follower, higher, 1_000_000, 0),
                new RequestVote(leader, follower, higher, 1_000_000, higher, false)));
        // The right format, a client certificate the port accepts, even root's token: no peer credential.
        HttpResponse<String> message = call(https, follower, "POST", PeerClient.PATH, forged, rootToken,
                "content-type", PeerClient.CONTENT_TYPE);
        assertError(401, "unauthenticated", message);
        byte[] chunk = new byte[4096];
        HttpResponse<String> snapshot = call(https, follower, "POST", SnapshotSender.PATH + "?term=" + higher
                + "&leader=" + leader + "&index=1000000&offset=0&last=true", chunk, rootToken,
                "content-type", "application/octet-stream");
        assertError(401, "unauthenticated", snapshot);
        // Nothing moved: the term, the log and the data are the follower's own, well after both refusals.
        Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> {
            NodeStatus now = target.status();
            return now.term() < higher && now.lastLogIndex() >= before.lastLogIndex()
                    && now.snapshotIndex() == before.snapshotIndex() && !now.rebuilding() && !now.fenced();
        });
        HttpResponse<String> read = call(follower, "GET", "/v1/kv/app/before", null, rootToken);
        assertEquals(200, read.statusCode(), read.body());
        assertEquals("kept", new JsonObject(read.body()).getString("value"));
    }

    @Test
    @Order(3)
    void aReaderOfAppReadsThereOnEveryNodeUntilItsRoleIsTakenAway() throws Exception {
        assertEquals(200, call(2, "PUT", "/v1/auth/roles/app-reader",
                "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}", rootToken).statusCode());
        assertEquals(200, call(1, "PUT", "/v1/kv/app/x", "1", rootToken).statusCode());
        assertEquals(200, call(1, "PUT", "/v1/kv/other/x", "2", rootToken).statusCode());
        assertEquals(200, call(3, "PUT", "/v1/auth/users/alice", new JsonObject().put("password", ALICE_PASSWORD)
                .put("roles", List.of("app-reader")).encode(), rootToken).statusCode());
        String alice = login(2, "alice", ALICE_PASSWORD);
        for (int node = 1; node <= 3; node++) {
            HttpResponse<String> read = call(node, "GET", "/v1/kv/app/x", null, alice);
            assertEquals(200, read.statusCode(), "node " + node + ": " + read.body());
            assertEquals("1", new JsonObject(read.body()).getString("value"));
            assertError(403, "permission_denied", call(node, "GET", "/v1/kv/other/x", null, alice));
            assertError(403, "permission_denied", call(node, "PUT", "/v1/kv/app/x", "3", alice));
            assertError(403, "permission_denied", call(node, "GET", "/v1/watch?prefix=", null, alice));
        }
        // Only the roles change (a new password would revoke the token itself: 401, not this).
        assertEquals(200, call(1, "PUT", "/v1/auth/users/alice", "{\"roles\":[]}", rootToken).statusCode());
        Awaitility.await().atMost(ROLE_CHANGE_BOUND).until(() -> {
            for (int node = 1; node <= 3; node++) {
                // A stale read: the node's own applied table decides, not a round to the leader.
                HttpResponse<String> read = call(node, "GET", "/v1/kv/app/x?consistency=stale", null, alice);
                if (read.statusCode() != 403) {
                    return false;
                }
            }
            return true;
        });
        assertError(403, "permission_denied", call(3, "GET", "/v1/kv/app/x", null, alice));
    }

    @Test
    @Order(4)
    void plaintextAndAWrongClientCertificateDoNotGetIn() throws Exception {
        URI status = URI.create(ADDRESSES.get(1).replace("https://", "http://") + "/v1/status");
        assertThrows(IOException.class, () -> client(null).send(HttpRequest.newBuilder(status).GET().build(),
                HttpResponse.BodyHandlers.ofString()));
        for (SSLContext context : List.of(wrongClient.context(peerCa.certificate()),
                TestPki.context(null, peerCa.certificate()))) {
            assertThrows(IOException.class, () -> call(client(context), 1, "POST", "/v1/auth/token",
                    new JsonObject().put("user", "root").put("password", ROOT_PASSWORD).encode()
                            .getBytes(StandardCharsets.UTF_8), null));
        }
    }
}
