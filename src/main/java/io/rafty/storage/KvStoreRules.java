package io.rafty.storage;

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
}
