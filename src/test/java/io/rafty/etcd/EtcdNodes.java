package io.rafty.etcd;

import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.rafty.kv.Command;
import io.rafty.kv.KvResult;
import io.rafty.kv.Precondition;
import io.rafty.node.NodeStatus;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * Real in-process nodes, each serving the etcd API (its own {@code EtcdServer}, on an ephemeral
 * {@code etcdPort}), with progress notes every {@link #PROGRESS_INTERVAL_MS} and a small longest TTL.
 */
final class EtcdNodes implements AutoCloseable {

    static final int PROGRESS_INTERVAL_MS = 200;
    /** The shortest TTL the test nodes grant (their timing is TestConfigs', the same for every node). */
    static final long MIN_TTL_SECONDS = RaftyNode.minLeaseTtlSeconds(TestConfigs.node(1, 0, List.of(), Path.of("unused")));
    static final long MAX_TTL_SECONDS = 3600;

    private final EtcdCluster cluster;
    final Map<Integer, RaftyNode> nodes;
    private final List<AutoCloseable> clients = new ArrayList<>();

    EtcdNodes(Path root, int size) throws Exception {
        cluster = new EtcdCluster(root, size, Map.of("watchProgressMs", PROGRESS_INTERVAL_MS,
                "maxLeaseTtlSeconds", MAX_TTL_SECONDS));
        nodes = cluster.nodes;
        int leader = awaitLeader();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            NodeStatus s = nodes.get(leader).status();
            return s.membership().bindsStorage() && nodes.values().stream()
                    .allMatch(n -> n.status().appliedIndex() == s.lastLogIndex());
        });
    }

    int awaitLeader() {
        return cluster.awaitLeader();
    }

    /** A jetcd client of node {@code id}'s etcd port. */
    Client client(int id) {
        Client client = Client.builder().endpoints(cluster.endpoint(id)).build();
        clients.add(client);
        return client;
    }

    /** A plain gRPC channel to node {@code id}'s etcd port, for what jetcd does not expose. */
    ManagedChannel channel(int id) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", nodes.get(id).etcdPort()).usePlaintext().build();
        clients.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
        return channel;
    }

    RaftyNode node(int id) {
        return nodes.get(id);
    }

    KvResult propose(int id, Command command) throws Exception {
        return await(nodes.get(id).raft().propose(command));
    }

    /** Puts through the Raft log of node {@code id}; returns the revision. */
    long put(int id, String key, String value) throws Exception {
        return propose(id, new Command.Put(bytes(key), bytes(value), Precondition.NONE)).index();
    }

    long put(int id, String key, String value, long lease) throws Exception {
        return propose(id, new Command.Put(bytes(key), bytes(value), Precondition.NONE, lease)).index();
    }

    long delete(int id, String key) throws Exception {
        return propose(id, new Command.Delete(bytes(key), Precondition.NONE)).index();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        cluster.close();
    }
}
