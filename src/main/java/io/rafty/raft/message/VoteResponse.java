package io.rafty.raft.message;

/** The answer to a {@link RequestVote}; {@code preVote} echoes the request's kind. */
public record VoteResponse(int from, int to, long term, boolean granted, boolean preVote) implements Message {

    @Override
    public Kind kind() {
        return Kind.VOTE_RESPONSE;
    }
}
