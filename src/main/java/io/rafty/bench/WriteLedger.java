package io.rafty.bench;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * The acknowledged writes of a watch run, by revision: when each was sent, for the watchers to turn a
 * delivery of revision R into a write-to-watch latency, and how many were sent inside the measured
 * window, for counting what each watcher missed.
 *
 * <p>The generator learns a write's revision only from its answer, so {@link #acknowledged} is called
 * when the answer arrives, with the time the request was sent. A watcher may receive the change before
 * that; {@link WatcherTally} parks such deliveries and looks again later.
 *
 * <p>Entries live in a ring indexed by {@code revision % capacity}; an entry is overwritten by the
 * revision {@code capacity} later, long after any watcher that is keeping up has read it (a million
 * slots hold a minute and a half of writes at the rates this machine reaches).
 *
 * <p>Thread-safe without locks: writes are acknowledged on every generator event loop, and watchers
 * on every loop read. A slot is two longs of one {@link AtomicLongArray}, written as a sequence lock
 * (revision cleared, send time, revision) so a reader never pairs a revision with another's send time.
 */
final class WriteLedger {

    /** What {@link #sentNanos} answers for a revision the ledger does not hold. */
    static final long UNKNOWN = Long.MIN_VALUE;
    /** Slots of the generator's ledger: 16 MiB. */
    static final int DEFAULT_CAPACITY = 1 << 20;

    private final AtomicLongArray slots;
    private final int mask;
    private final LongAdder countedWrites = new LongAdder();
    private final LongAccumulator lastCountedRevision = new LongAccumulator(Math::max, 0);
    private volatile boolean windowOpen;
    private volatile long windowStartNanos;
    private volatile boolean windowClosed;
    private volatile long windowEndNanos;

    /** A ledger of {@code capacity} slots, a power of two. */
    WriteLedger(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, was " + capacity);
        }
        this.slots = new AtomicLongArray(2 * capacity);
        this.mask = capacity - 1;
    }

    /** Starts the measured window: writes sent from now on count. */
    void openWindow(long nowNanos) {
        windowStartNanos = nowNanos;
        windowOpen = true;
    }

    /** Ends the measured window: writes sent from now on do not count. */
    void closeWindow(long nowNanos) {
        windowEndNanos = nowNanos;
        windowClosed = true;
    }

    /** Whether a time falls inside the measured window (a window not yet closed reaches to the present). */
    boolean inWindow(long nanos) {
        return windowOpen && nanos - windowStartNanos >= 0 && (!windowClosed || windowEndNanos - nanos > 0);
    }

    /** A write sent at {@code sentNanos} was answered with {@code revision} (at least 1). */
    void acknowledged(long revision, long sentNanos) {
        int slot = 2 * (int) (revision & mask);
        slots.set(slot, 0);
        slots.set(slot + 1, sentNanos);
        slots.set(slot, revision);
        if (inWindow(sentNanos)) {
            countedWrites.increment();
            lastCountedRevision.accumulate(revision);
        }
    }

    /** When the write of {@code revision} was sent, or {@link #UNKNOWN} if it is not (or no longer) held. */
    long sentNanos(long revision) {
        int slot = 2 * (int) (revision & mask);
        if (slots.get(slot) != revision) {
            return UNKNOWN;
        }
        long sent = slots.get(slot + 1);
        return slots.get(slot) == revision ? sent : UNKNOWN;
    }

    /** Acknowledged writes sent inside the window: what every watcher should receive. */
    long countedWrites() {
        return countedWrites.sum();
    }

    /** The highest revision among {@link #countedWrites()}; 0 when there is none. */
    long lastCountedRevision() {
        return lastCountedRevision.get();
    }
}
