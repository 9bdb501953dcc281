package io.rafty.node;

import io.rafty.raft.Role;
import java.util.Set;

/**
 * A consistent snapshot of one node's Raft state, published by the Raft verticle after every
 * step so other threads can read it without touching the {@code RaftNode}.
 */
public record NodeStatus(int id, Role role, long term, int leaderId, long commitIndex, long appliedIndex,
                         long lastLogIndex, Set<Integer> members, boolean fenced, long snapshotIndex,
                         long firstLogIndex) {
}
