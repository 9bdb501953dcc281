/**
 * The fault suite: the shipped jar as 3 or 5 OS processes, broken on purpose while clients run.
 *
 * <pre>
 *   clients (8 threads + 1 write-once writer) ──HTTP, direct──► node 1 … node N
 *   node i ──KVSTORE_PEERS names proxy(i→j)──► LinkProxy(i→j) ──► node j      (one proxy per directed link)
 *   Nemesis (one seed) ── SIGKILL / SIGSTOP / SIGCONT ──► NodeProcess
 *                      └─ cut, stall, delay, loss ───────► LinkProxy
 *   History (io.rafty.sim) ◄── every client operation, with its outcome ── LinearizabilityChecker
 * </pre>
 *
 * <p>Peer traffic — Raft messages and followers' forwarded client requests alike — crosses the proxy
 * of its direction, so a one-way partition is simply one proxy cut. Clients bypass the proxies: the
 * faults under test are between nodes, and a client that cannot reach a node only produces FAIL
 * outcomes, which the checker ignores.
 *
 * <p>Threads: the test thread drives the run; {@link io.rafty.faults.Nemesis} runs its schedule on one
 * scheduled-executor thread; each client is one thread with its own {@code java.net.http.HttpClient};
 * {@link io.rafty.faults.LinkProxy} uses blocking sockets with an acceptor and two threads per
 * connection direction. The only shared state is the thread-safe {@code History}, concurrent maps and
 * the proxies' volatile fault settings.
 *
 * <p>See {@code docs/FAULTS.md} for how to run it and the results so far.
 */
package io.rafty.faults;
