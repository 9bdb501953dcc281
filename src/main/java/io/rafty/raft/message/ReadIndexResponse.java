package io.rafty.raft.message;

/**
 * The leader's answer to a {@link ReadIndexRequest}: it held leadership, confirmed by a quorum, after
 * the request arrived, and its commit index was then {@code index}. The follower serves the batch's
 * reads once it has applied through {@code index}.
 */
public record ReadIndexResponse(int from, int to, long term, long context, long index) implements Message {

    @Override
    public Kind kind() {
        return Kind.READ_INDEX_RESPONSE;
    }
}
