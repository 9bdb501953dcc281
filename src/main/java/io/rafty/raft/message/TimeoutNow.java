package io.rafty.raft.message;

/**
 * Leadership transfer (thesis §3.10): the leader tells an up-to-date follower to start an election at
 * once, without waiting for its election timeout or a PreVote round.
 */
public record TimeoutNow(int from, int to, long term) implements Message {

    @Override
    public Kind kind() {
        return Kind.TIMEOUT_NOW;
    }
}
