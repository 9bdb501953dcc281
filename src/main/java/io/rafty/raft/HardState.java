package io.rafty.raft;

/**
 * The state a node must persist before it answers a vote or an append (Raft Figure 2, "persistent
 * state on all servers"), plus the commit index, which is kept so a restarted node knows how far it
 * may apply without waiting for a leader.
 *
 * @param term     the latest term this node has seen
 * @param votedFor the candidate voted for in {@code term}, or {@link #NO_VOTE}
 * @param commit   the highest index known to be committed
 */
public record HardState(long term, int votedFor, long commit) {

    public static final int NO_VOTE = 0;
    public static final HardState INITIAL = new HardState(0, NO_VOTE, 0);

    public HardState {
        if (term < 0 || commit < 0 || votedFor < 0) {
            throw new IllegalArgumentException("negative field in " + term + "/" + votedFor + "/" + commit);
        }
    }
}
