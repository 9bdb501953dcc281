package io.rafty.raft;

/**
 * Thrown by {@link RaftNode#propose} when the leader refuses new work because too many bytes are
 * appended but not yet committed. Nothing was appended: it is safe to retry later.
 */
public final class ProposalDroppedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ProposalDroppedException(String message) {
        super(message, null, false, false);
    }
}
