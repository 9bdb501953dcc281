package io.rafty.node;

import io.rafty.kv.KvResult;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Client writes waiting for their log entry to be applied, keyed by log index (Apache Ratis'
 * PendingRequests). Bounded: the owner checks {@link #isFull()} before proposing. Only the Raft
 * verticle's event loop touches it.
 */
final class PendingProposals {

    record Pending(long term, Promise<KvResult> promise, long deadlineNanos) {
    }

    private final int capacity;
    private final TreeMap<Long, Pending> byIndex = new TreeMap<>();

    PendingProposals(int capacity) {
        this.capacity = capacity;
    }

    boolean isFull() {
        return byIndex.size() >= capacity;
    }

    int size() {
        return byIndex.size();
    }

    void add(long index, long term, Promise<KvResult> promise, long deadlineNanos) {
        byIndex.put(index, new Pending(term, promise, deadlineNanos));
    }

    /** Removes and returns the proposal waiting at {@code index}, or null. */
    Pending remove(long index) {
        return byIndex.remove(index);
    }

    /** Fails every pending proposal with {@code failure}. */
    void failAll(RuntimeException failure) {
        List<Pending> all = new ArrayList<>(byIndex.values());
        byIndex.clear();
        all.forEach(p -> p.promise().tryFail(failure));
    }

    /** Fails every pending proposal at an index above {@code index}; the ones below stay to be applied. */
    void failAbove(long index, RuntimeException failure) {
        Map<Long, Pending> above = byIndex.tailMap(index, false);
        List<Pending> failed = new ArrayList<>(above.values());
        above.clear();
        failed.forEach(p -> p.promise().tryFail(failure));
    }

    /** Fails the proposals whose deadline has passed: their outcome is unknown. */
    void expire(long nowNanos) {
        Iterator<Map.Entry<Long, Pending>> it = byIndex.entrySet().iterator();
        while (it.hasNext()) {
            Pending pending = it.next().getValue();
            if (nowNanos - pending.deadlineNanos() > 0) {
                it.remove();
                pending.promise().tryFail(RequestFailure.outcomeUnknown(
                        "the write was not applied within the request timeout; it may still commit"));
            }
        }
    }
}
