package io.rafty.raft.tracker;

import java.util.ArrayDeque;
import java.util.LinkedHashSet;

/**
 * The leader's view of one follower's log (etcd's Progress): how far it is known to match, what to
 * send next, and how many appends are in flight. The leader tells it what happened (an append sent,
 * an acknowledgement, a rejection, a heartbeat answer, a snapshot's outcome) and asks it what to do;
 * nothing outside sets its fields.
 *
 * <p>In {@link State#PROBE} the leader does not know where the logs diverge; it sends one append at
 * a time and waits for the answer (or the next heartbeat response) before sending another. In
 * {@link State#REPLICATE} the logs are known to match at {@link #match()}; the leader streams entries
 * optimistically, up to {@code inflightMessagesMax} messages ahead of the acknowledgements. In
 * {@link State#SNAPSHOT} the entries it needs are compacted away; the host is streaming it a snapshot
 * and nothing else is sent until the host reports the outcome.
 */
public final class Progress {

    /** How the leader sends to this follower; see the class comment. */
    public enum State { PROBE, REPLICATE, SNAPSHOT }

    /**
     * Contexts of forwarded batches remembered per follower, so that a duplicated {@code Propose} (a
     * network that delivers twice) does not append its commands twice.
     */
    static final int RECENT_PROPOSALS_MAX = 1024;

    private final int inflightMessagesMax;
    private final ArrayDeque<Long> inflightLastIndexes = new ArrayDeque<>();
    private final LinkedHashSet<Long> recentProposals = new LinkedHashSet<>();

    private long match;
    private long next;
    private State state = State.PROBE;
    private boolean probeSent;
    /** Whether the follower was heard from since the last CheckQuorum round; a new follower starts active. */
    private boolean recentActive = true;
    /** {@code match} when the previous heartbeat response arrived; detects a stalled stream. */
    private long matchAtLastHeartbeatResponse = -1;
    /** The highest ReadIndex round this follower has acknowledged. */
    private long readAck;
    /** The highest commit index sent to this follower that it can act on (bounded by what it holds). */
    private long commitSent;
    /** The last entry this follower forwarded (a {@code Propose}); it waits to learn that it committed. */
    private long awaitingCommit;
    /** The follower's storage id as its last batch stated it (0 until it is heard from). */
    private long storageId;

    public Progress(long next, int inflightMessagesMax) {
        this.next = next;
        this.inflightMessagesMax = inflightMessagesMax;
    }

    // ----- what the leader asks ---------------------------------------------------------------

    /** The highest index known to be replicated on the follower. */
    public long match() {
        return match;
    }

    /** The next index to send. */
    public long next() {
        return next;
    }

    public State state() {
        return state;
    }

    /** The follower's storage id as its latest batch stated it, or 0 until heard from. */
    public long storageId() {
        return storageId;
    }

    /** The highest ReadIndex round the follower has acknowledged. */
    public long readAck() {
        return readAck;
    }

    /** Whether the leader must wait before sending this follower another append. */
    public boolean isPaused() {
        return switch (state) {
            case PROBE -> probeSent;
            case REPLICATE -> inflightLastIndexes.size() >= inflightMessagesMax;
            case SNAPSHOT -> true;
        };
    }

    public int inflight() {
        return inflightLastIndexes.size();
    }

    /**
     * The follower waits for a commit it has not been told of and could act on: it forwarded
     * commands that committed, holds them, and is in a state where an empty append reaches it.
     */
    public boolean commitNoticeDue(long committed, long logStartIndex) {
        return awaitingCommit > commitSent && Math.min(committed, match) > commitSent
                && state == State.REPLICATE && match > logStartIndex;
    }

    // ----- state changes ----------------------------------------------------------------------

    public void becomeProbe() {
        state = State.PROBE;
        probeSent = false;
        inflightLastIndexes.clear();
        next = match + 1;
    }

    public void becomeSnapshot() {
        state = State.SNAPSHOT;
        probeSent = false;
        inflightLastIndexes.clear();
    }

    public void becomeReplicate() {
        state = State.REPLICATE;
        probeSent = false;
        inflightLastIndexes.clear();
        next = match + 1;
    }

    // ----- what the leader reports ------------------------------------------------------------

    /** Records an append that was sent, ending at {@code lastIndex}. */
    public void sentAppend(long lastIndex, boolean hasEntries) {
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

    /** Records that a message told the follower of commit index {@code commit} (as far as it holds entries). */
    public void sentCommit(long commit) {
        commitSent = Math.max(commitSent, commit);
    }

    /** The follower was heard from (any answer): it counts as active in the next CheckQuorum round. */
    public void markActive() {
        recentActive = true;
    }

    /**
     * Accepts an acknowledgement up to {@code index}, freeing the in-flight slots it covers; returns
     * whether {@code match} moved.
     */
    public boolean maybeUpdate(long index) {
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
     * The follower rejected the append after {@code rejected}; {@code hint} is where the leader
     * believes the logs may match from (the follower's conflict hint, sharpened by the leader's own
     * log). Moves {@code next} back and returns true, or returns false for a stale rejection: one in
     * snapshot state, one at or below {@code match} while replicating, or one that is not an answer
     * to the current probe.
     */
    public boolean maybeDecreaseTo(long rejected, long hint) {
        if (state == State.SNAPSHOT) {
            return false;
        }
        if (state == State.REPLICATE) {
            if (rejected <= match) {
                return false;
            }
            becomeProbe();
        } else if (rejected != next - 1) {
            return false;
        }
        next = Math.max(match + 1, Math.min(hint, rejected));
        probeSent = false;
        return true;
    }

    /**
     * A heartbeat response arrived. A probe may go out again; in replicate state, a stream that has not
     * moved for a whole heartbeat interval while appends are outstanding lost its appends or their
     * acknowledgements, so the leader starts again from what the follower is known to hold (a follower
     * that has the entries acknowledges them again); otherwise a full window frees one slot, since lost
     * appends would keep it full forever.
     */
    public void onHeartbeatResponse() {
        recentActive = true;
        probeSent = false;
        if (state == State.REPLICATE) {
            boolean stalled = match == matchAtLastHeartbeatResponse;
            if (stalled && match < next - 1) {
                becomeProbe();
            } else if (isPaused()) {
                inflightLastIndexes.pollFirst();
            }
        }
        matchAtLastHeartbeatResponse = match;
    }

    /** The follower acknowledged ReadIndex round {@code round}; returns whether that is news. */
    public boolean maybeAcknowledgeRead(long round) {
        if (round <= readAck) {
            return false;
        }
        readAck = round;
        return true;
    }

    /**
     * The host delivered the snapshot this follower was in snapshot state for: probe after its index,
     * but wait for the follower's answer (or the next heartbeat response) before sending.
     */
    public void onSnapshotDelivered(long snapshotIndex) {
        becomeProbe();
        next = Math.max(next, snapshotIndex + 1);
        probeSent = true;
    }

    /** The host could not deliver the snapshot: probe again; the leader asks for a new snapshot if still needed. */
    public void onSnapshotFailed() {
        becomeProbe();
    }

    /**
     * The follower's batch stated {@code storageId}. When it differs from the one it stated before, the
     * follower came back on new storage: whatever it acknowledged is gone, so the leader forgets it and
     * probes it from {@code nextIndex} (the end of its log), as for a follower it has never heard from.
     *
     * @return whether the storage was replaced
     */
    public boolean observeStorage(long storageId, long nextIndex) {
        boolean replaced = this.storageId != 0 && this.storageId != storageId;
        if (replaced) {
            match = 0;
            next = nextIndex;
            state = State.PROBE;
            probeSent = false;
            inflightLastIndexes.clear();
            matchAtLastHeartbeatResponse = -1;
            readAck = 0;
            commitSent = 0;
            awaitingCommit = 0;
            recentProposals.clear();
        }
        this.storageId = storageId;
        return replaced;
    }

    /** Records a forwarded batch; false when this context was seen already (a duplicate). */
    public boolean firstProposal(long context) {
        if (!recentProposals.add(context)) {
            return false;
        }
        if (recentProposals.size() > RECENT_PROPOSALS_MAX) {
            recentProposals.remove(recentProposals.iterator().next());
        }
        return true;
    }

    /** The follower forwarded commands the leader appended through {@code lastIndex}; it waits for their commit. */
    public void awaitCommit(long lastIndex) {
        awaitingCommit = Math.max(awaitingCommit, lastIndex);
    }

    /** Whether the follower was heard from since the last CheckQuorum round. */
    boolean recentActive() {
        return recentActive;
    }

    /** Starts a new CheckQuorum round: the follower must be heard from again to count as active. */
    void clearRecentActive() {
        recentActive = false;
    }

    @Override
    public String toString() {
        return state + "[match=" + match + " next=" + next + " inflight=" + inflight() + "]";
    }
}
