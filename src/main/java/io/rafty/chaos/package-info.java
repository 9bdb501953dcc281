/**
 * Chaos runs: the shipped jar as 3 or 5 OS processes, broken on purpose while clients run, then judged
 * ({@code rafty chaos}, {@code ./run-cluster.sh chaos}, and the fault suite {@code FaultSuiteIT}).
 *
 * <pre>
 *   clients (8 threads + 1 write-once writer) ──HTTP, direct──► node 1 … node N
 *   node i ──KVSTORE_PEERS names proxy(i→j)──► LinkProxy(i→j) ──► node j      (one proxy per directed link)
 *   Nemesis (one seed) ── kill / pause / cut / slow ──► FaultCluster ──► NodeProcess (SIGKILL/STOP/CONT)
 *                                                           │          └► LinkProxy (cut, stall, delay, loss)
 *                                                           └► ChaosEvents ──► ChaosFeed (GET /chaos/events)
 *   History (io.rafty.check) ◄── every client operation, with its outcome ── LinearizabilityChecker
 *   ChaosRun: start, faults, heal, check, kill all, restart, check again, durability → ChaosReport
 * </pre>
 *
 * <p>Peer traffic — Raft messages and followers' forwarded client requests alike — crosses the proxy
 * of its direction, so a one-way partition is simply one proxy cut. Clients bypass the proxies: the
 * faults under test are between nodes, and a client that cannot reach a node only produces FAIL
 * outcomes, which the checker ignores.
 *
 * <p>Threads: the caller's thread drives {@link io.rafty.chaos.ChaosRun}; the nemesis runs its
 * schedule on one scheduled-executor thread; each client is one thread with its own
 * {@code java.net.http.HttpClient}; {@link io.rafty.chaos.LinkProxy} uses blocking sockets with an
 * acceptor and two threads per connection direction; the feed has its own two. The shared state is
 * the thread-safe {@code History}, {@link io.rafty.chaos.ChaosEvents} (synchronized), concurrent maps
 * and the proxies' volatile fault settings.
 *
 * <p>See {@code docs/CHAOS.md} (the command) and {@code docs/FAULTS.md} (the fault suite).
 */
package io.rafty.chaos;
