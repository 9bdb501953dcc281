package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup and restore on the real jar: a backup taken with {@code rafty snapshot save} from a three-node
 * cluster under a concurrent write load is restored with {@code rafty snapshot restore} into a new
 * three-node cluster (the restored node, two empty ones joining as learners), which then serves exactly
 * the writes acknowledged at or below the backup's revision, and takes new writes above it.
 */
class BackupRestoreIT {

    private static final int WRITERS = 4;
    private static final int KEYS = 25;
    private static final Duration BUDGET = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** An acknowledged PUT: the key, the value and the revision the server answered. */
    record Ack(String key, String value, long revision) {
    }

    @Test
    void aRestoredClusterServesEveryWriteAtOrBelowTheBackupRevisionAndNoneAbove() throws Exception {
        Path backup = dir.resolve("cluster.snapshot");
        Queue acks = new Queue();
        long revision;
        try (JarCluster old = new JarCluster(Files.createDirectories(dir.resolve("old")), 3)) {
            for (int id = 1; id <= 3; id++) {
                old.start(id);
            }
            old.awaitLeaderFollowedByAll(List.of(1, 2, 3), BUDGET);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                Thread thread = new Thread(() -> write(old, writer, stop, acks), "writer-" + w);
                thread.start();
                writers.add(thread);
            }
            try {
                Awaitility.await().atMost(BUDGET).until(() -> acks.done.size() >= 300);
                // Save from a follower first in the list, the leader's address after it: any node streams one.
                JarProcess save = JarProcess.start(dir, "save", Map.of(), "snapshot", "save", backup.toString(),
                        "--endpoints", old.url(2) + "," + old.url(1));
                int code = save.awaitExit(BUDGET);
                String output = save.output();
                assertEquals(0, code, output);
                revision = revisionIn(output);
                assertTrue(output.contains("bytes"), output);
                // Writes go on after the backup's revision: some must be acknowledged above it.
                long backupRevision = revision;
                Awaitility.await().atMost(BUDGET).until(() -> acks.done.stream().filter(a -> a.revision() > backupRevision)
                        .count() >= 50);
            } finally {
                stop.set(true);
                for (Thread thread : writers) {
                    thread.join();
                }
            }
        }
        assertTrue(Files.exists(backup));
        assertFalse(Files.exists(dir.resolve("cluster.snapshot.part")));

        JarCluster restored = new JarCluster(Files.createDirectories(dir.resolve("new")), 3);
        try (restored) {
            JarProcess restore = JarProcess.start(dir, "restore", Map.of(), "snapshot", "restore", backup.toString(),
                    "--data-dir", restored.storageDir(1).toString(), "--id", "1",
                    "--peers", "2@" + restored.url(2) + ";3@" + restored.url(3));
            assertEquals(0, restore.awaitExit(BUDGET), restore.output());
            restored.start(1);
            restored.awaitLeader(List.of(1), BUDGET);
            restored.startJoining(2, 1);
            restored.startJoining(3, 1);
            long backupRevision = revision;
            // All three serve: one leader followed by the others, both promoted to voters, all past R.
            restored.awaitWithLogs(BUDGET, () -> {
                for (int id = 1; id <= 3; id++) {
                    JsonObject s = restored.status(id);
                    if (s == null || s.getLong("appliedIndex") < backupRevision || s.getInteger("leaderId") != 1
                            || "learner".equals(s.getString("role"))) {
                        return false;
                    }
                }
                return true;
            });

            Map<String, Ack> expected = lastAcknowledgedAtOrBelow(acks.done, revision);
            for (int id = 1; id <= 3; id++) {
                Map<String, JsonObject> served = list(restored, id);
                for (JsonObject item : served.values()) {
                    assertTrue(item.getLong("revision") <= revision, () -> "node serves " + item
                            + ", written after the backup's revision " + backupRevision);
                }
                for (Map.Entry<String, Ack> key : expected.entrySet()) {
                    if (acks.uncertain.contains(key.getKey())) {
                        continue;
                    }
                    JsonObject item = served.get(key.getKey());
                    Ack ack = key.getValue();
                    assertTrue(item != null, "key " + key.getKey() + " acknowledged at " + ack.revision() + " is missing");
                    assertEquals(ack.value(), item.getString("value"), "value of " + key.getKey());
                    assertEquals(ack.revision(), item.getLong("revision"), "mod revision of " + key.getKey());
                }
                Set<String> unexpected = new HashSet<>(served.keySet());
                unexpected.removeAll(expected.keySet());
                unexpected.removeAll(acks.uncertain);
                assertEquals(Set.of(), unexpected, "keys no acknowledged write at or below the revision made");
            }

            // A new write lands above the backup's revision and reaches every node.
            HttpResponse<String> put = restored.http.send(restored.request(2, "/v1/kv/after-restore", Duration.ofSeconds(5))
                    .PUT(HttpRequest.BodyPublishers.ofString("fresh")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());
            long newRevision = new JsonObject(put.body()).getLong("revision");
            assertTrue(newRevision > revision, "new write at " + newRevision + " not above " + revision);
            restored.awaitWithLogs(BUDGET, () -> {
                for (int id = 1; id <= 3; id++) {
                    HttpResponse<String> got = restored.get(id, "/v1/kv/after-restore?consistency=stale");
                    if (got == null || got.statusCode() != 200
                            || new JsonObject(got.body()).getLong("revision") != newRevision) {
                        return false;
                    }
                }
                return true;
            });
        }
    }

    /** What every writer shares: acknowledged writes, and keys whose last attempt had no definite answer. */
    static final class Queue {
        final ConcurrentLinkedQueue<Ack> done = new ConcurrentLinkedQueue<>();
        final Set<String> uncertain = ConcurrentHashMap.newKeySet();
    }

    private static void write(JarCluster cluster, int writer, AtomicBoolean stop, Queue acks) {
        AtomicInteger sequence = new AtomicInteger();
        while (!stop.get()) {
            String key = "k" + ThreadLocalRandom.current().nextInt(KEYS);
            String value = "w" + writer + "-" + sequence.incrementAndGet();
            int node = 1 + ThreadLocalRandom.current().nextInt(3);
            try {
                HttpResponse<String> response = cluster.http.send(cluster.request(node, "/v1/kv/" + key,
                        Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    acks.done.add(new Ack(key, value, new JsonObject(response.body()).getLong("revision")));
                } else if (response.statusCode() != 503) {
                    // 503 is "not applied"; anything else may or may not have been.
                    acks.uncertain.add(key);
                }
            } catch (IOException e) {
                acks.uncertain.add(key);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static Map<String, Ack> lastAcknowledgedAtOrBelow(Iterable<Ack> acks, long revision) {
        Map<String, Ack> last = new HashMap<>();
        for (Ack ack : acks) {
            if (ack.revision() <= revision) {
                last.merge(ack.key(), ack, (a, b) -> a.revision() >= b.revision() ? a : b);
            }
        }
        return last;
    }

    /** Every key under "k" on node {@code id}, read linearizably there. */
    private static Map<String, JsonObject> list(JarCluster cluster, int id) throws Exception {
        HttpResponse<String> response = cluster.http.send(cluster.request(id, "/v1/kv?prefix=k&limit=1000",
                Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        JsonObject page = new JsonObject(response.body());
        assertFalse(page.getBoolean("more"));
        JsonArray items = page.getJsonArray("items");
        Map<String, JsonObject> byKey = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            byKey.put(items.getJsonObject(i).getString("key"), items.getJsonObject(i));
        }
        return byKey;
    }

    private static long revisionIn(String saveOutput) {
        Matcher matcher = Pattern.compile(": revision (\\d+), ").matcher(saveOutput);
        assertTrue(matcher.find(), saveOutput);
        return Long.parseLong(matcher.group(1));
    }
}
