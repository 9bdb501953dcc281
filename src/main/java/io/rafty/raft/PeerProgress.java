package io.rafty.raft;

/**
 * A read-only snapshot of the leader's view of one member, for status pages.
 *
 * @param id         the member
 * @param voter      whether it votes
 * @param matchIndex the highest index known to be replicated there
 * @param nextIndex  the next index the leader will send
 * @param state      {@code probe}, {@code replicate}, {@code snapshot}, or {@code self} for the leader itself
 * @param storageId  the storage id the member's latest batch carried (0: not heard from in this term)
 */
public record PeerProgress(int id, boolean voter, long matchIndex, long nextIndex, String state, long storageId) {

    public PeerProgress(int id, boolean voter, long matchIndex, long nextIndex, String state) {
        this(id, voter, matchIndex, nextIndex, state, 0);
    }
}
