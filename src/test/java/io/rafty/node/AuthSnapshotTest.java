package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.RootPassword;
import io.rafty.config.TestConfigs;
import io.rafty.kv.AuthState;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth table travels in snapshots: a node rebuilt from one knows the users, roles and signing key. */
class AuthSnapshotTest {

    private static final Duration BUDGET = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @Test
    void aNodeRebuiltFromASnapshotKnowsTheUsersAndAcceptsTheirTokens() throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, new VertxOptions(), config -> TestConfigs.with(
                TestConfigs.snapshots(config, 20, 64L << 20, 5), Map.of("auth", true,
                        "authRootPassword", RootPassword.of("root-password-x"), "authBcryptCost", 4)))) {
            int leader = cluster.awaitSettled(BUDGET);
            await().atMost(BUDGET).until(() -> cluster.nodes.values().stream()
                    .allMatch(n -> n.stateMachine().authState().enabled()));
            int lost = leader == 3 ? 2 : 3;
            cluster.stop(lost);
            cluster.wipe(lost);
            String root = token(cluster, leader, "root", "root-password-x");
            assertEquals(200, send(cluster, leader, "PUT", "/v1/auth/roles/reader",
                    "{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"}]}", root).statusCode());
            HttpResponse<String> created = send(cluster, leader, "PUT", "/v1/auth/users/dave",
                    "{\"password\":\"dave-password\",\"roles\":[\"reader\"]}", root);
            assertEquals(200, created.statusCode(), created.body());
            long createdAt = new JsonObject(created.body()).getLong("revision");
            String daveToken = token(cluster, leader, "dave", "dave-password");
            for (int i = 0; i < 60; i++) {
                assertEquals(200, send(cluster, leader, "PUT", "/v1/kv/app/k" + i, "v", root).statusCode());
            }
            RaftyNode leaderNode = cluster.nodes.get(leader);
            await().atMost(BUDGET).until(() -> leaderNode.status().firstLogIndex() > createdAt);
            cluster.restart(lost);
            RaftyNode rebuilt = cluster.nodes.get(lost);
            await().atMost(BUDGET).until(() -> rebuilt.status().appliedIndex() >= leaderNode.status().commitIndex()
                    && rebuilt.stateMachine().authState().user("dave") != null);
            assertTrue(rebuilt.status().snapshotIndex() > createdAt,
                    "the node was rebuilt from a snapshot past the user's creation: " + rebuilt.status());
            AuthState table = rebuilt.stateMachine().authState();
            assertTrue(table.enabled());
            assertNotNull(table.role("reader"));
            assertEquals(java.util.List.of("reader"), table.user("dave").roles());
            // The token issued by the leader before the rebuild checks out on the rebuilt node: same signing key.
            HttpResponse<String> read = send(cluster, lost, "GET", "/v1/kv/app/k1?consistency=stale", null, daveToken);
            assertEquals(200, read.statusCode(), read.body());
            assertEquals(403, send(cluster, lost, "PUT", "/v1/kv/app/k1", "x", daveToken).statusCode());
            token(cluster, lost, "dave", "dave-password");
        }
    }

    private static String token(TestCluster cluster, int node, String user, String password) throws Exception {
        HttpResponse<String> response = send(cluster, node, "POST", "/v1/auth/token",
                new JsonObject().put("user", user).put("password", password).encode(), null);
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body()).getString("token");
    }

    private static HttpResponse<String> send(TestCluster cluster, int node, String method, String path, String body,
                                             String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(cluster.url(node) + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("authorization", "Bearer " + token);
        }
        return cluster.send(request);
    }
}
