package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.config.TestConfigs;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, a replaced disk: a follower whose storage is wiped while it is down must be rebuilt by the
 * leader when it returns — from the log when the leader still holds all of it, by InstallSnapshot when
 * the log was compacted. Before the fix the leader keeps the wiped node's old matchIndex, treats its
 * rejections as stale, and the node stays at lastLogIndex 0 for ever.
 */
class LostDiskTest {

    private static final int KEYS = 500;
    /** How long the wiped node may take to catch up: 1 000 small entries, generous for 2 loaded CI cores. */
    private static final Duration CATCH_UP = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private TestCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void wipedFollowerIsRebuiltFromTheLeadersLog() throws Exception {
        // No snapshot in this run (thresholds far above the ~1 000 entries written): the leader's log
        // starts at 1, so the only way back for the wiped node is AppendEntries from the start.
        cluster = new TestCluster(dir, 3, new VertxOptions(),
                config -> TestConfigs.snapshots(config, 1_000_000, 1L << 40, 1_000_000));
        Rejoin rejoin = writeWipeWriteRestart(leaderStatus -> assertEquals(1, leaderStatus.getLong("firstLogIndex"),
                "the leader's log still starts at 1, so this run takes the log path: " + leaderStatus));
        assertRebuilt(rejoin);
    }

    @Test
    void wipedFollowerIsRebuiltBySnapshotWhenTheLogIsCompacted() throws Exception {
        // A snapshot every 100 entries keeping a tail of 10: after the second 500 writes the entries the
        // wiped node needs (from index 1) are long gone from the leader's log.
        cluster = new TestCluster(dir, 3, new VertxOptions(),
                config -> TestConfigs.snapshots(config, 100, 1L << 40, 10));
        Rejoin rejoin = writeWipeWriteRestart(leaderStatus -> assertTrue(leaderStatus.getLong("firstLogIndex") > 1,
                "the leader compacted its log, so this run needs InstallSnapshot: " + leaderStatus));
        assertRebuilt(rejoin);
        // Its log cannot have come from index 1 (the leader no longer has it), so it holds a snapshot.
        JsonObject rejoined = status(rejoin.wiped());
        assertTrue(rejoined.getLong("snapshotIndex") > 0, "the wiped node started from a snapshot: " + rejoined);
    }

    /** The leader after the writes, the wiped follower, and the leader's commitIndex after the writes. */
    private record Rejoin(int leader, int wiped, long commitIndex) {
    }

    /**
     * 500 writes, stop a follower and wipe its storage, 500 more writes, check {@code beforeRestart} on
     * the leader's status, restart the wiped follower on its empty storage.
     */
    private Rejoin writeWipeWriteRestart(Consumer<JsonObject> beforeRestart) throws Exception {
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        SnapshotIntegrationTest.writeKeys(cluster, leader, "before-", KEYS);
        int wiped = cluster.anyFollower(leader);
        cluster.stop(wiped);
        wipe(wiped);
        SnapshotIntegrationTest.writeKeys(cluster, leader, "after-", KEYS);
        // Normally still the same node; on a starved machine the other survivor may have taken over.
        leader = cluster.awaitLeader(Duration.ofSeconds(10));
        // A write is answered once committed, so this commitIndex covers all 1 000 of them.
        JsonObject leaderStatus = status(leader);
        beforeRestart.accept(leaderStatus);
        long commitIndex = leaderStatus.getLong("commitIndex");
        assertTrue(commitIndex >= 2 * KEYS, "commitIndex covers the writes: " + leaderStatus);
        cluster.restart(wiped);
        return new Rejoin(leader, wiped, commitIndex);
    }

    private void assertRebuilt(Rejoin rejoin) throws Exception {
        int leader = rejoin.leader();
        int wiped = rejoin.wiped();
        long commitIndex = rejoin.commitIndex();
        await().atMost(CATCH_UP).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            JsonObject s = status(wiped);
            assertTrue(s.getLong("appliedIndex") >= commitIndex, () -> "wiped node " + wiped
                    + " has not caught up to the leader's commitIndex " + commitIndex + ": its status " + s
                    + "; leader's /v1/cluster " + clusterView(leader));
        });
        for (String prefix : List.of("before-", "after-")) {
            for (int i = 0; i < KEYS; i++) {
                String key = prefix + i;
                JsonObject onLeader = json(cluster.get(leader, "/v1/kv/" + key + "?consistency=stale"), key);
                JsonObject onWiped = json(cluster.get(wiped, "/v1/kv/" + key + "?consistency=stale"), key);
                assertEquals("value-" + i, onLeader.getString("value"), key + " on the leader");
                assertEquals(onLeader.getString("value"), onWiped.getString("value"), key + " on the wiped node");
                assertEquals(onLeader.getLong("revision"), onWiped.getLong("revision"), key + " revision");
            }
        }
        // Nothing extra either: the whole key space, page by page, is the same on both.
        JsonArray all = everything(wiped);
        assertEquals(everything(leader), all, "identical data on the leader and the wiped node");
        assertEquals(2 * KEYS, all.size(), "every key and nothing else");
        // A linearizable read on the wiped node needs it to be a working follower again (ReadIndex from the
        // leader, then its own state machine at that index).
        HttpResponse<String> read = cluster.get(wiped, "/v1/kv/after-" + (KEYS - 1));
        assertEquals(200, read.statusCode(), read.body());
        assertEquals("value-" + (KEYS - 1), new JsonObject(read.body()).getString("value"));
    }

    /**
     * Deletes a stopped node's storage: the RocksDB directory and the snapshot staging file beside it
     * ({@code node<id>.incoming-snapshot}), which TestCluster.wipe leaves — a new disk has neither.
     */
    private void wipe(int id) throws Exception {
        cluster.wipe(id);
        Files.deleteIfExists(dir.resolve("node" + id + ".incoming-snapshot"));
        assertTrue(Files.notExists(dir.resolve("node" + id)), "storage of node " + id + " is gone");
    }


    private JsonObject status(int node) throws Exception {
        HttpResponse<String> response = cluster.get(node, "/v1/status");
        assertEquals(200, response.statusCode(), response.body());
        return new JsonObject(response.body());
    }

    private String clusterView(int leader) {
        try {
            return cluster.get(leader, "/v1/cluster").body();
        } catch (Exception e) {
            return "unavailable: " + e;
        }
    }

    private static JsonObject json(HttpResponse<String> response, String key) {
        assertEquals(200, response.statusCode(), key + ": " + response.body());
        return new JsonObject(response.body());
    }

    /** The node's whole key space (stale: its own state machine), every field of every key. */
    private JsonArray everything(int node) throws Exception {
        JsonArray all = new JsonArray();
        String after = null;
        while (true) {
            String query = "/v1/kv?consistency=stale&limit=1000" + (after == null ? "" : "&after=" + after);
            HttpResponse<String> response = cluster.get(node, query);
            assertEquals(200, response.statusCode(), response.body());
            JsonObject page = new JsonObject(response.body());
            JsonArray items = page.getJsonArray("items");
            all.addAll(items);
            if (!page.getBoolean("more")) {
                return all;
            }
            after = items.getJsonObject(items.size() - 1).getString("key");
        }
    }
}
