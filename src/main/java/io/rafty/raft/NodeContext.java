package io.rafty.raft;

/**
 * What {@link Replicator}, {@link FollowerReplication}, {@link Elections} and the {@link RoleSteps}
 * may see and do of the {@link RaftNode} they serve: its term, role, leader and vote, its
 * configuration changes and its role changes (what they send goes to the {@link Outbox}). Only RaftNode implements it (privately); its fields stay its own.
 */
interface NodeContext {

    long term();

    Role role();

    int leaderId();

    int votedFor();

    /** A follower heard from the leader of its term: it follows it and restarts its election timer. */
    void acceptLeader(int leader);

    /** Records a vote for {@code candidate} in this term. */
    void grantVote(int candidate);

    /** Puts {@code next} in effect (it was appended to the log, or restored from a snapshot). */
    void setMembership(Membership next);

    /** Whether what {@code member} says from {@code storage} counts (see {@link Membership#counts}). */
    boolean counts(int member, long storage);

    void becomeFollower(long term, int leader);

    void becomePreCandidate();

    void becomeCandidate();

    void becomeLeader();
}
