package io.rafty.raft.message;

/**
 * Where the leader put a forwarded batch: the payloads are entries {@code firstIndex},
 * {@code firstIndex + 1}, … of the leader's term {@code term}. {@code firstIndex} is 0 when the leader
 * refused the batch (it no longer leads, or is transferring leadership, or too much is uncommitted):
 * then nothing was appended.
 */
public record ProposeResponse(int from, int to, long term, long context, long firstIndex) implements Message {

    @Override
    public Kind kind() {
        return Kind.PROPOSE_RESPONSE;
    }
}
