package io.rafty.raft;

import java.util.EnumSet;
import java.util.Set;

/**
 * The knobs of one {@link RaftNode}. Time is counted in ticks; the host decides how long a tick is.
 *
 * @param id                        this node's id (positive)
 * @param electionTimeoutTicksMin   the smallest randomized election timeout
 * @param electionTimeoutTicksMax   the largest randomized election timeout (inclusive)
 * @param heartbeatIntervalTicks    how often a leader sends heartbeats
 * @param maxMessageBytes           entries per AppendEntries are cut at about this many bytes (at least one entry is always sent)
 * @param maxInflightMessages       appends in flight to one follower before the leader waits for acknowledgements
 * @param maxUncommittedBytes       the leader refuses proposals while this many bytes are appended but not committed
 * @param preVote                   run a PreVote round before a real election (thesis §9.6)
 * @param checkQuorum               a leader steps down when it has not heard from a quorum for an election timeout
 * @param deliberateBugs            test-only switches that break the algorithm on purpose; empty in production
 */
public record RaftConfig(int id, int electionTimeoutTicksMin, int electionTimeoutTicksMax, int heartbeatIntervalTicks,
                         int maxMessageBytes, int maxInflightMessages, long maxUncommittedBytes,
                         boolean preVote, boolean checkQuorum, Set<DeliberateBug> deliberateBugs) {

    public RaftConfig {
        if (id <= 0) {
            throw new IllegalArgumentException("id must be positive, was " + id);
        }
        if (heartbeatIntervalTicks < 1) {
            throw new IllegalArgumentException("heartbeatIntervalTicks must be >= 1");
        }
        if (electionTimeoutTicksMin <= heartbeatIntervalTicks) {
            throw new IllegalArgumentException("electionTimeoutTicksMin must exceed heartbeatIntervalTicks");
        }
        if (electionTimeoutTicksMax < electionTimeoutTicksMin) {
            throw new IllegalArgumentException("electionTimeoutTicksMax must be >= electionTimeoutTicksMin");
        }
        if (maxMessageBytes < 1 || maxInflightMessages < 1 || maxUncommittedBytes < 1) {
            throw new IllegalArgumentException("message and inflight limits must be positive");
        }
        deliberateBugs = deliberateBugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(deliberateBugs));
    }

    /** Sensible defaults: 10–20 tick election timeout, heartbeat every tick, PreVote and CheckQuorum on. */
    public static RaftConfig defaults(int id) {
        return new RaftConfig(id, 10, 20, 1, 1 << 20, 256, 64L << 20, true, true, Set.of());
    }

    public RaftConfig withDeliberateBugs(Set<DeliberateBug> bugs) {
        return new RaftConfig(id, electionTimeoutTicksMin, electionTimeoutTicksMax, heartbeatIntervalTicks,
                maxMessageBytes, maxInflightMessages, maxUncommittedBytes, preVote, checkQuorum, bugs);
    }

    public RaftConfig withTimeouts(int electionMin, int electionMax, int heartbeat) {
        return new RaftConfig(id, electionMin, electionMax, heartbeat, maxMessageBytes, maxInflightMessages,
                maxUncommittedBytes, preVote, checkQuorum, deliberateBugs);
    }

    public RaftConfig withLimits(int messageBytes, int inflightMessages, long uncommittedBytes) {
        return new RaftConfig(id, electionTimeoutTicksMin, electionTimeoutTicksMax, heartbeatIntervalTicks,
                messageBytes, inflightMessages, uncommittedBytes, preVote, checkQuorum, deliberateBugs);
    }

    public boolean has(DeliberateBug bug) {
        return deliberateBugs.contains(bug);
    }
}
