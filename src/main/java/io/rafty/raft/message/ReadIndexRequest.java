package io.rafty.raft.message;

/**
 * A follower asks the leader to confirm a batch of linearizable reads (ReadIndex on a follower, Raft
 * thesis §6.4). {@code context} names the batch on the follower; the leader echoes it back.
 */
public record ReadIndexRequest(int from, int to, long term, long context) implements Message {

    @Override
    public Kind kind() {
        return Kind.READ_INDEX_REQUEST;
    }
}
