package io.rafty.raft.message;

/**
 * The leader's periodic proof of life. {@code commit} is never beyond what the follower is known
 * to hold; {@code readContext} identifies a ReadIndex round the follower echoes back (0 for none).
 */
public record Heartbeat(int from, int to, long term, long commit, long readContext) implements Message {

    @Override
    public Kind kind() {
        return Kind.HEARTBEAT;
    }
}
