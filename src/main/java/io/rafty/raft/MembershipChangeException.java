package io.rafty.raft;

/**
 * A membership change or leadership transfer was refused; nothing was appended. The message says
 * why (another change in progress, more than one voter changed, an unknown member, ...).
 */
public final class MembershipChangeException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final boolean busy;

    /** A change that cannot be made as asked, now or later. */
    public MembershipChangeException(String message) {
        this(message, false);
    }

    private MembershipChangeException(String message, boolean busy) {
        super(message, null, false, false);
        this.busy = busy;
    }

    /**
     * A change refused only for now: another one is still in progress, or the leader has not yet
     * committed in its term. The same request may succeed a moment later.
     */
    public static MembershipChangeException busy(String message) {
        return new MembershipChangeException(message, true);
    }

    public boolean busy() {
        return busy;
    }
}
