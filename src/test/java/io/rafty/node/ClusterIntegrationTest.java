package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real nodes (Vert.x, RocksDB, HTTP on ephemeral ports) in one JVM, driven over the client API. */
class ClusterIntegrationTest {

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

    @Test
    void writeOnFollowerIsReadLinearizablyOnAnotherNode() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        int other = cluster.nodes.keySet().stream().filter(id -> id != leader && id != follower).findFirst()
                .orElseThrow();

        HttpResponse<String> put = cluster.put(follower, "greeting", "hello");
        assertEquals(200, put.statusCode(), put.body());
        long revision = json(put).getLong("revision");
        assertTrue(revision > 0);

        HttpResponse<String> get = cluster.get(other, "/v1/kv/greeting");
        assertEquals(200, get.statusCode(), get.body());
        assertEquals("hello", json(get).getString("value"));
        assertEquals(revision, json(get).getLong("revision"));
        assertEquals(1, json(get).getLong("version"));
    }

    // A follower answers a forwarded write only once it has applied the entry itself, so the node that
    // acknowledged a write shows it at once, even to a stale read that asks no one else.
    @Test
    void followerShowsItsOwnAcknowledgedWritesToStaleReads() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> put = cluster.put(follower, "ryw", "v" + i);
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> stale = cluster.get(follower, "/v1/kv/ryw?consistency=stale");
            assertEquals(200, stale.statusCode(), stale.body());
            assertEquals("v" + i, json(stale).getString("value"));
            assertEquals(json(put).getLong("revision"), json(stale).getLong("revision"));
        }
        assertEquals(leader, cluster.nodes.get(follower).status().leaderId(), "still the same leader: every write was "
                + "forwarded by a follower");
    }

    @Test
    void compareAndSetSucceedsOnMatchAndFailsWith412() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        long revision = json(cluster.put(leader, "counter", "1")).getLong("revision");

        HttpResponse<String> ok = cluster.put(leader, "counter?prevValue=1", "2");
        assertEquals(200, ok.statusCode(), ok.body());
        HttpResponse<String> stale = cluster.put(leader, "counter?prevRevision=" + revision, "3");
        assertEquals(412, stale.statusCode(), stale.body());
        assertEquals("compare_failed", json(stale).getString("error"));
        assertEquals("2", json(stale).getJsonObject("current").getString("value"));

        HttpResponse<String> create = cluster.put(leader, "counter?prevExist=false", "x");
        assertEquals(412, create.statusCode());
        HttpResponse<String> deleted = cluster.delete(leader, "/v1/kv/counter?prevValue=2");
        assertEquals(200, deleted.statusCode(), deleted.body());
        assertTrue(json(deleted).getBoolean("deleted"));
        assertEquals(404, cluster.get(leader, "/v1/kv/counter").statusCode());
        assertEquals(404, cluster.delete(leader, "/v1/kv/counter").statusCode());
    }

    @Test
    void killingTheLeaderElectsAnotherWithinThreeSecondsAndWritesContinue() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        assertEquals(200, cluster.put(leader, "before", "1").statusCode());

        cluster.stop(leader);
        int newLeader = cluster.awaitLeader(Duration.ofSeconds(3));
        assertNotEquals(leader, newLeader);

        HttpResponse<String> put = cluster.put(cluster.anyFollower(newLeader), "after", "2");
        assertEquals(200, put.statusCode(), put.body());
        assertEquals("1", json(cluster.get(newLeader, "/v1/kv/before")).getString("value"));
    }

    @Test
    void restartedNodeCatchesUp() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        cluster.stop(follower);
        for (int i = 0; i < 20; i++) {
            assertEquals(200, cluster.put(leader, "k" + i, "v" + i).statusCode());
        }
        long leaderApplied = cluster.nodes.get(leader).status().appliedIndex();
        cluster.restart(follower);
        await().atMost(Duration.ofSeconds(10)).until(
                () -> cluster.nodes.get(follower).status().appliedIndex() >= leaderApplied);
        HttpResponse<String> stale = cluster.get(follower, "/v1/kv/k19?consistency=stale");
        assertEquals(200, stale.statusCode(), stale.body());
        assertEquals("v19", json(stale).getString("value"));
    }

    @Test
    void fullClusterRestartKeepsEveryAcknowledgedWrite() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        List<String> acknowledged = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            if (cluster.put(leader, "durable" + i, "value" + i).statusCode() == 200) {
                acknowledged.add("durable" + i);
            }
        }
        assertEquals(30, acknowledged.size());
        for (int id = 1; id <= 3; id++) {
            cluster.stop(id);
        }
        for (int id = 1; id <= 3; id++) {
            cluster.restart(id);
        }
        int newLeader = cluster.awaitLeader(Duration.ofSeconds(10));
        for (String key : acknowledged) {
            HttpResponse<String> get = cluster.get(newLeader, "/v1/kv/" + key);
            assertEquals(200, get.statusCode(), key + ": " + get.body());
            assertEquals(key.replace("durable", "value"), json(get).getString("value"));
        }
        HttpResponse<String> list = cluster.get(newLeader, "/v1/kv?prefix=durable&limit=1000");
        assertEquals(30, json(list).getJsonArray("items").size());
    }

    @Test
    void statusClusterAndHealthDescribeTheCluster() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        JsonObject status = json(cluster.get(follower, "/v1/status"));
        assertEquals("follower", status.getString("role"));
        assertEquals(leader, status.getInteger("leaderId"));
        assertEquals(3, status.getJsonArray("members").size());

        JsonObject view = json(cluster.get(follower, "/v1/cluster"));
        assertEquals(leader, view.getInteger("leaderId"));
        assertEquals(3, view.getJsonArray("members").size());
        assertEquals(200, cluster.get(follower, "/health").statusCode());
    }

    @Test
    void listingIsOrderedAndPaginated() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        for (String key : List.of("app/b", "app/a", "app/c", "other")) {
            assertEquals(200, cluster.put(leader, key, key).statusCode());
        }
        JsonObject page = json(cluster.get(leader, "/v1/kv?prefix=app/&limit=2"));
        assertEquals(List.of("app/a", "app/b"), page.getJsonArray("items").stream()
                .map(o -> ((JsonObject) o).getString("key")).toList());
        assertTrue(page.getBoolean("more"));
        JsonObject next = json(cluster.get(leader, "/v1/kv?prefix=app/&limit=2&after=app/b"));
        assertEquals(1, next.getJsonArray("items").size());
        assertEquals(false, next.getBoolean("more"));
    }
}
