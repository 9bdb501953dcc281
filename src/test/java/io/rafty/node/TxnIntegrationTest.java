package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Transactions ({@code POST /v1/txn}) on three real nodes (Vert.x, RocksDB, HTTP), through leader and followers. */
class TxnIntegrationTest {

    @TempDir
    Path dir;
    private TestCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonObject json(HttpResponse<String> response) {
        return new JsonObject(response.body());
    }

    private JsonObject txn(int node, JsonObject body) throws Exception {
        HttpResponse<String> response = cluster.post(node, "/v1/txn", body.encode());
        assertEquals(200, response.statusCode(), response.body());
        return json(response);
    }

    private static JsonObject casOnValue(String key, String expected, String next) {
        return new JsonObject()
                .put("compare", new JsonArray().add(new JsonObject().put("key", key).put("target", "value")
                        .put("op", "==").put("value", expected)))
                .put("success", new JsonArray()
                        .add(new JsonObject().put("op", "put").put("key", key).put("value", next))
                        .add(new JsonObject().put("op", "put").put("key", key + "/by").put("value", "txn")))
                .put("failure", new JsonArray().add(new JsonObject().put("op", "get").put("key", key)));
    }

    @Test
    void casTransactionTakesTheSuccessBranchOnAMatchAndTheFailureBranchOtherwise() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        assertEquals(200, cluster.put(leader, "lock", "free").statusCode());

        JsonObject won = txn(follower, casOnValue("lock", "free", "held"));
        assertTrue(won.getBoolean("succeeded"), won.encode());
        long revision = won.getLong("revision");
        JsonArray results = won.getJsonArray("results");
        assertEquals(2, results.size());
        assertEquals(revision, results.getJsonObject(0).getLong("revision"));
        for (int node : cluster.nodes.keySet()) {
            JsonObject lock = json(cluster.get(node, "/v1/kv/lock"));
            assertEquals("held", lock.getString("value"));
            assertEquals(revision, lock.getLong("revision"), "both keys changed at the transaction's one revision");
            assertEquals(revision, json(cluster.get(node, "/v1/kv/lock/by")).getLong("revision"));
        }

        JsonObject lost = txn(leader, casOnValue("lock", "free", "stolen"));
        assertFalse(lost.getBoolean("succeeded"), lost.encode());
        JsonObject current = lost.getJsonArray("results").getJsonObject(0).getJsonArray("items").getJsonObject(0);
        assertEquals("held", current.getString("value"), "the failure branch's get shows what the compare saw");
        assertEquals(revision, current.getLong("revision"));
        assertEquals("held", json(cluster.get(follower, "/v1/kv/lock")).getString("value"));
    }

    @Test
    void aTransactionWith128OpsAppliesAtOneRevisionThatAWatcherSeesWhole() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        JsonArray ops = new JsonArray();
        for (int i = 0; i < 128; i++) {
            ops.add(new JsonObject().put("op", "put").put("key", String.format("many/%03d", i)).put("value", "v" + i));
        }
        try (SseClient watch = SseClient.open(cluster.http, cluster.url(follower) + "/v1/watch?prefix=many/", null)) {
            watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            JsonObject done = txn(follower, new JsonObject().put("success", ops));
            long revision = done.getLong("revision");
            assertTrue(done.getBoolean("succeeded"));
            assertEquals(128, done.getJsonArray("results").size());
            await().atMost(Duration.ofSeconds(10)).until(() -> !watch.changes().isEmpty());
            JsonObject change = watch.changes().get(0).data();
            assertEquals(revision, change.getLong("revision"));
            assertEquals(128, change.getJsonArray("events").size(), "one message carries the whole transaction");

            // Then delete the whole prefix in one revision, and read everything back in one read-only transaction.
            JsonObject deleted = txn(leader, new JsonObject().put("success", new JsonArray()
                    .add(new JsonObject().put("op", "delete").put("prefix", "many/"))));
            assertEquals(128, deleted.getJsonArray("results").getJsonObject(0).getInteger("deleted"));
            await().atMost(Duration.ofSeconds(10)).until(() -> watch.changes().size() >= 2);
            JsonObject deletion = watch.changes().get(1).data();
            assertEquals(deleted.getLong("revision"), deletion.getLong("revision"));
            assertEquals(128, deletion.getJsonArray("events").size());
        }
        JsonObject listing = json(cluster.get(follower, "/v1/kv?prefix=many/"));
        assertEquals(0, listing.getJsonArray("items").size());
    }

    @Test
    void aReadOnlyTransactionIsALinearizableReadAndTakesNoLogEntry() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        long written = json(cluster.put(leader, "ro/a", "1")).getLong("revision");
        cluster.put(leader, "ro/b", "2");
        cluster.awaitSettled(Duration.ofSeconds(10));
        long lastLogBefore = cluster.nodes.get(leader).status().lastLogIndex();
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            JsonObject read = txn(follower, new JsonObject()
                    .put("compare", new JsonArray().add(new JsonObject().put("key", "ro/a").put("target", "revision")
                            .put("op", "==").put("value", written)))
                    .put("success", new JsonArray()
                            .add(new JsonObject().put("op", "get").put("prefix", "ro/"))
                            .add(new JsonObject().put("op", "get").put("key", "ro/missing"))));
            assertTrue(read.getBoolean("succeeded"), read.encode());
            JsonArray items = read.getJsonArray("results").getJsonObject(0).getJsonArray("items");
            assertEquals(2, items.size());
            assertEquals("2", items.getJsonObject(1).getString("value"), "it sees the write acknowledged before it");
            assertEquals(0, read.getJsonArray("results").getJsonObject(1).getJsonArray("items").size());
            revisions.add(read.getLong("revision"));
        }
        assertEquals(lastLogBefore, cluster.nodes.get(leader).status().lastLogIndex(), "no entry was appended");
        assertTrue(revisions.stream().allMatch(r -> r >= written + 1), revisions.toString());
    }
}
