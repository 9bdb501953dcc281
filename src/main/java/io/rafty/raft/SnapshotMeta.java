package io.rafty.raft;

/**
 * What a snapshot covers: the state machine after applying every entry through {@code index}
 * (whose term is {@code term}), under {@code membership}. The data itself never passes through the
 * core; the host stores and ships it.
 */
public record SnapshotMeta(long index, long term, Membership membership) {

    public SnapshotMeta {
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("negative snapshot index or term");
        }
    }
}
