package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.config.TestConfigs;
import io.rafty.raft.Role;
import io.rafty.storage.LogStore;
import io.rafty.storage.StorageException;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /livez} and {@code /readyz}: a settled node is both; a node that cannot elect a leader is alive but
 * not ready, and says why; a node fenced after a storage failure is neither (and {@code /health} still answers
 * as it always did). Every answer is also checked against {@code openapi.json}.
 */
class HealthProbesTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final OpenApiSpec SPEC = OpenApiSpec.load();

    @TempDir
    Path dir;

    private static JsonObject probe(RaftyNode node, String path, int expectedStatus) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        SPEC.check("GET", path, response);
        assertEquals(expectedStatus, response.statusCode(), path + ": " + response.body());
        return new JsonObject(response.body());
    }

    private static Set<String> failedChecks(JsonObject answer) {
        Set<String> checks = new TreeSet<>();
        JsonArray reasons = answer.getJsonArray("reasons");
        for (int i = 0; i < reasons.size(); i++) {
            JsonObject reason = reasons.getJsonObject(i);
            assertTrue(reason.getString("message").length() > 10, "a reason explains itself: " + reason);
            checks.add(reason.getString("check"));
        }
        return checks;
    }

    @Test
    void aSettledLeaderIsLiveAndReady() throws Exception {
        try (RaftyNode node = SingleNodeApi.start(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")))) {
            assertEquals("ok", probe(node, "/livez", 200).getString("status"));
            JsonObject ready = probe(node, "/readyz", 200);
            assertEquals(1, ready.getInteger("leaderId"));
            assertTrue(ready.getLong("commitIndex") - ready.getLong("appliedIndex")
                    <= NodeConfig.DEFAULT_READY_MAX_APPLY_LAG_ENTRIES);
        }
    }

    @Test
    void aNodeThatCannotElectALeaderIsLiveButNotReady() throws Exception {
        // One member of a three-voter cluster whose peers never start: it campaigns, and no one answers.
        NodeConfig config = TestConfigs.node(1, 0, List.of(new Peer(2, "http://127.0.0.1:2"),
                new Peer(3, "http://127.0.0.1:3")), dir.resolve("alone"));
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        try (RaftyNode node = RaftyNode.start(config, addresses, new VertxOptions())) {
            addresses.put(1, node.url());
            // Past its first election timeout it campaigns (a pre-vote first), and no one answers.
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.status().role() != Role.FOLLOWER);
            assertEquals(0, node.status().leaderId());
            assertEquals("ok", probe(node, "/livez", 200).getString("status"), "alive without a leader");
            JsonObject notReady = probe(node, "/readyz", 503);
            assertEquals("not_ready", notReady.getString("status"));
            assertEquals(Set.of("leader"), failedChecks(notReady));
        }
    }

    @Test
    void aReadinessLagOfZeroIsAllowedAndASettledNodeMeetsIt() throws Exception {
        NodeConfig strict = TestConfigs.with(TestConfigs.node(1, 0, List.of(), dir.resolve("strict")),
                Map.of("readyMaxApplyLagEntries", 0L));
        try (RaftyNode node = SingleNodeApi.start(strict)) {
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .until(() -> node.status().appliedIndex() == node.status().commitIndex());
            JsonObject ready = probe(node, "/readyz", 200);
            assertEquals(ready.getLong("commitIndex"), ready.getLong("appliedIndex"));
        }
    }

    @Test
    void aFencedNodeIsNeitherLiveNorReadyAndHealthIsUnchanged() throws Exception {
        AtomicBoolean failing = new AtomicBoolean();
        RaftyNode.StorageWrappers wrappers = new RaftyNode.StorageWrappers(log -> failingSaves(log, failing),
                kv -> kv);
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        NodeConfig config = TestConfigs.node(1, 0, List.of(), dir.resolve("fenced"));
        try (RaftyNode node = RaftyNode.start(config, addresses, new VertxOptions(), wrappers)) {
            addresses.put(1, node.url());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.status().leaderId() == 1);
            probe(node, "/livez", 200);

            failing.set(true);
            HttpResponse<String> write = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/v1/kv/k"))
                    .timeout(Duration.ofSeconds(20)).PUT(HttpRequest.BodyPublishers.ofString("v")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(write.statusCode() == 503 || write.statusCode() == 504, write.body());
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.status().fenced());

            JsonObject dead = probe(node, "/livez", 503);
            assertEquals("not_live", dead.getString("status"));
            assertEquals(Set.of("storage"), failedChecks(dead));
            JsonObject notReady = probe(node, "/readyz", 503);
            assertTrue(failedChecks(notReady).contains("storage"), notReady.encode());
            JsonObject health = probe(node, "/health", 503);
            assertEquals("fenced", health.getString("status"), "/health answers as before");
        }
    }

    /** {@code log}, whose saves throw as a full disk's would once {@code failing} is set. */
    private static LogStore failingSaves(LogStore log, AtomicBoolean failing) {
        return (LogStore) Proxy.newProxyInstance(LogStore.class.getClassLoader(), new Class<?>[] {LogStore.class},
                (proxy, method, args) -> {
                    if (failing.get() && method.getName().startsWith("save")) {
                        throw new StorageException("injected fault: IO error: No space left on device");
                    }
                    try {
                        return method.invoke(log, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
