package io.rafty.sim;

/**
 * A node's answer to one {@link ClientRequest}. Every status but {@link Status#OK} means this
 * attempt definitely did not take effect.
 */
record ClientReply(long attemptId, Status status, int leaderHint, KvAnswer answer) {

    enum Status {
        OK,
        /** Refused with NotLeaderException: nothing was appended. */
        NOT_LEADER,
        /** Refused with ProposalDroppedException: nothing was appended. */
        DROPPED,
        /** The proposed entry's index was committed with an entry of another term: it never will be. */
        OVERWRITTEN,
        /** A read lost its leader before it was confirmed; reads have no effect. */
        READ_ABORTED
    }
}
