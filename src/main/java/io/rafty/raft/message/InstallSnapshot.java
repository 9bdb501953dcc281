package io.rafty.raft.message;

import io.rafty.raft.Membership;

/**
 * The leader's snapshot has arrived in full at the follower's host (the data travels out of band, in
 * chunks): the follower's core decides whether to install it (Raft §7). It is answered with an
 * {@link AppendResponse} whose index is the snapshot's index.
 */
public record InstallSnapshot(int from, int to, long term, long snapshotIndex, long snapshotTerm,
                              Membership membership) implements Message {

    @Override
    public Kind kind() {
        return Kind.INSTALL_SNAPSHOT;
    }
}
