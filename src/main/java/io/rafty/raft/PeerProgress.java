package io.rafty.raft;

/**
 * A read-only snapshot of the leader's view of one member, for status pages.
 *
 * @param id         the member
 * @param voter      whether it votes
 * @param matchIndex the highest index known to be replicated there
 * @param nextIndex  the next index the leader will send
 * @param state      {@code probe}, {@code replicate}, or {@code self} for the leader itself
 */
public record PeerProgress(int id, boolean voter, long matchIndex, long nextIndex, String state) {
}
