package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar as three OS processes: SIGKILL the leader in the middle of a write load, and show
 * that no acknowledged write is lost and the survivors keep serving.
 */
class ProcessClusterIT {

    private static final int CLIENTS = 8;
    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private JarCluster cluster;

    @BeforeEach
    void createCluster() throws IOException {
        cluster = new JarCluster(dir, 3);
    }

    @AfterEach
    void killAll() throws InterruptedException {
        cluster.close();
    }

    @Test
    void sigkillDuringWriteLoadLosesNoAcknowledgedWrite() throws Exception {
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        int leader = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), START);

        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        Set<Integer> alive = ConcurrentHashMap.newKeySet();
        alive.addAll(cluster.ports.keySet());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger afterKill = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            clients.submit(() -> {
                for (int i = 0; running.get() && i < 100_000; i++) {
                    List<Integer> targets = new ArrayList<>(alive);
                    int node = targets.get(ThreadLocalRandom.current().nextInt(targets.size()));
                    String key = "c" + client + "-" + i;
                    String value = "v" + i;
                    try {
                        HttpResponse<String> response = cluster.http.send(cluster.request(node, "/v1/kv/" + key,
                                        Duration.ofSeconds(5)).PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (response.statusCode() == 200) {
                            acknowledged.put(key, value);
                            if (killed.get()) {
                                afterKill.incrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        // Connection refused or timed out: not acknowledged, so nothing is promised.
                    }
                }
                return null;
            });
        }

        cluster.awaitWithLogs(Duration.ofSeconds(30), () -> acknowledged.size() >= 200);
        alive.remove(leader);
        cluster.processes.get(leader).kill();
        killed.set(true);
        int survivorLeader = cluster.awaitLeader(alive, Duration.ofSeconds(10));
        cluster.awaitWithLogs(Duration.ofSeconds(30), () -> afterKill.get() >= 200);
        running.set(false);
        clients.shutdown();
        assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));

        for (Map.Entry<String, String> write : acknowledged.entrySet()) {
            HttpResponse<String> read = cluster.http.send(cluster.request(survivorLeader, "/v1/kv/" + write.getKey(),
                    Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, read.statusCode(), write.getKey() + ": " + read.body());
            assertEquals(write.getValue(), new JsonObject(read.body()).getString("value"));
        }

        // The killed node comes back from its own disk and catches up.
        cluster.start(leader);
        long target = cluster.status(survivorLeader).getLong("commitIndex");
        cluster.awaitWithLogs(Duration.ofSeconds(30), () -> {
            JsonObject s = cluster.status(leader);
            return s != null && s.getLong("appliedIndex") >= target;
        });
    }
}
