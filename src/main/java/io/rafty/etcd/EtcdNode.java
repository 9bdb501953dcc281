package io.rafty.etcd;

import io.rafty.config.NodeConfig;
import io.rafty.kv.KvStateMachine;
import io.rafty.node.RaftVerticle;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What every etcd service is built from: the node's Vert.x (RocksDB reads go to its workers with
 * {@code vertx.executeBlocking(..., false)}, as the HTTP API does), its Raft verticle (writes:
 * {@link RaftVerticle#propose}; linearizable reads: {@link RaftVerticle#readBarrier} first), its state
 * machine (reads; blocking, so on a worker), its configuration (the limits) and the headers.
 *
 * @param addresses   member id → HTTP base URL (the peer URLs etcd clients see)
 * @param etcdUrl     this node's etcd endpoint, e.g. {@code http://127.0.0.1:2379}
 * @param dbSizeBytes approximate bytes of the node's storage on disk (Maintenance.Status)
 * @param minLeaseTtlSeconds the shortest lease TTL this node grants (1.5 longest election timeouts); shorter ones are raised
 */
public record EtcdNode(Vertx vertx, RaftVerticle raft, KvStateMachine stateMachine, NodeConfig config,
                       Map<Integer, String> addresses, String etcdUrl, LongSupplier dbSizeBytes,
                       long minLeaseTtlSeconds) {

    public EtcdHeaders headers() {
        return new EtcdHeaders(raft);
    }
}
