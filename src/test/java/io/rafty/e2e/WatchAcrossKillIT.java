package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.node.SseClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's watch promise across a real crash, on the shipped jar as OS processes: a watcher on a
 * follower sees writes made through the leader; the follower is SIGKILLed mid-stream; the client
 * resumes on the other follower with {@code Last-Event-ID} and nothing is missed or repeated. The
 * killed node then restarts — its state machine skips RocksDB's WAL, so it comes back as of its last
 * flush and replays its log — and serves the very same history to a watch from the first revision.
 */
class WatchAcrossKillIT {

    private static final int WRITES = 400;
    private static final int KILL_AFTER = 120;
    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private JarCluster cluster;

    @AfterEach
    void killAll() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aWatcherResumedOnAnotherNodeAfterAKillMissesNothingAndTheRestartedNodeServesTheSameHistory()
            throws Exception {
        cluster = new JarCluster(dir, 3);
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        int leader = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
        List<Integer> followers = new ArrayList<>(cluster.ports.keySet());
        followers.remove(Integer.valueOf(leader));
        int watched = followers.get(0);
        int other = followers.get(1);

        SseClient first = SseClient.open(cluster.http, cluster.url(watched) + "/v1/watch?prefix=w/", null);
        long created = first.await(m -> "created".equals(m.event()), Duration.ofSeconds(10)).revision();

        ConcurrentSkipListSet<Long> acknowledged = new ConcurrentSkipListSet<>();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeAll(leader, acknowledged));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= KILL_AFTER
                || writer.isDone());
        cluster.processes.get(watched).kill();
        first.awaitEnd(Duration.ofSeconds(10));
        String lastSeen = first.lastEventId();
        assertTrue(lastSeen != null, "the first stream delivered changes before the kill");
        assertTrue(first.changes().size() < WRITES, "the kill came mid-stream: " + first.changes().size()
                + " of " + WRITES + " changes had arrived");

        SseClient resumed = SseClient.open(cluster.http, cluster.url(other) + "/v1/watch?prefix=w/", lastSeen);
        writer.get(60, TimeUnit.SECONDS);
        assertEquals(WRITES, acknowledged.size(), "every write was acknowledged once");
        long last = acknowledged.last();
        resumed.await(m -> m.id() != null && Long.parseLong(m.id()) >= last, Duration.ofSeconds(30));

        List<Long> seen = new ArrayList<>();
        first.changes().forEach(m -> seen.add(m.revision()));
        resumed.changes().forEach(m -> seen.add(m.revision()));
        assertEquals(new ArrayList<>(acknowledged), seen, "the watch from " + created + " across the kill of node "
                + watched + " (resumed on node " + other + " after " + lastSeen + ")");
        for (SseClient.Message change : resumed.changes()) {
            assertEquals(1, change.data().getJsonArray("events").size(), "one write per revision");
        }
        resumed.close();

        cluster.start(watched);
        long commit = cluster.status(leader).getLong("commitIndex");
        Awaitility.await().atMost(START).pollInterval(Duration.ofMillis(50)).until(() -> {
            JsonObject s = cluster.status(watched);
            return s != null && s.getLong("appliedIndex") >= commit;
        });
        String fromFirst = "/v1/watch?prefix=w/&fromRevision=" + (created + 1);
        try (SseClient replay = SseClient.open(cluster.http, cluster.url(watched) + fromFirst, null)) {
            replay.await(m -> m.id() != null && Long.parseLong(m.id()) >= last, Duration.ofSeconds(30));
            List<Long> again = replay.changes().stream().map(SseClient.Message::revision)
                    .filter(revision -> revision <= last).toList();
            assertEquals(new ArrayList<>(acknowledged), again, "the restarted node's history");
        }
    }

    /**
     * PUTs {@code w/0 .. w/<WRITES-1>} through {@code node}, one at a time, recording each acknowledged
     * revision. Each key is written once; a 503 is retried (nothing was applied), anything else fails.
     */
    private void writeAll(int node, ConcurrentSkipListSet<Long> acknowledged) {
        try {
            for (int i = 0; i < WRITES; i++) {
                for (int attempt = 1; ; attempt++) {
                    HttpRequest put = cluster.request(node, "/v1/kv/w/" + i, Duration.ofSeconds(10))
                            .PUT(HttpRequest.BodyPublishers.ofString("v" + i)).build();
                    HttpResponse<String> answer = cluster.http.send(put, HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() == 200) {
                        acknowledged.add(new JsonObject(answer.body()).getLong("revision"));
                        break;
                    }
                    if (answer.statusCode() != 503 || attempt >= 5) {
                        throw new AssertionError("w/" + i + ": " + answer.statusCode() + " " + answer.body());
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError("writing through node " + node + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
