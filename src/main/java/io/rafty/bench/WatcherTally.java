package io.rafty.bench;

import java.util.Arrays;
import org.HdrHistogram.Recorder;

/**
 * One watcher's bookkeeping: turns each change it receives into a write-to-watch latency, and counts
 * what it received, so that what it missed is known at the end.
 *
 * <p>A delivery of revision R is matched with the write that produced R in the {@link WriteLedger}.
 * The two can arrive in either order: the write's answer first (the usual case: the delivery is
 * settled at once), or the change first — a watcher on the leader can be sent the change before the
 * write's answer is read. Then the delivery is parked with its arrival time and settled by a later
 * {@link #resolvePending} once the answer is in; the latency is the arrival time minus the send time
 * either way, whenever it is settled. A parked delivery whose write is never acknowledged (its answer
 * failed or timed out, or another client wrote it) is dropped as unmatched after {@code pendingMaxAgeNanos}.
 *
 * <p>Only writes sent inside the ledger's measured window count: their deliveries are recorded and
 * counted as {@link #settled()}, the rest are dropped once matched. A correct server sends every
 * watcher every revision in order, so {@code countedWrites - settled} is what this watcher missed.
 * A revision that is not above the previous one is counted as out of order and otherwise ignored, so
 * a repeated delivery cannot hide a missing one.
 *
 * <p>Not thread-safe: each watcher's tally is used only on the watcher's event loop.
 */
final class WatcherTally {

    /** Deliveries one watcher parks at most while their writes' answers are outstanding. */
    static final int MAX_PENDING = 4096;

    private final WriteLedger ledger;
    private final Recorder latencyMicros;
    private final long highestTrackableMicros;
    private final long pendingMaxAgeNanos;
    /** Parked deliveries start with room for this many and grow, by doubling, to {@link #MAX_PENDING}. */
    private static final int INITIAL_PENDING = 16;

    private long[] pendingRevisions = new long[INITIAL_PENDING];
    private long[] pendingArrivals = new long[INITIAL_PENDING];
    private int pending;
    private long highestRevision;
    private long settled;
    private long arrivedInWindow;
    private long outOfOrder;
    private long unmatched;

    WatcherTally(WriteLedger ledger, Recorder latencyMicros, long highestTrackableMicros, long pendingMaxAgeNanos) {
        this.ledger = ledger;
        this.latencyMicros = latencyMicros;
        this.highestTrackableMicros = highestTrackableMicros;
        this.pendingMaxAgeNanos = pendingMaxAgeNanos;
    }

    /** The watcher received the change of {@code revision} at {@code arrivalNanos}. */
    void change(long revision, long arrivalNanos) {
        if (revision <= highestRevision) {
            outOfOrder++;
            return;
        }
        highestRevision = revision;
        if (ledger.inWindow(arrivalNanos)) {
            arrivedInWindow++;
        }
        long sent = ledger.sentNanos(revision);
        if (sent != WriteLedger.UNKNOWN) {
            settle(sent, arrivalNanos);
            return;
        }
        if (pending == MAX_PENDING) {
            resolvePending(arrivalNanos);
        }
        if (pending == MAX_PENDING) {
            // Still full after settling what could be: the oldest is given up as unmatched, so the bound holds.
            unmatched++;
            System.arraycopy(pendingRevisions, 1, pendingRevisions, 0, pending - 1);
            System.arraycopy(pendingArrivals, 1, pendingArrivals, 0, pending - 1);
            pending--;
        }
        if (pending == pendingRevisions.length) {
            int capacity = Math.min(MAX_PENDING, 2 * pending);
            pendingRevisions = Arrays.copyOf(pendingRevisions, capacity);
            pendingArrivals = Arrays.copyOf(pendingArrivals, capacity);
        }
        pendingRevisions[pending] = revision;
        pendingArrivals[pending] = arrivalNanos;
        pending++;
    }

    /** Settles the parked deliveries whose writes are now acknowledged; drops those older than the age limit. */
    void resolvePending(long nowNanos) {
        resolve(nowNanos, true);
    }

    /** After every write has been answered: settles what can be, and counts the rest as unmatched. */
    void finish() {
        resolve(0, false);
        unmatched += pending;
        pending = 0;
    }

    private void resolve(long nowNanos, boolean ageOut) {
        int kept = 0;
        for (int i = 0; i < pending; i++) {
            long sent = ledger.sentNanos(pendingRevisions[i]);
            if (sent != WriteLedger.UNKNOWN) {
                settle(sent, pendingArrivals[i]);
            } else if (ageOut && nowNanos - pendingArrivals[i] > pendingMaxAgeNanos) {
                unmatched++;
            } else {
                pendingRevisions[kept] = pendingRevisions[i];
                pendingArrivals[kept] = pendingArrivals[i];
                kept++;
            }
        }
        pending = kept;
    }

    private void settle(long sentNanos, long arrivalNanos) {
        if (!ledger.inWindow(sentNanos)) {
            return;
        }
        settled++;
        long micros = Math.max(0, (arrivalNanos - sentNanos) / 1000);
        latencyMicros.recordValue(Math.min(micros, highestTrackableMicros));
    }

    /** Deliveries parked until their writes' answers come. */
    int pending() {
        return pending;
    }

    /** The highest revision received. */
    long highestRevision() {
        return highestRevision;
    }

    /** Deliveries of writes sent inside the window, each recorded as a latency. */
    long settled() {
        return settled;
    }

    /** Changes that arrived inside the window, whichever write produced them. */
    long arrivedInWindow() {
        return arrivedInWindow;
    }

    /** Changes whose revision was not above the previous one. */
    long outOfOrder() {
        return outOfOrder;
    }

    /** Parked deliveries that no acknowledged write matched. */
    long unmatched() {
        return unmatched;
    }

    /** Of {@code countedWrites} writes sent inside the window and acknowledged, how many this watcher did not get. */
    long missed(long countedWrites) {
        return Math.max(0, countedWrites - settled);
    }
}
