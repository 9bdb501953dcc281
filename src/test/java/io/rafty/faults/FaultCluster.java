package io.rafty.faults;

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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A cluster of {@link NodeProcess}es whose every directed peer link {@code i -> j} goes through its
 * own {@link LinkProxy}: node i's {@code KVSTORE_PEERS} names the proxy's port for j. Raft messages
 * and forwarded client requests from i to j both take that link. Clients talk to the nodes directly.
 */
final class FaultCluster implements AutoCloseable {

    final int size;
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final Map<Integer, NodeProcess> nodes = new TreeMap<>();
    private final Map<List<Integer>, LinkProxy> links = new HashMap<>();
    /** Nodes found dead without having been killed, with their exit codes: always a bug. */
    final List<String> crashes = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1)).build();

    FaultCluster(int size, Path workDir, Map<String, String> tunables) throws IOException {
        this.size = size;
        for (int id = 1; id <= size; id++) {
            ports.put(id, Ports.take());
        }
        for (int from = 1; from <= size; from++) {
            for (int to = 1; to <= size; to++) {
                if (from != to) {
                    links.put(List.of(from, to), new LinkProxy(from, to, ports.get(to)));
                }
            }
        }
        for (int id = 1; id <= size; id++) {
            StringBuilder peers = new StringBuilder();
            for (int other = 1; other <= size; other++) {
                if (other != id) {
                    peers.append(peers.length() == 0 ? "" : ";").append(other).append("@http://127.0.0.1:")
                            .append(link(id, other).port());
                }
            }
            Map<String, String> env = new HashMap<>(tunables);
            env.put("KVSTORE_ID", Integer.toString(id));
            env.put("KVSTORE_PORT", Integer.toString(ports.get(id)));
            env.put("KVSTORE_PEERS", peers.toString());
            env.put("KVSTORE_STORAGE_DIR", workDir.resolve("data/node" + id).toString());
            nodes.put(id, new NodeProcess(id, workDir, env));
        }
    }

    Set<Integer> ids() {
        return nodes.keySet();
    }

    NodeProcess node(int id) {
        return nodes.get(id);
    }

    Collection<NodeProcess> nodes() {
        return nodes.values();
    }

    LinkProxy link(int from, int to) {
        return links.get(List.of(from, to));
    }

    Collection<LinkProxy> links() {
        return links.values();
    }

    String url(int id) {
        return "http://127.0.0.1:" + ports.get(id);
    }

    void startAll() throws IOException {
        for (NodeProcess node : nodes.values()) {
            node.start();
        }
    }

    /** Every link back to a clean pipe, every paused node resumed, every killed node restarted. */
    void healAll() throws IOException, InterruptedException {
        for (LinkProxy link : links.values()) {
            link.heal();
        }
        for (NodeProcess node : nodes.values()) {
            node.resume();
            noteCrash(node);
            if (!node.isRunning()) {
                node.start();
            }
        }
    }

    /** Records every node that has exited by itself; call before anything restarts it. */
    void noteCrashes() {
        for (NodeProcess node : nodes.values()) {
            noteCrash(node);
        }
    }

    private void noteCrash(NodeProcess node) {
        if (node.crashed()) {
            crashes.add("node " + node.id + " exited by itself with code " + node.exitCode() + " (log: " + node.log()
                    + "; last line: " + lastLine(node.log()) + ")");
        }
    }

    private static String lastLine(java.nio.file.Path log) {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(log);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        } catch (IOException | java.io.UncheckedIOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    void killAll() throws InterruptedException {
        for (NodeProcess node : nodes.values()) {
            node.kill();
        }
    }

    /** Cuts (or stalls) both directions between every node of {@code a} and every node of {@code b}. */
    void partition(Collection<Integer> a, Collection<Integer> b, LinkProxy.Mode mode) {
        for (int x : a) {
            for (int y : b) {
                if (x != y) {
                    link(x, y).setMode(mode);
                    link(y, x).setMode(mode);
                }
            }
        }
    }

    /** This node's own view, or empty when it does not answer within a second. */
    Optional<JsonObject> status(int id) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(id) + "/v1/status"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(new JsonObject(response.body())) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The node that some live node reports as leader, if any answers so right now. */
    Optional<Integer> currentLeader() {
        for (int id : nodes.keySet()) {
            NodeProcess node = nodes.get(id);
            if (!node.isRunning() || node.isPaused()) {
                continue;
            }
            Optional<JsonObject> s = status(id);
            if (s.isPresent() && "leader".equals(s.get().getString("role"))) {
                return Optional.of(id);
            }
        }
        return Optional.empty();
    }

    /** Waits until every running node agrees on one leader in one term. */
    int awaitStableLeader(Duration budget) {
        AtomicInteger leader = new AtomicInteger();
        try {
            Awaitility.await().atMost(budget).pollInterval(Duration.ofMillis(100)).until(() -> {
                List<JsonObject> views = new ArrayList<>();
                for (int id : nodes.keySet()) {
                    Optional<JsonObject> s = status(id);
                    if (s.isEmpty()) {
                        return false;
                    }
                    views.add(s.get());
                }
                Integer leaderId = views.get(0).getInteger("leaderId");
                long term = views.get(0).getLong("term");
                for (JsonObject view : views) {
                    if (leaderId == null || !leaderId.equals(view.getInteger("leaderId")) || view.getLong("term") != term) {
                        return false;
                    }
                }
                leader.set(leaderId);
                return true;
            });
        } catch (ConditionTimeoutException e) {
            StringBuilder views = new StringBuilder();
            for (int id : nodes.keySet()) {
                views.append("\n  node ").append(id).append(": ").append(status(id).map(JsonObject::encode)
                        .orElse("no answer (exit code " + nodes.get(id).exitCode() + ")"));
            }
            throw new AssertionError("no stable leader within " + budget + views, e);
        }
        return leader.get();
    }

    @Override
    public void close() throws InterruptedException {
        for (NodeProcess node : nodes.values()) {
            node.kill();
        }
        for (LinkProxy link : links.values()) {
            link.close();
        }
    }
}
