package io.rafty.etcd;

import static org.awaitility.Awaitility.await;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.rafty.config.Peer;
import io.rafty.config.TestConfigs;
import io.rafty.raft.Role;
import io.vertx.core.VertxOptions;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentHashMap;

/** Real nodes in one JVM, each serving the etcd API on its own ephemeral port. */
final class EtcdCluster implements AutoCloseable {

    final Map<Integer, String> addresses = new ConcurrentHashMap<>();
    /** The running nodes, in id order; concurrent, as awaitility reads it from its own thread while a test adds one. */
    final Map<Integer, RaftyNode> nodes = new ConcurrentSkipListMap<>();
    private final Path root;
    private final Map<String, ?> overrides;

    EtcdCluster(Path root, int size) throws Exception {
        this(root, size, Map.of("etcdMaxMessageBytes", 256 * 1024, "maxValueBytes", 128 * 1024,
                "maxRequestBodyBytes", 128 * 1024));
    }

    /** {@code size} nodes with TestConfigs' settings, each its own {@code etcdPort}, and {@code overrides}. */
    EtcdCluster(Path root, int size, Map<String, ?> overrides) throws Exception {
        this.root = root;
        this.overrides = overrides;
        for (int id = 1; id <= size; id++) {
            List<Peer> peers = new ArrayList<>();
            for (int other = 1; other <= size; other++) {
                if (other != id) {
                    peers.add(new Peer(other, "http://127.0.0.1:" + (other + 1)));
                }
            }
            Map<String, Object> settings = new HashMap<>(overrides);
            settings.put("etcdPort", freePort());
            NodeConfig config = TestConfigs.with(TestConfigs.node(id, 0, peers, root.resolve("node" + id)), settings);
            RaftyNode node = RaftyNode.start(config, addresses, new VertxOptions());
            nodes.put(id, node);
            addresses.put(id, node.url());
        }
    }

    /**
     * Starts a brand-new node {@code id} on {@code port} that joins through {@code memberUrl} (KVSTORE_JOIN),
     * with its own etcd port; it must already have been added (MemberAdd with peer URL http://127.0.0.1:port).
     */
    void startJoining(int id, int port, String memberUrl) throws Exception {
        Map<String, Object> settings = new HashMap<>(overrides);
        settings.put("etcdPort", freePort());
        NodeConfig config = TestConfigs.joining(TestConfigs.with(
                TestConfigs.node(id, port, List.of(), root.resolve("node" + id)), settings), memberUrl);
        RaftyNode node = RaftyNode.start(config, addresses, new VertxOptions());
        nodes.put(id, node);
        addresses.put(id, node.url());
    }

    /** Stops node {@code id} (a member removed, say). */
    void stop(int id) {
        RaftyNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
    }

    /**
     * Waits until every node's configuration binds every member to its storage, i.e. the leader has heard
     * from each of them: etcd's MemberList then names them all (a member not heard from is "unstarted").
     */
    void awaitStarted() {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> nodes.values().stream()
                .allMatch(node -> node.status().membership().all().stream()
                        .allMatch(member -> node.status().membership().storageOf(member) != 0)));
    }

    static int freePort() throws java.io.IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    String endpoint(int id) {
        return "http://127.0.0.1:" + nodes.get(id).etcdPort();
    }

    int awaitLeader() {
        int[] found = new int[1];
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).until(() -> {
            int leader = 0;
            for (RaftyNode node : nodes.values()) {
                if (node.status().role() == Role.LEADER) {
                    leader = node.id();
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

    @Override
    public void close() {
        for (RaftyNode node : nodes.values()) {
            node.close();
        }
    }
}
