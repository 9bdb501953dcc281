package io.rafty.node;

/**
 * Why a client request did not produce a result. The kind tells the client what it may assume
 * about the request's effect, which is what the HTTP status must convey (DESIGN §1, "honest about
 * doubt").
 */
public final class RequestFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public enum Kind {
        /** Definitely not applied: no leader took the request into its log. Safe to retry. */
        NO_LEADER,
        /** Definitely not applied: the node refuses new work until pending work drains. Safe to retry. */
        OVERLOADED,
        /** The request may or may not take effect (leader lost mid-way, timeout, shutdown). */
        OUTCOME_UNKNOWN,
        /** The node stopped serving after a storage failure; nothing new is accepted. */
        UNAVAILABLE
    }

    private final Kind kind;
    private final int leaderId;

    public RequestFailure(Kind kind, String message, int leaderId) {
        super(message, null, false, false);
        this.kind = kind;
        this.leaderId = leaderId;
    }

    public static RequestFailure noLeader(String message, int leaderId) {
        return new RequestFailure(Kind.NO_LEADER, message, leaderId);
    }

    public static RequestFailure outcomeUnknown(String message) {
        return new RequestFailure(Kind.OUTCOME_UNKNOWN, message, 0);
    }

    public Kind kind() {
        return kind;
    }

    /** The leader the node knew of when the request failed, or 0. */
    public int leaderId() {
        return leaderId;
    }
}
