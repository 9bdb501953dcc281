package io.rafty.raft;

import io.rafty.raft.tracker.Progress;
import java.util.Locale;

/**
 * A read-only snapshot of the leader's view of one member, for status pages.
 *
 * @param id         the member
 * @param voter      whether it votes
 * @param matchIndex the highest index known to be replicated there
 * @param nextIndex  the next index the leader will send
 * @param state      how the leader sends to it, or null for the leader's own row (it sends nothing to itself)
 * @param storageId  the storage id the member's latest batch carried (0: not heard from in this term)
 */
public record PeerProgress(int id, boolean voter, long matchIndex, long nextIndex, Progress.State state,
                           long storageId) {

    /** The leader's own row. */
    public boolean self() {
        return state == null;
    }

    /** The leader streams entries to this member: their logs are known to match at {@code matchIndex}. */
    public boolean replicating() {
        return state == Progress.State.REPLICATE;
    }

    /** {@code probe}, {@code replicate}, {@code snapshot}, or {@code self} for the leader's own row. */
    public String stateName() {
        return state == null ? "self" : state.name().toLowerCase(Locale.ROOT);
    }
}
