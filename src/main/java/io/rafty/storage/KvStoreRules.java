package io.rafty.storage;

import io.rafty.kv.RevisionUnavailableException;

/** Checks shared by both {@link io.rafty.kv.KvStore} implementations. */
final class KvStoreRules {

    private KvStoreRules() {
    }

    /**
     * The applied index never moves backwards: a write that would rewind it means the state machine
     * is applying entries twice. Snapshot restore, when it comes, gets its own method.
     */
    static void requireForward(long appliedIndexBefore, long appliedIndexAfter) {
        if (appliedIndexAfter < appliedIndexBefore) {
            throw new IllegalArgumentException("applied index cannot move back from " + appliedIndexBefore + " to "
                    + appliedIndexAfter);
        }
    }

    /**
     * The bounds of a history query: {@code from} must not be compacted (it may be beyond the applied
     * index: a watcher asks for what comes next), {@code to} must not be beyond the applied index.
     * The exception carries the store's real compact and current revisions either way.
     */
    static void checkHistoryRange(long from, long to, long compactRevision, long appliedIndex) {
        if (from < compactRevision) {
            throw new RevisionUnavailableException(RevisionUnavailableException.Reason.COMPACTED, from,
                    compactRevision, appliedIndex);
        }
        if (to > appliedIndex) {
            throw new RevisionUnavailableException(RevisionUnavailableException.Reason.FUTURE, to, compactRevision,
                    appliedIndex);
        }
    }
}
