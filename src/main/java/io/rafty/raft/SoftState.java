package io.rafty.raft;

/**
 * Volatile state the host wants to observe (for routing and status): not persisted.
 *
 * @param role     this node's role
 * @param leaderId the leader this node knows for {@code term}, or 0
 * @param term     the current term
 */
public record SoftState(Role role, int leaderId, long term) {
}
