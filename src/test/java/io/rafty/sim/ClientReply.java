package io.rafty.sim;

/**
 * A node's answer to one {@link ClientRequest}. Every status but {@link Status#OK} and
 * {@link Status#UNKNOWN} means this attempt definitely did not take effect.
 */
record ClientReply(long attemptId, Status status, int leaderHint, KvAnswer answer) {

    enum Status {
        OK,
        /** Refused with NotLeaderException: nothing was appended. */
        NOT_LEADER,
        /** Refused with ProposalDroppedException: nothing was appended. */
        DROPPED,
        /** A read lost its leader before it was confirmed; reads have no effect. */
        READ_ABORTED,
        /** The node cannot know whether the write took effect (504 outcome_unknown). */
        UNKNOWN
    }
}
