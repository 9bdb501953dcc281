package io.rafty.raft;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The leader's linearizable reads (ReadIndex, thesis §6.4; etcd's {@code read_only.go}). A read waits
 * first for the leader to commit an entry of its term (until then it does not know the true commit
 * index, §8), then records the commit index and waits for a quorum to acknowledge a heartbeat round
 * sent after it. Every read waiting at the same moment shares one round.
 *
 * <p>Rounds are numbered; a heartbeat carries the latest round as its read context and a follower
 * echoes it. Reads that arrive while a round is outstanding wait for it to be acknowledged and then
 * share the next one: under load that is one heartbeat round per round trip instead of one per Ready.
 * A round whose acknowledgements are lost is superseded by the periodic heartbeat, which always starts
 * a new round when reads wait. The queue owns the rounds and the waiting reads; which round a quorum
 * confirmed is the progress tracker's answer, and what a confirmed read becomes (a read state here, a
 * response to the follower that forwarded it) is the node's.
 */
final class ReadOnlyQueue {

    /** A read to confirm: {@code origin} is this node, or the follower that forwarded it as {@code requestId}. */
    record ReadRequest(int origin, long requestId) {
    }

    /** Where confirmed reads go, each with the commit index recorded when it was queued. */
    @FunctionalInterface
    interface ConfirmedReads {
        void confirmed(ReadRequest request, long index);
    }

    private record PendingRead(ReadRequest request, long index, long round) {
    }

    private final List<ReadRequest> awaitingTermCommit = new ArrayList<>();
    private final List<PendingRead> awaitingQuorum = new ArrayList<>();
    private long roundSent;
    /** The latest round a quorum has acknowledged; a new round starts only when none is outstanding. */
    private long roundConfirmed;
    private boolean roundNeeded;

    /** A read that must wait for the leader's first commit in its term. */
    void awaitTermCommit(ReadRequest request) {
        awaitingTermCommit.add(request);
    }

    /** A read to confirm at {@code committedIndex} in the next round. */
    void add(ReadRequest request, long committedIndex) {
        awaitingQuorum.add(new PendingRead(request, committedIndex, roundSent + 1));
        roundNeeded = true;
    }

    /** The leader committed in its term, through {@code committedIndex}: the reads that waited for it queue now. */
    void onTermCommitted(long committedIndex) {
        if (awaitingTermCommit.isEmpty()) {
            return;
        }
        for (ReadRequest request : awaitingTermCommit) {
            add(request, committedIndex);
        }
        awaitingTermCommit.clear();
    }

    /** Whether reads wait for a round and none is outstanding. */
    boolean roundStartable() {
        return roundNeeded && roundSent <= roundConfirmed;
    }

    /** The round a heartbeat going out now carries: a new one when reads wait for it. */
    long roundForHeartbeat() {
        if (roundNeeded) {
            roundSent++;
            roundNeeded = false;
        }
        return roundSent;
    }

    /** The latest round sent (this node's own acknowledgement of it). */
    long roundSent() {
        return roundSent;
    }

    /** A quorum has acknowledged {@code confirmedRound}: every read of that round or earlier goes to {@code out}. */
    void release(long confirmedRound, ConfirmedReads out) {
        roundConfirmed = Math.max(roundConfirmed, confirmedRound);
        Iterator<PendingRead> reads = awaitingQuorum.iterator();
        while (reads.hasNext()) {
            PendingRead read = reads.next();
            if (read.round() <= confirmedRound) {
                out.confirmed(read.request(), read.index());
                reads.remove();
            }
        }
    }

    /** Drops every waiting read (a role change: followers time out what they forwarded). */
    void reset() {
        awaitingTermCommit.clear();
        awaitingQuorum.clear();
        roundNeeded = false;
        roundConfirmed = roundSent;
    }
}
