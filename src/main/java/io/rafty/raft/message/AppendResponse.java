package io.rafty.raft.message;

/**
 * The answer to an {@link AppendEntries}.
 *
 * @param success       whether the log matched at the request's previous index
 * @param index         on success, the last index now known to match the leader's log; on
 *                      rejection, the request's {@code prevLogIndex} (so stale rejections can be
 *                      recognised)
 * @param conflictIndex on rejection, a hint where the leader should probe next: the first index of
 *                      {@code conflictTerm} in the follower's log, or one past its last index
 * @param conflictTerm  on rejection, the term of the follower's entry at the rejected index, or 0
 *                      if its log is shorter
 */
public record AppendResponse(int from, int to, long term, boolean success, long index,
                             long conflictIndex, long conflictTerm) implements Message {

    @Override
    public Kind kind() {
        return Kind.APPEND_RESPONSE;
    }
}
