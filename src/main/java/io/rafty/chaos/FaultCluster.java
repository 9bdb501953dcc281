package io.rafty.chaos;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A cluster of {@link NodeProcess}es whose every directed peer link {@code i -> j} goes through its
 * own {@link LinkProxy}: node i's {@code KVSTORE_PEERS} names the proxy's port for j. Raft messages
 * and forwarded client requests from i to j both take that link. Clients talk to the nodes directly.
 *
 * <p>Every fault goes through this class, which records it in {@link ChaosEvents} as it happens:
 * one event per node or directed link, so the feed can show exactly which link is cut.
 */
final class FaultCluster implements AutoCloseable {

    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(1);
    /** How often {@link #awaitStableLeader} asks every node for its view. */
    private static final long LEADER_POLL_MS = 100;

    final int size;
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final Map<Integer, NodeProcess> nodes = new TreeMap<>();
    private final Map<List<Integer>, LinkProxy> links = new HashMap<>();
    private final ChaosEvents events;
    /** Nodes found dead without having been killed, with their exit codes: always a bug. */
    final List<String> crashes = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(STATUS_TIMEOUT).build();

    /**
     * @param env every node's environment besides its identity ({@code KVSTORE_ID}, {@code _PORT},
     *            {@code _PEERS}, {@code _STORAGE_DIR}, which this class sets)
     */
    FaultCluster(int size, Path jar, Path workDir, Map<String, String> env, ChaosEvents events) throws IOException {
        this.size = size;
        this.events = events;
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
            Map<String, String> nodeEnv = new HashMap<>(env);
            nodeEnv.put("KVSTORE_ID", Integer.toString(id));
            nodeEnv.put("KVSTORE_PORT", Integer.toString(ports.get(id)));
            nodeEnv.put("KVSTORE_PEERS", peers.toString());
            nodeEnv.put("KVSTORE_STORAGE_DIR", workDir.resolve("data/node" + id).toString());
            nodes.put(id, new NodeProcess(id, jar, workDir, nodeEnv));
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

    int port(int id) {
        return ports.get(id);
    }

    void startAll() throws IOException {
        for (NodeProcess node : nodes.values()) {
            node.start();
        }
    }

    // ----- faults, each recorded as it happens ------------------------------------------------------

    void kill(int id) throws InterruptedException {
        nodes.get(id).kill();
        events.record(ChaosEvents.Kind.KILL, "node " + id, "SIGKILL");
    }

    void pause(int id) throws IOException, InterruptedException {
        if (nodes.get(id).isRunning() && !nodes.get(id).isPaused()) {
            nodes.get(id).pause();
            events.record(ChaosEvents.Kind.PAUSE, "node " + id, "SIGSTOP");
        }
    }

    /** Cuts or stalls the directed link {@code from -> to}. */
    void cut(int from, int to, LinkProxy.Mode mode) {
        LinkProxy link = link(from, to);
        if (link.mode() != mode) {
            link.setMode(mode);
            events.record(ChaosEvents.Kind.PARTITION, from + "->" + to, mode == LinkProxy.Mode.CUT ? "cut" : "stall");
        }
    }

    /** Cuts (or stalls) both directions between every node of {@code a} and every node of {@code b}. */
    void partition(Collection<Integer> a, Collection<Integer> b, LinkProxy.Mode mode) {
        for (int x : a) {
            for (int y : b) {
                if (x != y) {
                    cut(x, y, mode);
                    cut(y, x, mode);
                }
            }
        }
    }

    void delay(LinkProxy link, long delayMs) {
        link.setDelayMs(delayMs);
        events.record(ChaosEvents.Kind.SLOW, link.from + "->" + link.to, "delay " + delayMs + " ms");
    }

    void lossy(LinkProxy link, int percent) {
        link.setLossPercent(percent);
        events.record(ChaosEvents.Kind.SLOW, link.from + "->" + link.to, percent + "% of chunks reset");
    }

    /** One link back to a clean pipe, recorded only if it was not one. */
    void heal(LinkProxy link) {
        boolean wasCut = link.mode() != LinkProxy.Mode.PASS;
        boolean wasSlow = link.delayMs() != 0 || link.lossPercent() != 0;
        link.heal();
        if (wasCut) {
            events.record(ChaosEvents.Kind.HEAL, link.from + "->" + link.to, "");
        }
        if (wasSlow) {
            events.record(ChaosEvents.Kind.UNSLOW, link.from + "->" + link.to, "");
        }
    }

    /** Every link back to a clean pipe, every paused node resumed, every killed node restarted. */
    void healAll() throws IOException, InterruptedException {
        for (LinkProxy link : links.values()) {
            heal(link);
        }
        for (NodeProcess node : nodes.values()) {
            if (node.isPaused()) {
                node.resume();
                events.record(ChaosEvents.Kind.RESUME, "node " + node.id, "SIGCONT");
            }
            noteCrash(node);
            if (!node.isRunning()) {
                node.start();
                events.record(ChaosEvents.Kind.RESTART, "node " + node.id, "same port and data directory");
            }
        }
    }

    /** SIGKILL every node at once, then start them all: the durability check. */
    void killAllAndRestart() throws IOException, InterruptedException {
        for (int id : nodes.keySet()) {
            kill(id);
        }
        for (NodeProcess node : nodes.values()) {
            node.start();
            events.record(ChaosEvents.Kind.RESTART, "node " + node.id, "after SIGKILL of every node");
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

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
        } catch (IOException | UncheckedIOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    // ----- observation ------------------------------------------------------------------------------

    /** This node's own view, or empty when it does not answer within a second. */
    Optional<JsonObject> status(int id) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url(id) + "/v1/status"))
                    .timeout(STATUS_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
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

    /** The leader every running node agrees on, in one term, right now; empty if they do not agree. */
    private Optional<Integer> agreedLeader() {
        Integer leaderId = null;
        Long term = null;
        for (int id : nodes.keySet()) {
            Optional<JsonObject> view = status(id);
            if (view.isEmpty() || view.get().getInteger("leaderId") == null) {
                return Optional.empty();
            }
            if (leaderId == null) {
                leaderId = view.get().getInteger("leaderId");
                term = view.get().getLong("term");
            } else if (!leaderId.equals(view.get().getInteger("leaderId")) || !term.equals(view.get().getLong("term"))) {
                return Optional.empty();
            }
        }
        return Optional.ofNullable(leaderId);
    }

    /**
     * Waits until every node agrees on one leader in one term, asking every {@link #LEADER_POLL_MS};
     * throws {@link NoLeaderException} with every node's view when {@code budget} runs out.
     */
    int awaitStableLeader(Duration budget) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        while (true) {
            Optional<Integer> leader = agreedLeader();
            if (leader.isPresent()) {
                return leader.get();
            }
            if (System.nanoTime() - deadline > 0) {
                StringBuilder views = new StringBuilder();
                for (int id : nodes.keySet()) {
                    views.append("\n  node ").append(id).append(": ").append(status(id).map(JsonObject::encode)
                            .orElse("no answer (exit code " + nodes.get(id).exitCode() + ")"));
                }
                throw new NoLeaderException("no stable leader within " + budget.toSeconds() + " s" + views);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(LEADER_POLL_MS));
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** The cluster did not settle on a leader in time: the run cannot be judged, or a liveness bug. */
    static final class NoLeaderException extends RuntimeException {
        NoLeaderException(String message) {
            super(message);
        }
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
