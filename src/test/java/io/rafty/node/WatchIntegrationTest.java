package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.config.TestConfigs;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Watch streams (DESIGN §4) on three real nodes in one JVM: a follower's watcher sees every write made
 * through the other nodes, in order; a watcher whose node stops resumes elsewhere with
 * {@code Last-Event-ID} and misses and repeats nothing; a burst of 10 000 writes arrives whole; history
 * reads and watches below the compact revision get 410; a watcher that does not read is cancelled as
 * slow instead of growing the node's memory.
 */
class WatchIntegrationTest {

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

    private int other(int... not) {
        for (int id : cluster.nodes.keySet()) {
            boolean excluded = false;
            for (int n : not) {
                excluded |= n == id;
            }
            if (!excluded) {
                return id;
            }
        }
        throw new IllegalStateException("no other node");
    }

    /** revision → "key=value" of every change event in {@code changes}, failing on a repeated revision. */
    private static TreeMap<Long, String> events(List<SseClient.Message> changes) {
        TreeMap<Long, String> seen = new TreeMap<>();
        long previous = 0;
        for (SseClient.Message change : changes) {
            long revision = change.revision();
            assertTrue(revision > previous, "revisions in order: " + revision + " after " + previous);
            assertEquals(String.valueOf(revision), change.id(), "each change carries its revision as its id");
            previous = revision;
            JsonArray list = change.data().getJsonArray("events");
            assertEquals(1, list.size(), "one write, one event: " + change.data());
            JsonObject event = list.getJsonObject(0);
            seen.put(revision, event.getString("key") + "=" + event.getString("value"));
        }
        return seen;
    }

    @Test
    void aFollowersWatcherSeesEveryWriteMadeThroughTheOtherNodesInOrder() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        int third = other(leader, follower);
        TreeMap<Long, String> written = new TreeMap<>();
        try (SseClient watch = SseClient.open(cluster.http, cluster.url(follower) + "/v1/watch?prefix=w/", null)) {
            assertTrue(watch.contentType().startsWith("text/event-stream"), watch.contentType());
            SseClient.Message created = watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            for (int i = 0; i < 200; i++) {
                int through = i % 2 == 0 ? leader : third;
                HttpResponse<String> put = cluster.put(through, "w/" + (i % 7), "v" + i);
                assertEquals(200, put.statusCode(), put.body());
                written.put(json(put).getLong("revision"), "w/" + (i % 7) + "=v" + i);
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> watch.changes().size() >= 200);
            assertTrue(written.firstKey() > created.revision(), "created " + created.revision() + " precedes them all");
            assertEquals(written, events(watch.changes()));
        }
    }

    @Test
    void aWatcherWhoseNodeStopsResumesElsewhereWithLastEventIdMissingAndRepeatingNothing() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int watched = cluster.anyFollower(leader);
        int next = other(leader, watched);
        Map<Long, String> written = new ConcurrentSkipListMap<>();
        AtomicInteger count = new AtomicInteger();
        Runnable write = () -> {
            try {
                int i = count.getAndIncrement();
                HttpResponse<String> put = cluster.put(leader, "r/" + (i % 5), "v" + i);
                assertEquals(200, put.statusCode(), put.body());
                written.put(json(put).getLong("revision"), "r/" + (i % 5) + "=v" + i);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        List<SseClient.Message> seen = new ArrayList<>();
        try (SseClient first = SseClient.open(cluster.http, cluster.url(watched) + "/v1/watch?prefix=r/&progressMs=100",
                null)) {
            first.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            for (int i = 0; i < 100; i++) {
                write.run();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> first.changes().size() >= 100);
            // Writes keep coming while the watched node goes away.
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 100; i++) {
                    write.run();
                }
            });
            cluster.stop(watched);
            first.awaitEnd(Duration.ofSeconds(10));
            seen.addAll(first.changes());
            String lastEventId = first.lastEventId();
            assertNotNull(lastEventId);
            writer.get();
            try (SseClient second = SseClient.open(cluster.http, cluster.url(next) + "/v1/watch?prefix=r/",
                    lastEventId)) {
                SseClient.Message created = second.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
                assertEquals(Long.parseLong(lastEventId), created.revision(), "the stream resumes after the last id");
                for (int i = 0; i < 50; i++) {
                    write.run();
                }
                long last = ((ConcurrentSkipListMap<Long, String>) written).lastKey();
                await().atMost(Duration.ofSeconds(10)).until(() -> second.changes().stream()
                        .anyMatch(m -> m.revision() == last));
                seen.addAll(second.changes());
            }
        }
        assertEquals(new TreeMap<>(written), events(seen), "every acknowledged write once, in order");
    }

    @Test
    void aBurstOfTenThousandWritesArrivesComplete() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        int writes = 10_000;
        try (SseClient watch = SseClient.open(cluster.http, cluster.url(follower) + "/v1/watch?prefix=burst/", null)) {
            watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
            Map<Long, String> written = new ConcurrentSkipListMap<>();
            List<CompletableFuture<Void>> inFlight = new ArrayList<>();
            for (int i = 0; i < writes; i++) {
                String key = "burst/" + (i % 100);
                String value = "v" + i;
                HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.url(i % 2 == 0 ? leader : follower)
                        + "/v1/kv/" + key)).PUT(HttpRequest.BodyPublishers.ofString(value))
                        .timeout(Duration.ofSeconds(30)).build();
                inFlight.add(cluster.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenAccept(put -> {
                    assertEquals(200, put.statusCode(), put.body());
                    written.put(json(put).getLong("revision"), key + "=" + value);
                }));
                if (inFlight.size() >= 64) {
                    inFlight.remove(0).get();
                }
            }
            for (CompletableFuture<Void> pending : inFlight) {
                pending.get();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> watch.changes().size() >= writes);
            assertEquals(writes, written.size());
            assertEquals(new TreeMap<>(written), events(watch.changes()));
        }
    }

    @Test
    void historyBelowTheCompactRevisionIsGoneWith410AndTheRestIsStillServed() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            revisions.add(json(cluster.put(leader, "h", "v" + i)).getLong("revision"));
        }
        long keep = revisions.get(5);
        HttpResponse<String> compact = cluster.post(follower, "/v1/compact", "{\"revision\":" + keep + "}");
        assertEquals(200, compact.statusCode(), compact.body());
        assertEquals(keep, json(compact).getLong("compactRevision"));

        HttpResponse<String> old = cluster.get(follower, "/v1/kv/h?revision=" + revisions.get(4));
        assertEquals(410, old.statusCode(), old.body());
        assertEquals("compacted", json(old).getString("error"));
        assertEquals(keep, json(old).getLong("compactRevision"));
        HttpResponse<String> kept = cluster.get(follower, "/v1/kv/h?revision=" + keep);
        assertEquals(200, kept.statusCode(), kept.body());
        assertEquals("v5", json(kept).getString("value"));
        HttpResponse<String> future = cluster.get(follower, "/v1/kv/h?revision=" + (revisions.get(9) + 1_000));
        assertEquals(400, future.statusCode(), future.body());
        assertEquals("future_revision", json(future).getString("error"));
        HttpResponse<String> again = cluster.post(leader, "/v1/compact", "{\"revision\":" + (keep - 1) + "}");
        assertEquals(410, again.statusCode(), again.body());

        SseClient.Refused refused = assertThrows(SseClient.Refused.class, () -> SseClient.open(cluster.http,
                cluster.url(follower) + "/v1/watch/h?fromRevision=" + (keep - 1), null));
        assertEquals(410, refused.status, refused.body);
        assertEquals("compacted", refused.json().getString("error"));
        assertEquals(keep, refused.json().getLong("compactRevision"));
        try (SseClient watch = SseClient.open(cluster.http, cluster.url(follower) + "/v1/watch/h?fromRevision=" + keep,
                null)) {
            await().atMost(Duration.ofSeconds(5)).until(() -> watch.changes().size() >= 5);
            assertEquals(revisions.subList(5, 10), watch.changes().stream().map(SseClient.Message::revision).toList());
        }
        JsonObject status = json(cluster.get(follower, "/v1/status"));
        assertEquals(keep, status.getLong("compactRevision"));
    }

    @Test
    void aWatcherThatDoesNotReadIsCancelledAsSlowAndLetGo() throws Exception {
        cluster = new TestCluster(dir, 3, new VertxOptions(), config -> TestConfigs.with(config,
                Map.of("maxWatcherQueueBytes", 64L * 1024)));
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int watched = cluster.anyFollower(leader);
        URI uri = URI.create(cluster.url(watched));
        try (Socket socket = new Socket()) {
            // A small receive window, and nothing read: the server's writes back up.
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 2000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /v1/watch?prefix=slow/ HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            await().atMost(Duration.ofSeconds(5)).until(() -> cluster.nodes.get(watched).status().watchers() == 1);
            String value = "x".repeat(4096);
            int written = 0;
            while (cluster.nodes.get(watched).status().watchers() == 1 && written < 5_000) {
                HttpResponse<String> put = cluster.put(leader, "slow/" + (written % 10), value);
                assertEquals(200, put.statusCode(), put.body());
                written++;
            }
            int sent = written;
            assertEquals(0, cluster.nodes.get(watched).status().watchers(), "cancelled after " + sent + " writes of 4 KiB");
            assertTrue(sent < 5_000);
            // Reading now: the stream holds a prefix of the changes and ends with the cancel.
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[1 << 16];
            String text = "";
            boolean endOfStream = false;
            while (!text.contains("event: cancelled")) {
                int n = in.read(buffer);
                if (n < 0) {
                    endOfStream = true;
                    break;
                }
                received.write(buffer, 0, n);
                text = received.toString(StandardCharsets.UTF_8);
            }
            String seen = "after " + sent + " writes, " + text.length() + " chars, end of stream " + endOfStream
                    + ", watchers " + cluster.nodes.get(watched).status().watchers() + ", ending "
                    + (text.length() > 600 ? text.substring(text.length() - 600) : text);
            assertTrue(text.contains("event: cancelled\ndata: {\"reason\":\"slow_watcher\""), seen);
        }
        // The node serves on: a new watcher is accepted.
        try (SseClient watch = SseClient.open(cluster.http, cluster.url(watched) + "/v1/watch?prefix=slow/", null)) {
            watch.await(m -> "created".equals(m.event()), Duration.ofSeconds(5));
        }
    }

    @Test
    void aFollowerRebuiltFromASnapshotServesTheSamePastReadsAndWatchesAsTheLeader() throws Exception {
        cluster = new TestCluster(dir, 3, new VertxOptions(), config -> TestConfigs.snapshots(config, 100, 64L << 20, 10));
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        int follower = cluster.anyFollower(leader);
        List<Long> revisions = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            HttpResponse<String> put = i % 10 == 9 ? cluster.delete(leader, "/v1/kv/s/" + (i % 4))
                    : cluster.put(leader, "s/" + (i % 4), "v" + i);
            assertTrue(put.statusCode() == 200 || put.statusCode() == 404, put.body());
            if (put.statusCode() == 200) {
                revisions.add(json(put).getLong("revision"));
            }
        }
        cluster.stop(follower);
        cluster.wipe(follower);
        SnapshotIntegrationTest.writeKeys(cluster, leader, "pad/", 300);
        cluster.restart(follower);
        long leaderApplied = cluster.nodes.get(leader).status().appliedIndex();
        await().atMost(Duration.ofSeconds(30)).until(
                () -> cluster.nodes.get(follower).status().appliedIndex() >= leaderApplied);
        assertTrue(cluster.nodes.get(follower).status().snapshotIndex() > revisions.get(revisions.size() - 1),
                "rebuilt from a snapshot that covers the history: " + cluster.nodes.get(follower).status());
        for (long revision : revisions) {
            String query = "/v1/kv?prefix=s/&consistency=stale&revision=" + revision;
            HttpResponse<String> there = cluster.get(leader, query);
            HttpResponse<String> here = cluster.get(follower, query);
            assertEquals(200, here.statusCode(), here.body());
            assertEquals(json(there).getJsonArray("items"), json(here).getJsonArray("items"), "at revision " + revision);
        }
        String watch = "/v1/watch?prefix=s/&prevKv=true&fromRevision=" + revisions.get(0);
        try (SseClient onLeader = SseClient.open(cluster.http, cluster.url(leader) + watch, null);
             SseClient onRebuilt = SseClient.open(cluster.http, cluster.url(follower) + watch, null)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> onLeader.changes().size() >= revisions.size()
                    && onRebuilt.changes().size() >= revisions.size());
            assertEquals(onLeader.changes().stream().map(SseClient.Message::data).toList(),
                    onRebuilt.changes().stream().map(SseClient.Message::data).toList());
        }
    }

    @Test
    void theLeaderCompactsOnItsOwnToKeepTheConfiguredRevisions() throws Exception {
        cluster = new TestCluster(dir, 3, new VertxOptions(), config -> TestConfigs.with(config,
                Map.of("historyRetentionRevisions", 50L, "historyCompactionIntervalMs", 100)));
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        SnapshotIntegrationTest.writeKeys(cluster, leader, "auto/", 300);
        long applied = cluster.nodes.get(leader).status().appliedIndex();
        for (int id : cluster.nodes.keySet()) {
            // Compactions come in steps of a tenth of the kept revisions.
            await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes.get(id).status().compactRevision()
                    >= applied - 55);
        }
        NodeStatus status = cluster.nodes.get(leader).status();
        long compacted = status.compactRevision();
        assertTrue(compacted <= status.appliedIndex() - 50, "keeps at least the last 50 revisions: " + status);
        // An idle store is not compacted again and again (its compaction entries are not changes): the log
        // stands still for ten compaction intervals.
        long[] last = {cluster.nodes.get(leader).status().appliedIndex()};
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            long now = cluster.nodes.get(leader).status().appliedIndex();
            boolean same = now == last[0];
            last[0] = now;
            return same;
        });
        long settled = last[0];
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> cluster.nodes.get(leader).status().appliedIndex() == settled);
        HttpResponse<String> gone = cluster.get(leader, "/v1/kv?prefix=auto/&revision=" + (compacted - 1));
        assertEquals(410, gone.statusCode(), gone.body());
        HttpResponse<String> kept = cluster.get(leader, "/v1/kv?prefix=auto/&limit=1000&revision=" + compacted);
        assertEquals(200, kept.statusCode(), kept.body());
        // Each key was written once, so the state at the compact revision is the current keys written at or before it.
        List<Object> before = json(cluster.get(leader, "/v1/kv?prefix=auto/&limit=1000")).getJsonArray("items").stream()
                .filter(item -> ((JsonObject) item).getLong("revision") <= compacted).toList();
        assertTrue(before.size() > 200, "most keys were written before the compact revision: " + before.size());
        assertEquals(new JsonArray(before), json(kept).getJsonArray("items"),
                "every key written at or before the compact revision is still there, as it was");
    }
}
