package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.node.SseClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
    private final Map<Integer, JarProcess> processes = new TreeMap<>();
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final AtomicInteger starts = new AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @AfterEach
    void killAll() throws InterruptedException {
        for (JarProcess process : processes.values()) {
            process.kill();
        }
    }

    @Test
    void aWatcherResumedOnAnotherNodeAfterAKillMissesNothingAndTheRestartedNodeServesTheSameHistory()
            throws Exception {
        for (int id = 1; id <= 3; id++) {
            ports.put(id, JarProcess.freePort());
        }
        for (int id = 1; id <= 3; id++) {
            startNode(id);
        }
        int leader = awaitLeader(START);
        List<Integer> followers = new ArrayList<>(ports.keySet());
        followers.remove(Integer.valueOf(leader));
        int watched = followers.get(0);
        int other = followers.get(1);

        SseClient first = SseClient.open(http, url(watched) + "/v1/watch?prefix=w/", null);
        long created = first.await(m -> "created".equals(m.event()), Duration.ofSeconds(10)).revision();

        ConcurrentSkipListSet<Long> acknowledged = new ConcurrentSkipListSet<>();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> writeAll(leader, acknowledged));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= KILL_AFTER
                || writer.isDone());
        processes.get(watched).kill();
        first.awaitEnd(Duration.ofSeconds(10));
        String lastSeen = first.lastEventId();
        assertTrue(lastSeen != null, "the first stream delivered changes before the kill");
        assertTrue(first.changes().size() < WRITES, "the kill came mid-stream: " + first.changes().size()
                + " of " + WRITES + " changes had arrived");

        SseClient resumed = SseClient.open(http, url(other) + "/v1/watch?prefix=w/", lastSeen);
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

        startNode(watched);
        long commit = status(leader).getLong("commitIndex");
        Awaitility.await().atMost(START).pollInterval(Duration.ofMillis(50)).until(() -> {
            JsonObject s = status(watched);
            return s != null && s.getLong("appliedIndex") >= commit;
        });
        try (SseClient replay = SseClient.open(http, url(watched) + "/v1/watch?prefix=w/&fromRevision=" + (created + 1),
                null)) {
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
                    HttpResponse<String> answer = http.send(request(node, "/v1/kv/w/" + i, Duration.ofSeconds(10))
                            .PUT(HttpRequest.BodyPublishers.ofString("v" + i)).build(),
                            HttpResponse.BodyHandlers.ofString());
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

    private void startNode(int id) throws Exception {
        StringBuilder peers = new StringBuilder();
        for (int peer : ports.keySet()) {
            if (peer != id) {
                peers.append(peers.length() == 0 ? "" : ";").append(peer).append("@http://127.0.0.1:")
                        .append(ports.get(peer));
            }
        }
        processes.put(id, JarProcess.start(dir, "node" + id + "-start" + starts.incrementAndGet(), Map.of(
                "KVSTORE_ID", Integer.toString(id), "KVSTORE_PORT", Integer.toString(ports.get(id)),
                "KVSTORE_PEERS", peers.toString(),
                "KVSTORE_STORAGE_DIR", dir.resolve("data").resolve("node" + id).toString())));
    }

    private String url(int id) {
        return "http://127.0.0.1:" + ports.get(id);
    }

    private HttpRequest.Builder request(int id, String path, Duration timeout) {
        return HttpRequest.newBuilder(URI.create(url(id) + path)).timeout(timeout);
    }

    /** The node's status, or null while it does not answer. */
    private JsonObject status(int id) {
        try {
            HttpResponse<String> response = http.send(request(id, "/v1/status", Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? new JsonObject(response.body()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Waits until one node leads and both others follow it. */
    private int awaitLeader(Duration budget) {
        AtomicInteger found = new AtomicInteger();
        Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(50)).until(() -> {
            int leader = 0;
            List<JsonObject> statuses = new ArrayList<>();
            for (int id : ports.keySet()) {
                assertTrue(processes.get(id).process.isAlive(), () -> "node " + id + " exited");
                JsonObject s = status(id);
                if (s == null) {
                    return false;
                }
                statuses.add(s);
                if ("leader".equals(s.getString("role"))) {
                    leader = id;
                }
            }
            for (JsonObject s : statuses) {
                if (leader == 0 || !Integer.valueOf(leader).equals(s.getInteger("leaderId"))) {
                    return false;
                }
            }
            found.set(leader);
            return true;
        });
        return found.get();
    }
}
