/**
 * What a Raft node tracks about the other members, as etcd's {@code tracker} package does: it owns
 * the leader's {@link io.rafty.raft.tracker.Progress} per follower (match and next index, the
 * probe / replicate / snapshot flow-control state, the in-flight window, ReadIndex acknowledgements,
 * forwarded-batch deduplication, the follower's storage id) and a candidate's vote tally, and it asks
 * the majority questions over them ({@link io.rafty.raft.tracker.ProgressTracker}: commit index,
 * confirmed ReadIndex round, CheckQuorum activity).
 *
 * <pre>
 *   RaftNode ──(what happened: sent, acked, rejected, heartbeat answer, snapshot outcome)──► Progress
 *      │                                                                                      │
 *      └──(what holds on a majority?)──► ProgressTracker ──(acknowledged-index views)──► quorum.MajorityQuorum
 * </pre>
 *
 * <p>It does not own roles, terms, the log or messages (those are {@code RaftNode}'s), nor the
 * configuration: which members vote and whose storage counts come in from the node
 * ({@code setVoters}, {@link io.rafty.raft.tracker.ProgressTracker.StorageRule}), so this package depends
 * on {@code raft.quorum} only. Nothing outside sets a field: every change is a method named for
 * what happened.
 */
package io.rafty.raft.tracker;
