package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Leases on three real nodes: a kept-alive key survives the leader's death; an abandoned one expires in time. */
class LeaseIntegrationTest {

    private static final long TTL_SECONDS = 2;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private ScheduledExecutorService keepalives;

    @AfterEach
    void tearDown() {
        if (keepalives != null) {
            keepalives.shutdownNow();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aKeptAliveKeyOutlivesALeaderKillAndExpiresWithinTheBoundOnceKeepalivesStop() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        HttpResponse<String> granted = cluster.post(follower, "/v1/leases", "{\"ttl\":" + TTL_SECONDS + "}");
        assertEquals(200, granted.statusCode(), granted.body());
        long lease = new JsonObject(granted.body()).getLong("id");
        assertEquals(TTL_SECONDS, new JsonObject(granted.body()).getLong("ttl"), "2 s is the default minimum");
        long keyRevision = new JsonObject(cluster.put(follower, "svc/worker?lease=" + lease, "alive").body())
                .getLong("revision");

        // Keepalives every TTL/3 to whichever node is up (a follower relays them to the leader); the time each
        // acknowledged one was sent is noted.
        AtomicLong lastAckedSendNanos = new AtomicLong(System.nanoTime());
        keepalives = Executors.newSingleThreadScheduledExecutor();
        keepalives.scheduleAtFixedRate(() -> {
            for (int node : List.copyOf(cluster.nodes.keySet())) {
                long sent = System.nanoTime();
                try {
                    HttpResponse<String> kept = cluster.post(node, "/v1/leases/" + lease + "/keepalive", "");
                    if (kept.statusCode() == 200) {
                        lastAckedSendNanos.accumulateAndGet(sent, Math::max);
                        return;
                    }
                } catch (Exception e) {
                    // that node is down: the next one
                }
            }
        }, 0, TTL_SECONDS * 1000 / 3, TimeUnit.MILLISECONDS);

        try (SseClient watch = SseClient.open(cluster.http, cluster.url(follower) + "/v1/watch?prefix=svc/", null)) {
            watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            cluster.stop(leader);
            int newLeader = cluster.awaitLeader(Duration.ofSeconds(15));
            // Three TTLs under the new leader, kept alive all along.
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3 * TTL_SECONDS);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> System.nanoTime() > until);
            assertTrue(watch.changes().isEmpty(), "the key was never deleted: " + watch.changes());
            JsonObject key = new JsonObject(cluster.get(newLeader, "/v1/kv/svc/worker").body());
            assertEquals(keyRevision, key.getLong("revision"));

            keepalives.shutdownNow();
            keepalives.awaitTermination(5, TimeUnit.SECONDS);
            long lastSent = lastAckedSendNanos.get();
            await().atMost(Duration.ofSeconds(15)).until(() -> !watch.changes().isEmpty());
            long deletedSeen = System.nanoTime();
            JsonObject change = watch.changes().get(0).data();
            assertEquals("delete", change.getJsonArray("events").getJsonObject(0).getString("type"));
            double afterLastKeepalive = (deletedSeen - lastSent) / 1e9;
            assertTrue(afterLastKeepalive >= TTL_SECONDS, "deleted " + afterLastKeepalive + " s after the last "
                    + "acknowledged keepalive was sent: before its TTL");
            // Bound: the TTL, then at most one tick to notice, the revoke's commit and apply, and the watch.
            assertTrue(afterLastKeepalive <= TTL_SECONDS + 2.0, "deleted only " + afterLastKeepalive + " s after "
                    + "the last keepalive");
        }
        assertEquals(404, cluster.get(follower, "/v1/kv/svc/worker").statusCode());
        assertEquals(404, cluster.get(follower, "/v1/leases/" + lease).statusCode());
    }

    @Test
    void aRevokeThroughAFollowerDeletesEveryKeyAtOneRevisionThatAnotherNodesWatcherSees() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        int other = cluster.nodes.keySet().stream().filter(id -> id != leader && id != follower).findFirst()
                .orElseThrow();
        long lease = new JsonObject(cluster.post(follower, "/v1/leases", "{\"ttl\":60}").body()).getLong("id");
        for (int i = 0; i < 5; i++) {
            assertEquals(200, cluster.put(i % 2 == 0 ? leader : other, "pool/member-" + i + "?lease=" + lease, "up")
                    .statusCode());
        }
        try (SseClient watch = SseClient.open(cluster.http, cluster.url(other) + "/v1/watch?prefix=pool/", null)) {
            watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            HttpResponse<String> revoked = cluster.delete(follower, "/v1/leases/" + lease);
            assertEquals(200, revoked.statusCode(), revoked.body());
            long revision = new JsonObject(revoked.body()).getLong("revision");
            assertEquals(5, new JsonObject(revoked.body()).getInteger("deleted"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !watch.changes().isEmpty());
            JsonObject change = watch.changes().get(0).data();
            assertEquals(revision, change.getLong("revision"));
            assertEquals(5, change.getJsonArray("events").size(), "all five deletes in one message");
            assertTrue(change.getJsonArray("events").stream()
                    .allMatch(e -> "delete".equals(((JsonObject) e).getString("type"))));
        }
        assertEquals(0, new JsonObject(cluster.get(leader, "/v1/kv?prefix=pool/").body()).getJsonArray("items").size());
    }
}
