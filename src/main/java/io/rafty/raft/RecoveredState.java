package io.rafty.raft;

import java.util.List;

/**
 * What a node starts from: the durable state its storage held at open.
 *
 * @param hardState    the persisted term, vote and commit index
 * @param membership   the cluster configuration in effect
 * @param logStartIndex the index just before the first stored entry: 0 for a log never compacted,
 *                      else the last index a compaction removed (covered by the state machine)
 * @param logStartTerm the term of the entry at {@code logStartIndex} (0 when it is 0)
 * @param entries      the persisted log, contiguous from {@code logStartIndex + 1}
 * @param appliedIndex how far the state machine has durably applied; replay starts after it
 * @param storageId    the id the storage was created with (0: none, for tests of the bare core)
 */
public record RecoveredState(HardState hardState, Membership membership, long logStartIndex, long logStartTerm,
                             List<Entry> entries, long appliedIndex, long storageId) {

    public RecoveredState {
        entries = List.copyOf(entries);
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).index() != logStartIndex + i + 1) {
                throw new IllegalArgumentException("log is not contiguous from " + (logStartIndex + 1)
                        + " at position " + i + ": " + entries.get(i));
            }
        }
        if (appliedIndex > logStartIndex + entries.size()) {
            throw new IllegalArgumentException("applied index " + appliedIndex + " is past the log end "
                    + (logStartIndex + entries.size()));
        }
        if (appliedIndex < logStartIndex) {
            throw new IllegalArgumentException("applied index " + appliedIndex + " is before the log start "
                    + logStartIndex + ": the compacted entries are missing from the state machine");
        }
    }

    /** A storage without an id (tests of the bare core). */
    public RecoveredState(HardState hardState, Membership membership, long logStartIndex, long logStartTerm,
                          List<Entry> entries, long appliedIndex) {
        this(hardState, membership, logStartIndex, logStartTerm, entries, appliedIndex, 0);
    }

    /** A log that was never compacted, starting at index 1. */
    public RecoveredState(HardState hardState, Membership membership, List<Entry> entries, long appliedIndex) {
        this(hardState, membership, 0, 0, entries, appliedIndex);
    }

    public static RecoveredState fresh(Membership membership) {
        return new RecoveredState(HardState.INITIAL, membership, List.of(), 0);
    }
}
