package io.rafty.raft;

/**
 * The state a node must persist before it answers a vote or an append (Raft Figure 2, "persistent
 * state on all servers"), plus the commit index, which is kept so a restarted node knows how far it
 * may apply without waiting for a leader, and the cluster it belongs to.
 *
 * @param term      the latest term this node has seen
 * @param votedFor  the candidate voted for in {@code term}, or {@link #NO_VOTE}
 * @param commit    the highest index known to be committed
 * @param clusterId the cluster this node belongs to, learned from the cluster's founding entry once
 *                  it committed (or from a peer that knows it); 0 while unknown
 */
public record HardState(long term, int votedFor, long commit, long clusterId) {

    public static final int NO_VOTE = 0;
    public static final HardState INITIAL = new HardState(0, NO_VOTE, 0);

    public HardState {
        if (term < 0 || commit < 0 || votedFor < 0) {
            throw new IllegalArgumentException("negative field in " + term + "/" + votedFor + "/" + commit);
        }
    }

    /** A node of no known cluster yet. */
    public HardState(long term, int votedFor, long commit) {
        this(term, votedFor, commit, 0);
    }

    /** True when {@code other} differs from this one in nothing but the commit index. */
    public boolean sameButCommit(HardState other) {
        return other != null && term == other.term && votedFor == other.votedFor && clusterId == other.clusterId;
    }
}
