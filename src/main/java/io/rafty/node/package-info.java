/**
 * The host of the Raft core: {@link io.rafty.node.RaftVerticle} owns one {@code RaftNode} and carries
 * out its {@code Ready}s.
 *
 * <h2>Threading model</h2>
 *
 * <pre>
 *  Raft event loop (RaftVerticle's context)     the only thread that touches RaftNode, the pending
 *     │  tick timer, peer batches, proposals,    proposals and reads, and the snapshot bookkeeping
 *     │  read barriers, admin changes
 *     ├──► persist worker (1 thread, ordered)   LogStore.save / compact, snapshot install: every
 *     │                                          synced RocksDB write of the log and hard state
 *     ├──► apply worker (1 thread, ordered)     KvStateMachine.apply: one WriteBatch per batch of
 *     │                                          committed entries, with the applied index
 *     └──► snapshot worker (1 thread, ordered)  syncing the state machine, opening images, reading
 *                                                chunks to send, clearing the staging area
 *  API event loop (ApiVerticle)                  HTTP parsing and routing; state-machine reads run on
 *                                                Vert.x's worker pool in batches (RocksDB reads are
 *                                                thread-safe)
 * </pre>
 *
 * By default a node's Vert.x has one event loop, so the Raft and API verticles share it
 * ({@code RaftyNode.EVENT_LOOPS}); the model above holds either way. Every worker's future completes
 * back on the Raft event loop, so {@code RaftNode} is never shared. Other threads use the public
 * entry points ({@code propose}, {@code readBarrier}, {@code changeMembership}, {@code receive}),
 * which hop onto the Raft context and deliver the answer on the caller's context, and read
 * {@link io.rafty.node.NodeStatus}, a snapshot published after each step.
 *
 * <h2>Order of a Ready</h2>
 *
 * One Ready in flight at a time: its {@code messages} go out at once, its entries and hard state are
 * saved in one synced batch on the persist worker (a change to the commit index alone is not synced:
 * it is a restart hint), then {@code messagesAfterPersist} are sent, committed entries are queued for
 * the apply worker and the node is advanced. Whatever arrives meanwhile accumulates in the node and
 * leaves with the next Ready: group commit without a timer.
 *
 * <h2>On a follower</h2>
 *
 * {@code propose} forwards the command through the core ({@code RaftNode.forwardProposal}); the
 * Ready's {@code forwardedProposals} say where the leader appended it, and from then on it waits in
 * the same pending table as the leader's own proposals, completed when this node applies that index
 * (with the expected term) — so the follower's answer is computed by its own state machine.
 * {@code readBarrier} asks the leader through the core as well and completes once this node has
 * applied the leader's confirmed commit index. A change of soft state (term, role or leader) fails
 * reads not yet confirmed (NO_LEADER: the API relays them to the new leader) and forwarded writes not
 * yet placed (OUTCOME_UNKNOWN: the old leader may have appended them).
 *
 * <h2>Failures</h2>
 *
 * A storage exception on any worker fences the node: it stops ticking and stepping, fails every
 * waiting request with "outcome unknown", reports {@code healthy: false}, and never acknowledges
 * anything again until restarted.
 */
package io.rafty.node;
