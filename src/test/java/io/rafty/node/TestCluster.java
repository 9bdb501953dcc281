package io.rafty.node;

import static org.awaitility.Awaitility.await;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.rafty.config.TestConfigs;
import io.rafty.config.Peer;
import io.rafty.raft.Role;
import io.vertx.core.VertxOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Real nodes in one JVM: each with its own Vert.x, RocksDB directory and HTTP server on an ephemeral
 * port. Peers learn each other's ports through a shared address map filled in after binding.
 */
final class TestCluster implements AutoCloseable {

    final Map<Integer, String> addresses = new ConcurrentHashMap<>();
    /**
     * The running nodes, in id order. Concurrent: client threads of a test pick a node from it while the
     * test adds and removes members (a TreeMap here threw ConcurrentModificationException in a client).
     */
    final Map<Integer, RaftyNode> nodes = new ConcurrentSkipListMap<>();
    private final Map<Integer, Integer> ports = new TreeMap<>();
    private final Path root;
    private final int size;
    private final VertxOptions vertxOptions;
    private final UnaryOperator<NodeConfig> configure;
    private final IntFunction<RaftyNode.StorageWrappers> wrappers;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    TestCluster(Path root, int size) throws Exception {
        this(root, size, new VertxOptions());
    }

    TestCluster(Path root, int size, VertxOptions vertxOptions) throws Exception {
        this(root, size, vertxOptions, UnaryOperator.identity(), id -> RaftyNode.StorageWrappers.NONE);
    }

    TestCluster(Path root, int size, VertxOptions vertxOptions, UnaryOperator<NodeConfig> configure)
            throws Exception {
        this(root, size, vertxOptions, configure, id -> RaftyNode.StorageWrappers.NONE);
    }

    /**
     * @param configure changes every node's configuration (tighter limits, for instance)
     * @param wrappers  the storage wrappers of node {@code id} (see {@link RaftyNode.StorageWrappers})
     */
    TestCluster(Path root, int size, VertxOptions vertxOptions, UnaryOperator<NodeConfig> configure,
                IntFunction<RaftyNode.StorageWrappers> wrappers) throws Exception {
        this.root = root;
        this.size = size;
        this.vertxOptions = vertxOptions;
        this.configure = configure;
        this.wrappers = wrappers;
        for (int id = 1; id <= size; id++) {
            start(id, 0);
        }
    }

    private NodeConfig config(int id, int port) {
        List<Peer> peers = new ArrayList<>();
        for (int other = 1; other <= size; other++) {
            if (other != id) {
                // The real address is in the shared map; the configured one only has to be well formed.
                peers.add(new Peer(other, "http://127.0.0.1:" + ports.getOrDefault(other, other)));
            }
        }
        return configure.apply(TestConfigs.node(id, port, peers, root.resolve("node" + id)));
    }

    private void start(int id, int port) throws Exception {
        RaftyNode node = RaftyNode.start(config(id, port), addresses, vertxOptions, wrappers.apply(id));
        nodes.put(id, node);
        ports.put(id, node.port());
        addresses.put(id, node.url());
    }

    /**
     * Starts a brand-new node that joins through {@code memberUrl} (KVSTORE_JOIN) on {@code port}; it must
     * already have been added with POST /v1/cluster/members.
     */
    void startJoining(int id, int port, String memberUrl) throws Exception {
        NodeConfig config = TestConfigs.joining(
                configure.apply(TestConfigs.node(id, port, List.of(), root.resolve("node" + id))), memberUrl);
        RaftyNode node = RaftyNode.start(config, addresses, vertxOptions);
        nodes.put(id, node);
        ports.put(id, node.port());
        addresses.put(id, node.url());
    }

    static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    HttpResponse<String> post(int node, String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url(node) + path))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /**
     * {@link #post}, sent again while the answer is 503: by the API's contract a 503 (no leader, overloaded)
     * was not applied, so the same request again is what any client does (an election on a loaded machine).
     * Any other answer, or the budget running out, ends it; the caller asserts on what came back.
     */
    HttpResponse<String> postWhileUnavailable(int node, String path, String json, Duration budget) throws Exception {
        List<HttpResponse<String>> last = new ArrayList<>(1);
        await().atMost(budget).pollInterval(Duration.ofMillis(50)).until(() -> {
            HttpResponse<String> response = post(node, path, json);
            last.clear();
            last.add(response);
            return response.statusCode() != 503;
        });
        return last.get(0);
    }

    void stop(int id) {
        RaftyNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
    }

    /** Restarts a stopped node on its previous port and storage. */
    void restart(int id) throws Exception {
        start(id, ports.get(id));
    }

    /** Deletes a stopped node's storage, as an operator replacing a broken disk would. */
    void wipe(int id) throws java.io.IOException {
        Path dir = root.resolve("node" + id);
        if (java.nio.file.Files.exists(dir)) {
            try (var paths = java.nio.file.Files.walk(dir)) {
                for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(path);
                }
            }
        }
    }

    boolean isRunning(int id) {
        return nodes.containsKey(id);
    }

    String url(int id) {
        return addresses.get(id);
    }

    /** Waits until exactly one running node leads and the others follow it; returns its id. */
    /**
     * Waits until the leader has bound every voter to its storage (the configuration entries it appends by
     * itself after an election) and every node has applied its whole log: from then on, the log grows only
     * by what the test does.
     */
    int awaitSettled(Duration budget) {
        int leader = awaitLeader(budget);
        await().atMost(budget).pollInterval(Duration.ofMillis(20)).until(() -> {
            NodeStatus s = nodes.get(leader).status();
            if (s.membership().boundVoters().size() != s.membership().voters().size()) {
                return false;
            }
            return nodes.values().stream().allMatch(n -> n.status().appliedIndex() == s.lastLogIndex());
        });
        return leader;
    }

    int awaitLeader(Duration budget) {
        int[] found = new int[1];
        await().atMost(budget).pollInterval(Duration.ofMillis(20)).until(() -> {
            int leader = 0;
            for (RaftyNode node : nodes.values()) {
                NodeStatus s = node.status();
                if (s != null && s.role() == Role.LEADER) {
                    if (leader != 0) {
                        return false;
                    }
                    leader = s.id();
                }
            }
            if (leader == 0) {
                return false;
            }
            for (RaftyNode node : nodes.values()) {
                if (node.status().leaderId() != leader) {
                    return false;
                }
            }
            found[0] = leader;
            return true;
        });
        return found[0];
    }

    int anyFollower(int leader) {
        return nodes.keySet().stream().filter(id -> id != leader).findFirst().orElseThrow();
    }

    HttpResponse<String> put(int node, String key, String value) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url(node) + "/v1/kv/" + key))
                .PUT(HttpRequest.BodyPublishers.ofString(value)));
    }

    HttpResponse<String> get(int node, String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url(node) + pathAndQuery)).GET());
    }

    HttpResponse<String> delete(int node, String pathAndQuery) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(url(node) + pathAndQuery)).DELETE());
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        for (int id : new ArrayList<>(nodes.keySet())) {
            stop(id);
        }
    }
}
