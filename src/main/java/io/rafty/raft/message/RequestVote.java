package io.rafty.raft.message;

/**
 * A request for a vote (Raft §5.2), or a PreVote probe (Raft thesis §9.6) when {@code preVote}:
 * a pre-vote asks "would you vote for me at {@code term}?" and changes no state at the receiver.
 * {@code transfer} marks an election the leader asked for (leadership transfer, thesis §3.10):
 * voters then grant it even while they still hear from that leader.
 */
public record RequestVote(int from, int to, long term, long lastLogIndex, long lastLogTerm, boolean preVote,
                          boolean transfer) implements Message {

    @Override
    public Kind kind() {
        return Kind.REQUEST_VOTE;
    }

    public RequestVote(int from, int to, long term, long lastLogIndex, long lastLogTerm, boolean preVote) {
        this(from, to, term, lastLogIndex, lastLogTerm, preVote, false);
    }
}
