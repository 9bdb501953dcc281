package io.rafty.raft;

/**
 * The outcome of a command a follower forwarded to the leader with
 * {@link RaftNode#forwardProposal(long, byte[])}: the leader appended it at {@code index} in
 * {@code term}, or refused it ({@code index == 0}: nothing was appended). An appended command has
 * taken effect once this node applies {@code index} and the entry there has term {@code term}; a
 * different term there means another leader overwrote it and it never will.
 *
 * @param requestId the id the host passed to {@code forwardProposal}
 */
public record ForwardedProposal(long requestId, long index, long term) {

    public boolean refused() {
        return index == 0;
    }
}
