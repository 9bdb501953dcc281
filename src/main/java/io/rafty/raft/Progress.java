package io.rafty.raft;

import java.util.ArrayDeque;

/**
 * The leader's view of one follower's log (etcd's Progress): how far it is known to match, what to
 * send next, and how many appends are in flight.
 *
 * <p>In {@link State#PROBE} the leader does not know where the logs diverge; it sends one append at
 * a time and waits for the answer (or the next heartbeat response) before sending another. In
 * {@link State#REPLICATE} the logs are known to match at {@code match}; the leader streams entries
 * optimistically, up to {@code maxInflight} messages ahead of the acknowledgements. In
 * {@link State#SNAPSHOT} the entries it needs are compacted away; the host is streaming it a snapshot
 * and nothing else is sent until the host reports the outcome.
 */
final class Progress {

    enum State { PROBE, REPLICATE, SNAPSHOT }

    private final int maxInflight;
    private final ArrayDeque<Long> inflightLastIndexes = new ArrayDeque<>();

    long match;
    long next;
    State state = State.PROBE;
    boolean probeSent;
    /** Whether the follower was heard from since the last CheckQuorum round. */
    boolean recentActive;
    /** {@code match} when the previous heartbeat response arrived; detects a stalled stream. */
    long matchAtLastHeartbeatResponse = -1;
    /** The highest ReadIndex round this follower has acknowledged. */
    long readAck;
    /** The highest commit index sent to this follower that it can act on (bounded by what it holds). */
    long commitSent;
    /** The last entry this follower forwarded (a {@code Propose}); it waits to learn that it committed. */
    long awaitingCommit;
    /**
     * Contexts of the latest batches this follower forwarded: a duplicated {@code Propose} (a network
     * that delivers twice) must not append its commands twice.
     */
    private final java.util.LinkedHashSet<Long> recentProposals = new java.util.LinkedHashSet<>();
    private static final int RECENT_PROPOSALS = 1024;
    /** The follower's storage id as its last batch stated it (0 until it is heard from). */
    long storageId;

    Progress(long next, int maxInflight) {
        this.next = next;
        this.maxInflight = maxInflight;
    }

    /**
     * The follower came back on new storage: whatever it acknowledged before is gone, so the leader
     * forgets it and probes it from the end of its log, as for a follower it has never heard from.
     */
    void forgetStorage(long next) {
        match = 0;
        this.next = next;
        state = State.PROBE;
        probeSent = false;
        inflightLastIndexes.clear();
        matchAtLastHeartbeatResponse = -1;
        readAck = 0;
        commitSent = 0;
        awaitingCommit = 0;
        recentProposals.clear();
    }

    /** Records a forwarded batch; false when this context was seen already (a duplicate). */
    boolean firstProposal(long context) {
        if (!recentProposals.add(context)) {
            return false;
        }
        if (recentProposals.size() > RECENT_PROPOSALS) {
            recentProposals.remove(recentProposals.iterator().next());
        }
        return true;
    }

    boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflightLastIndexes.size() >= maxInflight;
            case SNAPSHOT -> true;
        };
    }

    int inflight() {
        return inflightLastIndexes.size();
    }

    void becomeProbe() {
        state = State.PROBE;
        probeSent = false;
        inflightLastIndexes.clear();
        next = match + 1;
    }

    void becomeSnapshot() {
        state = State.SNAPSHOT;
        probeSent = false;
        inflightLastIndexes.clear();
    }

    void becomeReplicate() {
        state = State.REPLICATE;
        probeSent = false;
        inflightLastIndexes.clear();
        next = match + 1;
    }

    /** Records an append that was sent, ending at {@code lastIndex}. */
    void sent(long lastIndex, boolean hasEntries) {
        switch (state) {
            case PROBE, SNAPSHOT -> probeSent = true;
            case REPLICATE -> {
                if (hasEntries) {
                    next = lastIndex + 1;
                    inflightLastIndexes.addLast(lastIndex);
                }
            }
        }
    }

    /** Accepts an acknowledgement up to {@code index}; returns whether match moved. */
    boolean acknowledge(long index) {
        while (!inflightLastIndexes.isEmpty() && inflightLastIndexes.peekFirst() <= index) {
            inflightLastIndexes.pollFirst();
        }
        if (index <= match) {
            return false;
        }
        match = index;
        next = Math.max(next, index + 1);
        probeSent = false;
        return true;
    }

    /**
     * Frees one in-flight slot. Called on a heartbeat response: if appends were lost the window would
     * otherwise stay full forever.
     */
    void freeFirstInflight() {
        inflightLastIndexes.pollFirst();
    }

    @Override
    public String toString() {
        return state + "[match=" + match + " next=" + next + " inflight=" + inflight() + "]";
    }
}
