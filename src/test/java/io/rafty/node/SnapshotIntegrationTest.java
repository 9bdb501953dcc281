package io.rafty.node;

import io.rafty.config.TestConfigs;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raft §7 on real nodes: snapshots compact the log, and a wiped follower rejoins by InstallSnapshot. */
class SnapshotIntegrationTest {

    private static final int KEYS = 1500;

    @TempDir
    Path dir;

    /**
     * Writes {@code count} keys, 64 at a time, through {@code node}. Like a real client, a write
     * answered 503 (not applied) or 504 (unknown) — a leader change on a starved machine — is sent
     * again, a bounded number of times; PUT of the same value is idempotent.
     */
    static void writeKeys(TestCluster cluster, int node, String prefix, int count) throws Exception {
        for (int start = 0; start < count; start += 64) {
            List<Integer> pending = new ArrayList<>();
            for (int i = start; i < Math.min(count, start + 64); i++) {
                pending.add(i);
            }
            for (int attempt = 1; !pending.isEmpty(); attempt++) {
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                for (int i : pending) {
                    inFlight.add(cluster.http.sendAsync(HttpRequest.newBuilder(
                                    URI.create(cluster.url(node) + "/v1/kv/" + prefix + i))
                            .PUT(HttpRequest.BodyPublishers.ofString("value-" + i)).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                List<Integer> again = new ArrayList<>();
                for (int j = 0; j < inFlight.size(); j++) {
                    HttpResponse<String> answer = inFlight.get(j).get(30, TimeUnit.SECONDS);
                    boolean retriable = answer.statusCode() == 503 || answer.statusCode() == 504;
                    if (retriable && attempt < 5) {
                        again.add(pending.get(j));
                    } else {
                        assertEquals(200, answer.statusCode(), answer.body());
                    }
                }
                if (!again.isEmpty()) {
                    cluster.awaitLeader(Duration.ofSeconds(10));
                }
                pending = again;
            }
        }
    }

    private static JsonArray everything(TestCluster cluster, int node) throws Exception {
        JsonArray all = new JsonArray();
        String after = null;
        while (true) {
            String query = "/v1/kv?consistency=stale&limit=1000" + (after == null ? "" : "&after=" + after);
            JsonObject page = new JsonObject(cluster.get(node, query).body());
            JsonArray items = page.getJsonArray("items");
            all.addAll(items);
            if (!page.getBoolean("more")) {
                return all;
            }
            after = items.getJsonObject(items.size() - 1).getString("key");
        }
    }

    @Test
    void snapshotsCompactTheLogAndAWipedFollowerRejoinsBySnapshot() throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, new VertxOptions(),
                config -> TestConfigs.snapshots(config, 200, 64L << 20, 20))) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            writeKeys(cluster, leader, "k", KEYS);
            for (int id = 1; id <= 3; id++) {
                int node = id;
                await().atMost(Duration.ofSeconds(20)).until(() -> cluster.nodes.get(node).status().firstLogIndex() > 1);
                NodeStatus status = cluster.nodes.get(node).status();
                assertTrue(status.lastLogIndex() - status.firstLogIndex() < 200 + 20 + 64 + 10,
                        "log of node " + node + " is bounded: " + status);
            }

            int follower = cluster.anyFollower(leader);
            cluster.stop(follower);
            cluster.wipe(follower);
            writeKeys(cluster, leader, "after-wipe-", 300);
            cluster.restart(follower);
            long leaderApplied = cluster.nodes.get(leader).status().appliedIndex();
            await().atMost(Duration.ofSeconds(30)).until(
                    () -> cluster.nodes.get(follower).status().appliedIndex() >= leaderApplied);
            NodeStatus rejoined = cluster.nodes.get(follower).status();
            assertTrue(rejoined.snapshotIndex() > 0, "the follower started from a snapshot: " + rejoined);
            assertEquals(everything(cluster, leader), everything(cluster, follower), "identical data");
            assertEquals(KEYS + 300, everything(cluster, follower).size());

            for (int id = 1; id <= 3; id++) {
                cluster.stop(id);
            }
            for (int id = 1; id <= 3; id++) {
                cluster.restart(id);
            }
            int newLeader = cluster.awaitLeader(Duration.ofSeconds(10));
            HttpResponse<String> read = cluster.get(newLeader, "/v1/kv/k" + (KEYS - 1));
            assertEquals("value-" + (KEYS - 1), new JsonObject(read.body()).getString("value"));
            assertEquals(KEYS + 300, everything(cluster, newLeader).size());
        }
    }
}
