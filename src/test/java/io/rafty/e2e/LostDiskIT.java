package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.config.NodeConfig;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12 as a safety hole, on the shipped jar as OS cluster.processes. A = leader, B and C = followers.
 * B is killed and misses N acknowledged writes, which A and C hold. C loses its disk and A goes down.
 * B and C alone must not elect a leader: B lacks the writes, and C — on empty storage — knows nothing
 * and must not vote B in. Before the fix C grants its vote to anyone, B leads a history without the
 * acknowledged writes, and when A returns it follows B and loses them too.
 */
class LostDiskIT {

    private static final int WRITES = 300;
    /**
     * The nodes run with the default timing. 10 of the shortest election timeouts (10 x 10 ticks x 50 ms
     * = 5 s): long enough for B and C to time out and campaign several times each, and before the fix B
     * led within about a second of both being up.
     */
    private static final Duration NO_LEADER_WINDOW = Duration.ofMillis(10L
            * NodeConfig.DEFAULT_ELECTION_TIMEOUT_TICKS_MIN * NodeConfig.DEFAULT_TICK_INTERVAL_MS);
    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private JarCluster cluster;

    /** A record of one acknowledged PUT: the value and the revision the cluster answered with. */
    private record Write(String value, long revision) {
    }

    @BeforeEach
    void createCluster() throws IOException {
        cluster = new JarCluster(dir, 3);
    }

    @AfterEach
    void killAll() throws InterruptedException {
        cluster.close();
    }

    @Test
    void aWipedNodeDoesNotHelpElectALeaderThatLacksAcknowledgedWrites() throws Exception {
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        int a = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);
        List<Integer> followers = new ArrayList<>(cluster.ports.keySet());
        followers.remove(Integer.valueOf(a));
        int b = followers.get(0);
        int c = followers.get(1);

        // A few keys every node holds, so B's stale reads later have something old to show.
        Map<String, Write> acknowledged = new LinkedHashMap<>();
        Map<String, Set<String>> written = new HashMap<>();
        write(a, "k", 0, 20, "old-", acknowledged, written);
        awaitApplied(b, answeredStatus(a).getLong("commitIndex"), Duration.ofSeconds(10));

        kill(b);
        // The same 20 keys overwritten, and 280 new ones: none of it reaches B.
        write(a, "k", 0, WRITES, "new-", acknowledged, written);
        long acknowledgedThrough = answeredStatus(a).getLong("commitIndex");

        kill(c);
        deleteStorage(c);
        kill(a);
        // Only A's disk holds the acknowledged writes now, and A is down.

        cluster.start(b);
        cluster.start(c);
        awaitUp(b, START);
        awaitUp(c, START);
        // until(Callable), unlike untilAsserted, fails at the first AssertionError, so one moment of a leader
        // (or of a served read) fails the test even if it passes again later; true keeps the window going.
        AtomicInteger probe = new AtomicInteger();
        Awaitility.await().during(NO_LEADER_WINDOW).atMost(NO_LEADER_WINDOW.plusSeconds(5))
                .pollInterval(Duration.ofMillis(100)).until(() -> {
                    for (int id : List.of(b, c)) {
                        assertNoLeaderServes(id, a, b, c, acknowledgedThrough, acknowledged, written,
                                probe.getAndIncrement());
                    }
                    return true;
                });

        cluster.start(a);
        int leader = cluster.awaitLeaderFollowedByAll(List.of(a, b, c), START);
        assertAllRead(leader, acknowledged);
        long commitIndex = answeredStatus(leader).getLong("commitIndex");
        assertTrue(commitIndex >= acknowledgedThrough, "the leader's commitIndex " + commitIndex
                + " covers the acknowledged writes (through " + acknowledgedThrough + ")");
        awaitApplied(c, commitIndex, Duration.ofSeconds(30));
        for (int id : List.of(a, b, c)) {
            assertAllRead(id, acknowledged);
        }
    }

    /**
     * One probe of node {@code id} while A is down: it is not the leader, a linearizable read is refused
     * (a 200 or a 404 would be an answer from a leader that lacks acknowledged writes), and a stale read —
     * which may be old — shows no value the key was never written with, and no revision at or past the
     * acknowledged one with another value. A node too busy to answer within the timeout serves nothing.
     */
    private void assertNoLeaderServes(int id, int a, int b, int c, long acknowledgedThrough,
                                      Map<String, Write> acknowledged, Map<String, Set<String>> written, int probe) {
        String name = (id == b ? "B" : "C") + " (node " + id + ")";
        JarProcess process = cluster.processes.get(id);
        assertTrue(process.process.isAlive(), () -> name + " exited: " + JarCluster.output(process));
        JsonObject s = cluster.status(id);
        List<String> keys = new ArrayList<>(acknowledged.keySet());
        String key = keys.get(probe % keys.size());
        HttpResponse<String> read = cluster.get(id, "/v1/kv/" + key);
        assertTrue(s == null || !"leader".equals(s.getString("role")), () -> name + " became leader while A"
                + " (node " + a + ") is down, though acknowledged writes reach index " + acknowledgedThrough
                + " and only A holds them: its status " + s + "; linearizable GET " + key + " there answers "
                + describe(read) + "; the other node's status " + cluster.status(id == b ? c : b));
        assertTrue(read == null || (read.statusCode() != 200 && read.statusCode() != 404), () -> name
                + " served a linearizable read of " + key + " without A: " + describe(read) + " (acknowledged "
                + acknowledged.get(key) + "); its status " + s + "; the other node's status "
                + cluster.status(id == b ? c : b));
        HttpResponse<String> stale = cluster.get(id, "/v1/kv/" + key + "?consistency=stale");
        if (stale != null && stale.statusCode() == 200) {
            JsonObject got = new JsonObject(stale.body());
            Write ack = acknowledged.get(key);
            String value = got.getString("value");
            assertTrue(written.get(key).contains(value), name + " shows " + key + " = " + value
                    + ", a value never written to it; acknowledged " + ack);
            assertTrue(got.getLong("revision") < ack.revision() || value.equals(ack.value()), name + " shows "
                    + key + " at revision " + got.getLong("revision") + " with " + value + ", but " + ack
                    + " was acknowledged at that revision or earlier");
        }
    }

    /** Linearizable reads on {@code id} of every acknowledged key, 50 in flight at a time. */
    private void assertAllRead(int id, Map<String, Write> acknowledged) throws Exception {
        List<Map.Entry<String, Write>> writes = new ArrayList<>(acknowledged.entrySet());
        for (int start = 0; start < writes.size(); start += 50) {
            List<Map.Entry<String, Write>> batch = writes.subList(start, Math.min(writes.size(), start + 50));
            List<CompletableFuture<HttpResponse<String>>> reads = new ArrayList<>();
            for (Map.Entry<String, Write> write : batch) {
                HttpRequest read = cluster.request(id, "/v1/kv/" + write.getKey(), Duration.ofSeconds(10)).build();
                reads.add(cluster.http.sendAsync(read, HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < batch.size(); i++) {
                HttpResponse<String> read = reads.get(i).get(15, TimeUnit.SECONDS);
                String key = batch.get(i).getKey();
                assertEquals(200, read.statusCode(), "acknowledged " + key + " on node " + id + ": " + read.body());
                assertEquals(batch.get(i).getValue().value(), new JsonObject(read.body()).getString("value"),
                        "acknowledged " + key + " on node " + id);
            }
        }
    }

    /**
     * PUTs {@code keyPrefix<from>..keyPrefix<to-1>} = {@code valuePrefix<i>} through {@code node}, 50 in flight at a
     * time, and records each 200. A 503 (not applied) or 504 (unknown) is sent again a few times — PUT of
     * the same value is idempotent — and a write never acknowledged fails the test: the scenario needs all.
     * {@code written} gets every value sent, acknowledged or not.
     */
    private void write(int node, String keyPrefix, int from, int to, String valuePrefix,
                       Map<String, Write> acknowledged, Map<String, Set<String>> written) throws Exception {
        for (int start = from; start < to; start += 50) {
            List<Integer> pending = new ArrayList<>();
            for (int i = start; i < Math.min(to, start + 50); i++) {
                pending.add(i);
            }
            for (int attempt = 1; !pending.isEmpty(); attempt++) {
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                for (int i : pending) {
                    written.computeIfAbsent(keyPrefix + i, k -> new HashSet<>()).add(valuePrefix + i);
                    HttpRequest put = cluster.request(node, "/v1/kv/" + keyPrefix + i, Duration.ofSeconds(10))
                            .PUT(HttpRequest.BodyPublishers.ofString(valuePrefix + i)).build();
                    inFlight.add(cluster.http.sendAsync(put, HttpResponse.BodyHandlers.ofString()));
                }
                List<Integer> again = new ArrayList<>();
                for (int j = 0; j < inFlight.size(); j++) {
                    HttpResponse<String> answer = inFlight.get(j).get(15, TimeUnit.SECONDS);
                    int i = pending.get(j);
                    if (answer.statusCode() == 200) {
                        acknowledged.put(keyPrefix + i, new Write(valuePrefix + i,
                                new JsonObject(answer.body()).getLong("revision")));
                    } else if ((answer.statusCode() == 503 || answer.statusCode() == 504) && attempt < 5) {
                        again.add(i);
                    } else {
                        assertEquals(200, answer.statusCode(), keyPrefix + i + ": " + answer.body());
                    }
                }
                pending = again;
            }
        }
    }

    /** SIGKILL, as a crash or a pulled disk would stop it. */
    private void kill(int id) throws InterruptedException {
        cluster.processes.get(id).kill();
        assertTrue(!cluster.processes.get(id).process.isAlive(), "node " + id + " is dead");
    }

    /**
     * Deletes a killed node's storage as a replaced disk would: the RocksDB directory and the snapshot
     * staging file beside it ({@code node<id>.incoming-snapshot}, present only mid-transfer).
     */
    private void deleteStorage(int id) throws IOException {
        Path storage = cluster.storageDir(id);
        assertTrue(Files.isDirectory(storage), "node " + id + " had storage at " + storage);
        for (Path path : List.of(storage, storage.resolveSibling(storage.getFileName() + ".incoming-snapshot"))) {
            if (Files.exists(path)) {
                try (var paths = Files.walk(path)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
        assertTrue(Files.notExists(storage), "node " + id + "'s storage is gone");
    }

    private static String describe(HttpResponse<String> response) {
        return response == null ? "no answer" : response.statusCode() + " " + response.body();
    }

    private JsonObject answeredStatus(int id) {
        JsonObject s = cluster.status(id);
        assertTrue(s != null, "node " + id + " answers /v1/status");
        return s;
    }

    /** Waits until {@code id} answers /v1/status; a process that exited (a port taken, say) fails at once. */
    private void awaitUp(int id, Duration budget) {
        Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(50)).until(() -> {
            JarProcess process = cluster.processes.get(id);
            assertTrue(process.process.isAlive(), () -> "node " + id + " exited: " + JarCluster.output(process));
            return cluster.status(id) != null;
        });
    }

    private void awaitApplied(int id, long index, Duration budget) {
        Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            JsonObject s = cluster.status(id);
            assertTrue(s != null && s.getLong("appliedIndex") >= index, () -> "node " + id
                    + " has not applied through the leader's commitIndex " + index + ": " + s);
        });
    }
}
