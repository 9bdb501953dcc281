package io.rafty.raft;

import java.util.List;

/**
 * What a node starts from: the durable state its storage held at open.
 *
 * @param hardState    the persisted term, vote and commit index
 * @param membership   the cluster configuration in effect
 * @param entries      the persisted log, contiguous, starting at index 1 (snapshots will move the start)
 * @param appliedIndex how far the state machine has durably applied; replay starts after it
 */
public record RecoveredState(HardState hardState, Membership membership, List<Entry> entries, long appliedIndex) {

    public RecoveredState {
        entries = List.copyOf(entries);
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).index() != i + 1) {
                throw new IllegalArgumentException("log is not contiguous from 1 at position " + i
                        + ": " + entries.get(i));
            }
        }
        if (appliedIndex > entries.size()) {
            throw new IllegalArgumentException("applied index " + appliedIndex + " is past the log end "
                    + entries.size());
        }
    }

    public static RecoveredState fresh(Membership membership) {
        return new RecoveredState(HardState.INITIAL, membership, List.of(), 0);
    }
}
