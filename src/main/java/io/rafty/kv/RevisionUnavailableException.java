package io.rafty.kv;

/**
 * A read or a history query asked for a revision the store cannot serve: older than the compact
 * revision (the history was discarded), or newer than the applied revision (not written yet here).
 */
public final class RevisionUnavailableException extends RuntimeException {

    /** Why the revision cannot be served. */
    public enum Reason { COMPACTED, FUTURE }

    private final Reason reason;
    private final long requested;
    private final long compactRevision;
    private final long currentRevision;

    public RevisionUnavailableException(Reason reason, long requested, long compactRevision, long currentRevision) {
        super(reason == Reason.COMPACTED
                ? "revision " + requested + " has been compacted; the oldest kept revision is " + compactRevision
                : "revision " + requested + " is beyond the current revision " + currentRevision);
        this.reason = reason;
        this.requested = requested;
        this.compactRevision = compactRevision;
        this.currentRevision = currentRevision;
    }

    /**
     * Checks {@code compactRevision <= revision <= currentRevision}.
     *
     * @throws RevisionUnavailableException when it does not hold
     */
    public static void check(long revision, long compactRevision, long currentRevision) {
        if (revision < compactRevision) {
            throw new RevisionUnavailableException(Reason.COMPACTED, revision, compactRevision, currentRevision);
        }
        if (revision > currentRevision) {
            throw new RevisionUnavailableException(Reason.FUTURE, revision, compactRevision, currentRevision);
        }
    }

    public Reason reason() {
        return reason;
    }

    public long requested() {
        return requested;
    }

    public long compactRevision() {
        return compactRevision;
    }

    public long currentRevision() {
        return currentRevision;
    }
}
