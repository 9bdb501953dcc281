package io.rafty.raft;

/**
 * A membership change or leadership transfer was refused; nothing was appended. The message says
 * why (another change in progress, more than one voter changed, an unknown member, ...).
 */
public final class MembershipChangeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MembershipChangeException(String message) {
        super(message, null, false, false);
    }
}
