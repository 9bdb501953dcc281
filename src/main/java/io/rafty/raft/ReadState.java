package io.rafty.raft;

/**
 * A linearizable read that the leader has confirmed: it may be served once the host has applied
 * the log up to {@code index}.
 *
 * @param requestId the id the host passed to {@link RaftNode#readIndex(long)}
 * @param index     the commit index at the time the read was requested
 */
public record ReadState(long requestId, long index) {
}
