/**
 * etcd's v3 gRPC API on the same node as the HTTP API (DESIGN §5; docs/ETCD.md for users).
 *
 * <pre>
 *   etcd client ──h2c──▶ EtcdServer (Vert.x HTTP/2 + GrpcIoServer, on the node's Vert.x)
 *                          ├─ EtcdKvService          Range / Put / DeleteRange / Txn / Compact
 *                          ├─ EtcdMaintenanceService Status / Alarm / MoveLeader
 *                          ├─ EtcdClusterService     MemberList
 *                          └─ (Watch, Lease: added in EtcdServer.services)
 *   every service ──▶ EtcdNode: RaftVerticle.propose / readBarrier, KvStateMachine reads on a worker
 * </pre>
 *
 * Shared by every service: {@link io.rafty.etcd.EtcdErrors} (etcd's codes and exact messages),
 * {@link io.rafty.etcd.EtcdHeaders} (response headers), {@link io.rafty.etcd.EtcdKv} (KeyValue),
 * {@link io.rafty.etcd.KeyRange} (key / range_end conventions) and {@link io.rafty.etcd.Calls}
 * (completing a unary call from a future on the call's own context).
 *
 * <p>Threading: gRPC calls arrive on the etcd server's event loop; writes and barriers hop to the Raft
 * verticle and back; state-machine reads run on workers ({@code executeBlocking(..., false)}), as the HTTP
 * API's do; {@link io.rafty.etcd.Calls} answers on the call's context.
 */
package io.rafty.etcd;
