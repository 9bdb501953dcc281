/**
 * The replicated state machine's domain: {@link io.rafty.kv.Command}s encoded into log payloads by
 * {@link io.rafty.kv.CommandCodec} and applied in log order by {@link io.rafty.kv.KvStateMachine}
 * against a {@link io.rafty.kv.KvStore}.
 *
 * <p>Pure logic: no I/O, network, Vert.x or RocksDB (an ArchUnit test enforces it), so every node
 * and the simulator compute the same results from the same log. Revisions are Raft log indexes,
 * which makes them unique and increasing across the cluster, as in etcd v3.
 */
package io.rafty.kv;
