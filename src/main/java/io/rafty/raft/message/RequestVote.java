package io.rafty.raft.message;

/**
 * A request for a vote (Raft §5.2), or a PreVote probe (Raft thesis §9.6) when {@code preVote}:
 * a pre-vote asks "would you vote for me at {@code term}?" and changes no state at the receiver.
 */
public record RequestVote(int from, int to, long term, long lastLogIndex, long lastLogTerm, boolean preVote)
        implements Message {
}
