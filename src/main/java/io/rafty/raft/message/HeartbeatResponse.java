package io.rafty.raft.message;

/**
 * The answer to a {@link Heartbeat}: the follower accepts the sender as leader of {@code term}.
 * {@code lastIndex} lets the leader notice a follower that has fallen behind.
 */
public record HeartbeatResponse(int from, int to, long term, long readContext, long lastIndex) implements Message {

    @Override
    public Kind kind() {
        return Kind.HEARTBEAT_RESPONSE;
    }
}
