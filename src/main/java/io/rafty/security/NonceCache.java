package io.rafty.security;

import java.util.Comparator;
import java.util.HashSet;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The nonces of recently accepted peer requests, so that a captured request cannot be played again. Bounded
 * by count: when more than {@code capacity} are held, the one with the oldest timestamp is forgotten and
 * its timestamp becomes the {@code floor} — from then on every request stamped at or before the floor is
 * refused as too old to check. Expired nonces (older than the clock-skew window) are forgotten the same
 * way. So a replay is always refused: either its nonce is still here, or its timestamp is at or below the
 * floor. What a full cache costs is a narrower window: a legitimate request delayed past the floor is
 * refused, and Raft sends its messages again.
 *
 * <p>Ordered by timestamp, not by arrival: a sender whose clock runs ahead then cannot push the floor past
 * requests of senders whose clocks do not. Thread-safe; every call is short and allocation-light.
 */
final class NonceCache {

    /** The outcome of one look-up. */
    enum Outcome { FIRST_USE, REPLAYED, TOO_OLD }

    private record Seen(long timeMs, long high, long low) {
    }

    private final int capacity;
    private final PriorityQueue<Seen> byTime = new PriorityQueue<>(Comparator.comparingLong(Seen::timeMs));
    private final Set<Seen> seen = new HashSet<>();
    private long floorMs = Long.MIN_VALUE;

    NonceCache(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, was " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Records the nonce {@code (high, low)} of a request stamped {@code timeMs}, unless it was seen before or
     * is older than what the cache can vouch for; {@code oldestAcceptedMs} is the start of the clock-skew
     * window, before which nothing needs remembering.
     */
    synchronized Outcome use(long timeMs, long high, long low, long oldestAcceptedMs) {
        while (!byTime.isEmpty() && byTime.peek().timeMs() < oldestAcceptedMs) {
            forgetOldest();
        }
        if (timeMs <= floorMs) {
            return Outcome.TOO_OLD;
        }
        Seen entry = new Seen(timeMs, high, low);
        if (!seen.add(entry)) {
            return Outcome.REPLAYED;
        }
        byTime.add(entry);
        while (byTime.size() > capacity) {
            forgetOldest();
        }
        return Outcome.FIRST_USE;
    }

    private void forgetOldest() {
        Seen oldest = byTime.poll();
        seen.remove(oldest);
        floorMs = Math.max(floorMs, oldest.timeMs());
    }

    synchronized int size() {
        return byTime.size();
    }
}
