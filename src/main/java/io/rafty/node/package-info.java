/**
 * The host of the Raft core. {@link io.rafty.node.NodeDriver} holds every decision a node makes besides
 * Raft itself — deterministic, without Vert.x, threads or clocks — and {@link io.rafty.node.RaftVerticle}
 * is the Vert.x plumbing around it. The simulator runs the same {@code NodeDriver} with simulated
 * workers, so the host's races are replayable seeds there (see {@code src/test/java/io/rafty/sim}).
 *
 * <h2>Threading model</h2>
 *
 * <pre>
 *  Raft event loop (RaftVerticle's context)     the only thread that touches the NodeDriver (and so the
 *     │  tick timer, peer batches, proposals,    RaftNode, the pending proposals, reads and admin
 *     │  read barriers, admin changes,           changes, the apply queue, the snapshot bookkeeping)
 *     │  task completions
 *     ├──► persist worker (1 thread, ordered)   PERSIST (LogStore.save: entries and hard state in one
 *     │                                          synced batch), COMPACT_LOG
 *     ├──► state-machine worker (1 thread)      APPLY (KvStateMachine.apply: one WriteBatch per batch of
 *     │                                          committed entries, their history and the applied index),
 *     │                                          INSTALL_SNAPSHOT and PURGE_HISTORY (one bounded step when
 *     │                                          nothing waits to be applied): the state machine's only writer
 *     ├──► snapshot worker (1 thread, ordered)  TAKE_SNAPSHOT (syncing the state machine), reclaiming log
 *     │                                          space, opening images, reading chunks to send, the
 *     │                                          staging area of incoming snapshots
 *     └──► read worker (1 thread, ordered)      READ_HISTORY: pages of history for catching-up watchers,
 *                                                each a consistent view beside the writer
 *  API event loop (ApiVerticle)                  HTTP parsing and routing; state-machine reads run on
 *                                                Vert.x's worker pool in batches (RocksDB reads are
 *                                                thread-safe)
 * </pre>
 *
 * By default a node's Vert.x has one event loop, so the Raft and API verticles share it
 * ({@code RaftyNode.EVENT_LOOPS}); the model above holds either way. The driver names the worker of
 * every {@link io.rafty.node.StorageTask}; each worker's future completes back on the Raft event loop,
 * so the driver is never shared. "Ordered" is each worker's own queue ({@link io.rafty.node.SerialWorker}):
 * the workers run beside each other. Vert.x's own ordered {@code executeBlocking} orders per context, so it
 * would run every worker's tasks one at a time together — a snapshot's flush would hold back the log's
 * fsyncs, and with them every heartbeat of a leader in the synchronous mode. Other threads use RaftVerticle's public entry points
 * ({@code propose}, {@code readBarrier}, {@code changeMembership}, {@code receive}), which hop onto the
 * Raft context and deliver the answer on the caller's context, and read
 * {@link io.rafty.node.NodeStatus}, a snapshot the driver publishes whenever it changes.
 *
 * <h2>Order of a Ready</h2>
 *
 * One Ready in flight at a time: its {@code messages} go out at once, its entries and hard state are
 * saved in one synced batch on the persist worker (a change to the commit index alone is not synced:
 * it is a restart hint), then {@code messagesAfterPersist} are sent, committed entries join the apply
 * queue (bounded in bytes: beyond it the core keeps them until there is room) and the node is
 * advanced. Whatever arrives meanwhile accumulates in the node and leaves with the next Ready: group
 * commit without a timer.
 *
 * <p>A Ready that installs a snapshot first drops the queued entries the snapshot covers, answering
 * their requests with what is known (a write whose entry carried its term committed, but its result was
 * never computed here: outcome unknown; one whose index another leader's entry took: not applied); then
 * the install waits for the apply batch in flight and any log compaction, runs on the state-machine
 * worker, and only then is the rest of the Ready persisted. A staged snapshot the core has accepted is
 * never discarded before it is installed, even if its last chunk arrives twice.
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
 * <h2>Watches and history</h2>
 *
 * {@link io.rafty.node.WatchHub} holds the node's watchers and runs on the driver's thread: after every
 * applied batch the driver hands it the batch's events (from the results), and a live watcher of each
 * matching key or prefix is sent them in one call; a watcher that starts, or after an install continues,
 * below the applied revision reads the history a page at a time on the read worker and turns live when
 * it reaches it. A watcher whose subscriber stays congested past {@code maxWatcherQueueBytes} is cancelled
 * as slow. The driver also keeps the history bounded: the leader proposes a
 * {@link io.rafty.kv.Command.Compact} when the retention says so, every node applies it at the same
 * index, and the records it frees are purged in bounded steps on the state-machine worker.
 *
 * <h2>Identity</h2>
 *
 * Every peer batch carries its sender's cluster id and storage id. The driver refuses batches of
 * another cluster (one log line per sender and cluster) and, as leader, keeps the configuration's
 * storage bindings true ({@link io.rafty.node.Reconfigurations}): it binds members to the storage it
 * hears them from and replaces a member whose disk was lost by a learner on the new storage, rebuilt
 * and then promoted — see {@link io.rafty.raft.Membership}.
 *
 * <h2>Failures</h2>
 *
 * A storage exception on any worker, or a broken invariant in the core
 * ({@link io.rafty.raft.BrokenInvariantException}: two leaders in one term, a conflict at a committed
 * index), fences the node: one SEVERE line, it stops ticking and stepping, fails every waiting request
 * (admin ones included) with "outcome unknown", ends every watch stream ({@code unavailable}), reports
 * {@code healthy: false}, and never acknowledges anything again until restarted.
 */
package io.rafty.node;
