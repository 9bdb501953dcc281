package io.rafty.raft;

import java.util.Locale;

/** The role a node plays in its current term; shown to users in lower case. */
public enum Role {
    FOLLOWER, PRE_CANDIDATE, CANDIDATE, LEADER, LEARNER;

    /** The name shown in {@code /v1/status}; a pre-candidate is still a candidate to an operator. */
    public String displayName() {
        return this == PRE_CANDIDATE ? "candidate" : name().toLowerCase(Locale.ROOT);
    }
}
