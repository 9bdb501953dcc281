package io.rafty.raft;

/**
 * Switches that break the algorithm on purpose, so the simulator and checker can prove they catch
 * each kind of bug. Never enabled outside tests; {@link RaftConfig} rejects none of them, so the host
 * decides — production configuration has no way to set them.
 */
public enum DeliberateBug {
    /** The leader commits an entry of a previous term by counting replicas (Raft §5.4.2, Figure 8). */
    COMMIT_PREVIOUS_TERM_BY_COUNTING,
    /** A read is answered from the leader's commit index at once, without a heartbeat round. */
    READ_WITHOUT_READ_INDEX,
    /** Votes and append acknowledgements are sent before the state they promise is persisted. */
    ACK_BEFORE_PERSIST,
    /** A follower answers a linearizable read from its own commit index instead of asking the leader. */
    FOLLOWER_READ_FROM_LOCAL_COMMIT
}
