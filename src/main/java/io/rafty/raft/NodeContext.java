package io.rafty.raft;

import io.rafty.raft.message.Message;

/**
 * What {@link Replicator}, {@link FollowerReplication}, {@link Elections} and the {@link RoleSteps}
 * may see and do of the {@link RaftNode} they serve: its term, role, leader and vote, its
 * outgoing messages, its configuration changes, a snapshot to install and its role
 * changes. Only RaftNode implements it (privately); its fields stay its own.
 */
interface NodeContext {

    long term();

    Role role();

    int leaderId();

    int votedFor();

    /** A follower heard from the leader of its term: it follows it and restarts its election timer. */
    void acceptLeader(int leader);

    /** A follower restored its log from a snapshot: the host installs it with the next Ready. */
    void installSnapshot(SnapshotMeta snapshot);

    /** Records a vote for {@code candidate} in this term. */
    void grantVote(int candidate);

    /** Queues a message: now, or once the Ready carrying it has been persisted. */
    void send(Message message, boolean afterPersist);

    /** Puts {@code next} in effect (it was appended to the log, or restored from a snapshot). */
    void setMembership(Membership next);

    /** Whether what {@code member} says from {@code storage} counts (see {@link Membership#counts}). */
    boolean counts(int member, long storage);

    void becomeFollower(long term, int leader);

    void becomePreCandidate();

    void becomeCandidate();

    void becomeLeader();
}
