package io.rafty.raft;

/**
 * Thrown by {@link RaftNode#propose} and {@link RaftNode#readIndex} on a node that is not the
 * leader. Nothing was appended: the request definitely did not take effect here.
 */
public final class NotLeaderException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int leaderId;

    public NotLeaderException(int leaderId) {
        super(leaderId == 0 ? "no leader known" : "not the leader; leader is node " + leaderId, null, false, false);
        this.leaderId = leaderId;
    }

    /** The leader this node knows of, or 0 when there is none. */
    public int leaderId() {
        return leaderId;
    }
}
