package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/snapshot} refuses what it cannot do consistently: a node that knows no leader cannot pass
 * the read barrier, so it answers a JSON 503 (documented in openapi.json) before any byte of a backup, and
 * it does not hand the request to anyone else.
 */
class BackupRouteTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final OpenApiSpec SPEC = OpenApiSpec.load();

    @TempDir
    Path dir;

    @Test
    void aNodeWithoutALeaderAnswers503BeforeAnyByteOfABackup() throws Exception {
        // One member of a three-voter cluster whose peers never start: it campaigns, and no one answers.
        NodeConfig config = TestConfigs.node(1, 0, List.of(new Peer(2, "http://127.0.0.1:2"),
                new Peer(3, "http://127.0.0.1:3")), dir.resolve("alone"));
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        try (RaftyNode node = RaftyNode.start(config, addresses, new VertxOptions())) {
            addresses.put(1, node.url());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.status().role() != Role.FOLLOWER);
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/snapshot"))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            SPEC.check("GET", "/v1/snapshot", response);
            assertEquals(503, response.statusCode(), response.body());
            JsonObject error = new JsonObject(response.body());
            assertTrue(List.of("no_leader", "unavailable").contains(error.getString("error")), response.body());
            assertTrue(response.headers().firstValue("x-rafty-revision").isEmpty(), "no backup was started");
        }
    }
}
