/**
 * The Raft algorithm as a pure, deterministic state machine: no threads, clocks, files or sockets
 * ({@code ArchitectureTest} enforces it).
 *
 * <pre>
 *   tick() ─┐                                     ┌─► Ready: hard state + entries to persist,
 *   step(m) ─┼─► RaftNode ── steps[m.kind()] ──────┤   messages (now / after persist),
 *   propose ─┤    roles, terms, elections,         │   committed entries, confirmed reads,
 *   readIndex┘    replication; RaftLog             │   snapshot to install / peers needing one
 *                                                  └─► advance(ready) once persisted
 *   RaftNode holds term, vote, role and leader and does the role changes (becomeX).
 *   Its parts, each owning its state behind methods:
 *     ReadyCycle                assembles each Ready (full, or light beside a persist in flight with
 *                               asyncStorageWrites), the apply budget, which Readies are out
 *     RoleSteps                 the per-role step tables: which part a message of each kind goes to
 *     Elections                 election timer, PreVote, campaigns, vote requests and tally, TimeoutNow,
 *                               leader stickiness and the rules for messages of another term
 *     Replicator                the leader: propose, membership changes, leadership transfer, appends,
 *                               heartbeats, snapshots and commit notices to followers, their answers,
 *                               the §5.4.2 commit rule, CheckQuorum, confirmed reads
 *     FollowerReplication       a follower: the log-matching check, conflict hints, commits, snapshots
 *     tracker.ProgressTracker   Progress per follower, vote tally, majority questions ──► quorum.MajorityQuorum
 *     ReadOnlyQueue             the leader's ReadIndex rounds and the reads waiting for them
 *     Forwarder                 a follower's batched reads and commands for its leader
 *     ConfigurationTracker      base and latest configuration, last config index, change checks
 *     ClusterIdentity           cluster id, storage ids, whose storage counts
 *     Outbox                    what the next Ready hands the host: messages (now / after persist),
 *                               confirmed reads, a snapshot to install, peers needing one
 *   Elections, Replicator, FollowerReplication and ReadyCycle queue what they send in the Outbox and reach the
 *   node's own state only through NodeContext (term, role, leader, vote, setMembership, becomeX),
 *   which RaftNode implements privately.
 * </pre>
 *
 * <p>Dispatch is by role, then by message kind: {@code becomeLeader / becomeCandidate /
 * becomePreCandidate / becomeFollower} choose the step function, a table in {@code RoleSteps} filled
 * from an exhaustive {@code switch} over {@link io.rafty.raft.message.Message.Kind}, so a new kind of
 * message does not compile until every role says what it does with it.
 *
 * What it implements, with the sections of the Raft paper and dissertation the tests cite: leader
 * election with randomized timeouts in ticks, PreVote (§9.6), CheckQuorum and leader stickiness
 * (§6.2, §4.2.3); log replication with the log-matching check, fast conflict backtracking and
 * per-follower probe / replicate / snapshot flow control with a bounded in-flight window; the
 * §5.4.2 commit rule; ReadIndex (§6.4) with one heartbeat round shared by every waiting read; log
 * compaction and InstallSnapshot (§7); single-server membership changes with learners (§4.1) and
 * leadership transfer (§3.10). {@link io.rafty.raft.DeliberateBug} switches exist only for the
 * simulator's proof that it catches each kind of bug.
 *
 * <p>Beyond the paper, members are bound to their storage: every batch a node receives carries its
 * sender's {@link io.rafty.raft.PeerIdentity}, shown to the core with {@code observe} before the
 * batch is stepped, and a configuration that binds a member to a storage id counts votes and
 * acknowledgements only from that storage ({@link io.rafty.raft.Membership}). A node that lost its
 * disk is thus a new server, and Raft's own membership rules keep it from voting or acknowledging with
 * a memory it no longer has. The first leader of a cluster founds a cluster id in its no-op; nodes
 * learn it when that entry commits and refuse peers of other clusters. An impossible state (two
 * leaders in one term, a conflict at a committed index) is a
 * {@link io.rafty.raft.BrokenInvariantException}, on which the host fences the node.
 */
package io.rafty.raft;
