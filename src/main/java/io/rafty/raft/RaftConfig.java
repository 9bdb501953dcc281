package io.rafty.raft;

import java.util.EnumSet;
import java.util.Set;

/**
 * The knobs of one {@link RaftNode}. Time is counted in ticks; the host decides how long a tick is.
 * Build one with {@link #builder(int)} (or start from {@link #defaults(int)}); the canonical
 * constructor validates.
 *
 * @param id                        this node's id (positive)
 * @param electionTimeoutTicksMin   the smallest randomized election timeout
 * @param electionTimeoutTicksMax   the largest randomized election timeout (inclusive)
 * @param heartbeatIntervalTicks    how often a leader sends heartbeats
 * @param messageBytesMax           entries per AppendEntries are cut at about this many bytes (at least one entry is always sent)
 * @param inflightMessagesMax       appends in flight to one follower before the leader waits for acknowledgements
 * @param uncommittedBytesMax       the leader refuses proposals while this many bytes are appended but not committed
 * @param preVote                   run a PreVote round before a real election (thesis §9.6)
 * @param checkQuorum               a leader steps down when it has not heard from a quorum for an election timeout
 * @param asyncStorageWrites        while a Ready's persist is in flight, hand out light Readies (messages that promise
 *                                  nothing durable, confirmed reads, role changes) instead of waiting for it; see
 *                                  {@link RaftNode#ready()}
 * @param deliberateBugs            test-only switches that break the algorithm on purpose; empty in production
 */
public record RaftConfig(int id, int electionTimeoutTicksMin, int electionTimeoutTicksMax, int heartbeatIntervalTicks,
                         int messageBytesMax, int inflightMessagesMax, long uncommittedBytesMax,
                         boolean preVote, boolean checkQuorum, boolean asyncStorageWrites,
                         Set<DeliberateBug> deliberateBugs) {

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
        if (messageBytesMax < 1 || inflightMessagesMax < 1 || uncommittedBytesMax < 1) {
            throw new IllegalArgumentException("message and inflight limits must be positive");
        }
        deliberateBugs = deliberateBugs.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(deliberateBugs));
    }

    /** Sensible defaults: 10–20 tick election timeout, heartbeat every tick, PreVote and CheckQuorum on. */
    public static RaftConfig defaults(int id) {
        return builder(id).build();
    }

    /** A builder holding {@link #defaults(int)}'s values. */
    public static Builder builder(int id) {
        return new Builder(id);
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder(id).electionTimeoutTicks(electionTimeoutTicksMin, electionTimeoutTicksMax)
                .heartbeatIntervalTicks(heartbeatIntervalTicks).messageBytesMax(messageBytesMax)
                .inflightMessagesMax(inflightMessagesMax).uncommittedBytesMax(uncommittedBytesMax)
                .preVote(preVote).checkQuorum(checkQuorum).asyncStorageWrites(asyncStorageWrites)
                .deliberateBugs(deliberateBugs);
    }

    public RaftConfig withDeliberateBugs(Set<DeliberateBug> bugs) {
        return toBuilder().deliberateBugs(bugs).build();
    }

    public RaftConfig withTimeouts(int electionMin, int electionMax, int heartbeat) {
        return toBuilder().electionTimeoutTicks(electionMin, electionMax).heartbeatIntervalTicks(heartbeat).build();
    }

    public RaftConfig withLimits(int messageBytes, int inflightMessages, long uncommittedBytes) {
        return toBuilder().messageBytesMax(messageBytes).inflightMessagesMax(inflightMessages)
                .uncommittedBytesMax(uncommittedBytes).build();
    }

    public boolean has(DeliberateBug bug) {
        return deliberateBugs.contains(bug);
    }

    /** Named settings in place of ten positional arguments; {@link #build()} validates. */
    public static final class Builder {

        private final int id;
        private int electionTimeoutTicksMin = 10;
        private int electionTimeoutTicksMax = 20;
        private int heartbeatIntervalTicks = 1;
        private int messageBytesMax = 1 << 20;
        private int inflightMessagesMax = 256;
        private long uncommittedBytesMax = 64L << 20;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private boolean asyncStorageWrites = false;
        private Set<DeliberateBug> deliberateBugs = Set.of();

        private Builder(int id) {
            this.id = id;
        }

        public Builder electionTimeoutTicks(int min, int max) {
            this.electionTimeoutTicksMin = min;
            this.electionTimeoutTicksMax = max;
            return this;
        }

        public Builder heartbeatIntervalTicks(int ticks) {
            this.heartbeatIntervalTicks = ticks;
            return this;
        }

        public Builder messageBytesMax(int bytes) {
            this.messageBytesMax = bytes;
            return this;
        }

        public Builder inflightMessagesMax(int messages) {
            this.inflightMessagesMax = messages;
            return this;
        }

        public Builder uncommittedBytesMax(long bytes) {
            this.uncommittedBytesMax = bytes;
            return this;
        }

        public Builder preVote(boolean on) {
            this.preVote = on;
            return this;
        }

        public Builder checkQuorum(boolean on) {
            this.checkQuorum = on;
            return this;
        }

        public Builder asyncStorageWrites(boolean on) {
            this.asyncStorageWrites = on;
            return this;
        }

        public Builder deliberateBugs(Set<DeliberateBug> bugs) {
            this.deliberateBugs = bugs;
            return this;
        }

        public RaftConfig build() {
            return new RaftConfig(id, electionTimeoutTicksMin, electionTimeoutTicksMax, heartbeatIntervalTicks,
                    messageBytesMax, inflightMessagesMax, uncommittedBytesMax, preVote, checkQuorum, asyncStorageWrites,
                    deliberateBugs);
        }
    }
}
