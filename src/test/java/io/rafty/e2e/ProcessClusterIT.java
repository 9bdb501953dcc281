package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar as three OS processes: SIGKILL the leader in the middle of a write load, and show
 * that no acknowledged write is lost and the survivors keep serving.
 */
class ProcessClusterIT {

    private static final int CLIENTS = 8;

    @TempDir
    Path dir;
    private final Map<Integer, JarProcess> processes = new TreeMap<>();
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    @AfterEach
    void killAll() throws InterruptedException {
        for (JarProcess process : processes.values()) {
            process.kill();
        }
    }

    private void startNode(int id) throws Exception {
        StringBuilder peers = new StringBuilder();
        for (int other : ports.keySet()) {
            if (other != id) {
                peers.append(peers.length() == 0 ? "" : ";").append(other).append("@http://127.0.0.1:")
                        .append(ports.get(other));
            }
        }
        processes.put(id, JarProcess.start(dir, "node" + id, Map.of("KVSTORE_ID", Integer.toString(id),
                "KVSTORE_PORT", Integer.toString(ports.get(id)), "KVSTORE_PEERS", peers.toString(),
                "KVSTORE_STORAGE_DIR", "data/node" + id)));
    }

    private String url(int id) {
        return "http://127.0.0.1:" + ports.get(id);
    }

    private JsonObject status(int id) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(id) + "/v1/status"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return new JsonObject(response.body());
        } catch (Exception e) {
            return null;
        }
    }

    private int awaitLeader(Set<Integer> among, Duration budget) {
        AtomicInteger leader = new AtomicInteger();
        Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int id : among) {
                JsonObject s = status(id);
                if (s != null && "leader".equals(s.getString("role"))) {
                    leader.set(id);
                    return true;
                }
            }
            return false;
        });
        return leader.get();
    }

    @Test
    void sigkillDuringWriteLoadLosesNoAcknowledgedWrite() throws Exception {
        for (int id = 1; id <= 3; id++) {
            ports.put(id, JarProcess.freePort());
        }
        for (int id = 1; id <= 3; id++) {
            startNode(id);
        }
        int leader = awaitLeader(ports.keySet(), Duration.ofSeconds(30));

        Map<String, String> acknowledged = new ConcurrentHashMap<>();
        Set<Integer> alive = ConcurrentHashMap.newKeySet();
        alive.addAll(ports.keySet());
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
                        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                        URI.create(url(node) + "/v1/kv/" + key)).timeout(Duration.ofSeconds(5))
                                .PUT(HttpRequest.BodyPublishers.ofString(value)).build(),
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

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> acknowledged.size() >= 200);
        alive.remove(leader);
        processes.get(leader).kill();
        killed.set(true);
        int survivorLeader = awaitLeader(alive, Duration.ofSeconds(10));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> afterKill.get() >= 200);
        running.set(false);
        clients.shutdown();
        assertTrue(clients.awaitTermination(30, TimeUnit.SECONDS));

        for (Map.Entry<String, String> write : acknowledged.entrySet()) {
            HttpResponse<String> read = http.send(HttpRequest.newBuilder(
                    URI.create(url(survivorLeader) + "/v1/kv/" + write.getKey())).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, read.statusCode(), write.getKey() + ": " + read.body());
            assertEquals(write.getValue(), new JsonObject(read.body()).getString("value"));
        }

        // The killed node comes back from its own disk and catches up.
        startNode(leader);
        long target = status(survivorLeader).getLong("commitIndex");
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            JsonObject s = status(leader);
            return s != null && s.getLong("appliedIndex") >= target;
        });
    }
}
