package io.rafty.node;

import io.rafty.raft.Membership;
import io.rafty.raft.Role;
import java.util.Set;

/**
 * A consistent snapshot of one node's Raft state, published by the driver after every step so other
 * threads can read it without touching the {@code RaftNode}.
 *
 * @param rebuilding the node is catching up before it may vote: a learner the leader will promote (a new
 *                   member, or one rebuilt after its disk was replaced), or a node whose id the
 *                   configuration binds to other storage (its disk was replaced; not yet rebuilt)
 * @param clusterId  the cluster it belongs to, 0 while unknown
 * @param storageId  the random id its storage was created with
 * @param compactRevision revisions below this are compacted on this node (reads and watches there get 410)
 * @param watchers   the watch streams this node serves
 */
public record NodeStatus(int id, Role role, long term, int leaderId, long commitIndex, long appliedIndex,
                         long lastLogIndex, Set<Integer> members, boolean fenced, long snapshotIndex,
                         long firstLogIndex, Membership membership, boolean rebuilding, long clusterId,
                         long storageId, long compactRevision, int watchers) {
}
