package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Nodes of one cluster as {@link JarProcess}es on loopback: fixed ids and ports, a storage directory
 * each under {@code dir/data}, every node's peers the others. Nodes start and die one at a time, as the
 * test decides; {@link #close()} kills whatever still runs.
 */
final class JarCluster implements AutoCloseable {

    final Map<Integer, JarProcess> processes = new TreeMap<>();
    final Map<Integer, Integer> ports = new TreeMap<>();
    /** Each node's etcd v3 gRPC port ({@code KVSTORE_ETCD_PORT}); empty when the nodes serve no etcd API. */
    final Map<Integer, Integer> etcdPorts = new TreeMap<>();
    /** Each node's bind and peer address; 127.0.0.1 unless the cluster spans namespaces. */
    final Map<Integer, String> hosts = new TreeMap<>();
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    /** More settings every node gets at every start (e.g. {@code KVSTORE_AUTH}); set before the first start. */
    final Map<String, String> environment = new TreeMap<>();
    private final Path dir;
    private final AtomicInteger starts = new AtomicInteger();
    private final IntFunction<List<String>> launcher;

    /** Nodes 1..{@code size}, each with a free port; none started yet. */
    JarCluster(Path dir, int size) throws IOException {
        this.dir = dir;
        this.launcher = id -> List.of();
        for (int id = 1; id <= size; id++) {
            ports.put(id, JarProcess.freePort());
            etcdPorts.put(id, JarProcess.freePort());
            hosts.put(id, "127.0.0.1");
        }
    }

    /**
     * Nodes 1..{@code hosts.size()} on separate addresses (one per key of {@code hosts}), all on {@code port},
     * as on separate machines; node {@code id} is started through {@code launcher.apply(id)} (e.g.
     * {@code ip netns exec NS}) and binds {@code KVSTORE_HOST} to its own address.
     */
    JarCluster(Path dir, Map<Integer, String> hosts, int port, IntFunction<List<String>> launcher) {
        this.dir = dir;
        this.launcher = launcher;
        this.hosts.putAll(hosts);
        for (int id : hosts.keySet()) {
            ports.put(id, port);
        }
    }

    /** Starts node {@code id}; each start gets its own log file, so a restart keeps what the last run printed. */
    void start(int id) throws IOException {
        StringBuilder peers = new StringBuilder();
        for (int other : ports.keySet()) {
            if (other != id) {
                peers.append(peers.length() == 0 ? "" : ";").append(other).append("@").append(url(other));
            }
        }
        String name = "node" + id + "-start" + starts.incrementAndGet();
        Map<String, String> env = new TreeMap<>(Map.of("KVSTORE_ID", Integer.toString(id),
                "KVSTORE_HOST", hosts.get(id), "KVSTORE_PORT", Integer.toString(ports.get(id)),
                "KVSTORE_PEERS", peers.toString(),
                "KVSTORE_STORAGE_DIR", storageDir(id).toString()));
        if (etcdPorts.containsKey(id)) {
            env.put("KVSTORE_ETCD_PORT", Integer.toString(etcdPorts.get(id)));
        }
        env.putAll(environment);
        processes.put(id, JarProcess.start(launcher.apply(id), dir, name, env));
    }

    /**
     * Starts node {@code id} on empty storage joining through node {@code via} ({@code KVSTORE_JOIN}, no peers),
     * as a member the cluster's configuration already names is brought in.
     */
    void startJoining(int id, int via) throws IOException {
        String name = "node" + id + "-start" + starts.incrementAndGet();
        Map<String, String> env = new TreeMap<>(Map.of("KVSTORE_ID", Integer.toString(id),
                "KVSTORE_PORT", Integer.toString(ports.get(id)), "KVSTORE_JOIN", url(via),
                "KVSTORE_STORAGE_DIR", storageDir(id).toString()));
        env.putAll(environment);
        processes.put(id, JarProcess.start(dir, name, env));
    }

    Path storageDir(int id) {
        return dir.resolve("data").resolve("node" + id);
    }

    /** Node {@code id}'s etcd endpoint, as etcd's clients take it. */
    String etcdEndpoint(int id) {
        return "http://" + hosts.get(id) + ":" + etcdPorts.get(id);
    }

    String url(int id) {
        return "http://" + hosts.get(id) + ":" + ports.get(id);
    }

    HttpRequest.Builder request(int id, String path, Duration timeout) {
        return HttpRequest.newBuilder(URI.create(url(id) + path)).timeout(timeout);
    }

    /** A GET with a short timeout; null when the node does not answer (down, or still starting). */
    HttpResponse<String> get(int id, String path) {
        try {
            return http.send(request(id, path, Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The node's {@code /v1/status}, or null while it does not answer 200. */
    JsonObject status(int id) {
        HttpResponse<String> response = get(id, "/v1/status");
        return response == null || response.statusCode() != 200 ? null : new JsonObject(response.body());
    }

    /** Waits until exactly one of {@code among} leads and every other one follows it; returns its id. */
    int awaitLeaderFollowedByAll(List<Integer> among, Duration budget) {
        AtomicInteger found = new AtomicInteger();
        awaitWithLogs(budget, () -> {
            int leader = 0;
            List<JsonObject> statuses = new ArrayList<>();
            for (int id : among) {
                JarProcess process = processes.get(id);
                assertTrue(process.process.isAlive(), () -> "node " + id + " exited: " + output(process));
                JsonObject s = status(id);
                if (s == null) {
                    return false;
                }
                statuses.add(s);
                if ("leader".equals(s.getString("role"))) {
                    if (leader != 0) {
                        return false;
                    }
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

    /** Waits until exactly one of {@code among} says it leads (the others may not know yet); returns its id. */
    int awaitLeader(Collection<Integer> among, Duration budget) {
        AtomicInteger found = new AtomicInteger();
        awaitWithLogs(budget, () -> {
            for (int id : among) {
                JsonObject s = status(id);
                if (s != null && "leader".equals(s.getString("role"))) {
                    found.set(id);
                    return true;
                }
            }
            return false;
        });
        return found.get();
    }

    /**
     * Awaits {@code condition}; on timeout the failure carries every node's status and the end of its log,
     * so a run that failed on a CI machine can be read without the machine.
     */
    void awaitWithLogs(Duration budget, Callable<Boolean> condition) {
        try {
            Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(50)).until(condition);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + describeNodes(), e);
        }
    }

    /** Every node's status and the end of its log, to append to a failure message. */
    String describeNodes() {
        StringBuilder report = new StringBuilder();
        for (Map.Entry<Integer, JarProcess> node : processes.entrySet()) {
            JarProcess process = node.getValue();
            report.append("\n--- node ").append(node.getKey())
                    .append(process.process.isAlive() ? " (running) status " + status(node.getKey()) : " (exited)")
                    .append(" ---\n").append(output(process));
        }
        return report.toString();
    }

    /** The end of a node's output, for a failure message. */
    static String output(JarProcess process) {
        try {
            String text = process.output();
            return text.length() > 4000 ? "..." + text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (JarProcess process : processes.values()) {
            process.kill();
        }
    }
}
