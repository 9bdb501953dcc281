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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Real nodes in one JVM, each serving the etcd API on its own ephemeral port. */
final class EtcdCluster implements AutoCloseable {

    final Map<Integer, String> addresses = new ConcurrentHashMap<>();
    final Map<Integer, RaftyNode> nodes = new TreeMap<>();

    EtcdCluster(Path root, int size) throws Exception {
        this(root, size, Map.of("etcdMaxMessageBytes", 256 * 1024, "maxValueBytes", 128 * 1024,
                "maxRequestBodyBytes", 128 * 1024));
    }

    /** {@code size} nodes with TestConfigs' settings, each its own {@code etcdPort}, and {@code overrides}. */
    EtcdCluster(Path root, int size, Map<String, ?> overrides) throws Exception {
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
