package io.rafty.node;

import io.rafty.kv.KvResult;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Client writes waiting for their log entry to be applied, keyed by log index (Apache Ratis'
 * PendingRequests), and, on a follower, writes forwarded to the leader that wait to learn their
 * index, keyed by request id. Bounded: the owner checks {@link #isFull()} (both tables together)
 * before proposing. Only the Raft verticle's event loop touches it.
 */
final class PendingProposals {

    record Pending(long term, Promise<KvResult> promise, long deadlineNanos) {
    }

    /** A forwarded write before the leader said where it appended it. */
    record Forwarded(Promise<KvResult> promise, long deadlineNanos) {
    }

    private final int capacity;
    private final TreeMap<Long, Pending> byIndex = new TreeMap<>();
    private final Map<Long, Forwarded> forwarded = new HashMap<>();

    PendingProposals(int capacity) {
        this.capacity = capacity;
    }

    boolean isFull() {
        return byIndex.size() + forwarded.size() >= capacity;
    }

    void add(long index, long term, Promise<KvResult> promise, long deadlineNanos) {
        byIndex.put(index, new Pending(term, promise, deadlineNanos));
    }

    /** Removes and returns the proposal waiting at {@code index}, or null. */
    Pending remove(long index) {
        return byIndex.remove(index);
    }

    void addForwarded(long requestId, Promise<KvResult> promise, long deadlineNanos) {
        forwarded.put(requestId, new Forwarded(promise, deadlineNanos));
    }

    /** Removes and returns the forwarded write {@code requestId}, or null. */
    Forwarded removeForwarded(long requestId) {
        return forwarded.remove(requestId);
    }

    /** Fails every pending proposal, placed or forwarded, with {@code failure}. */
    void failAll(RuntimeException failure) {
        List<Promise<KvResult>> all = new ArrayList<>();
        byIndex.values().forEach(p -> all.add(p.promise()));
        byIndex.clear();
        all.forEach(p -> p.tryFail(failure));
        failForwarded(failure);
    }

    /** Fails the forwarded writes the leader has not placed yet. */
    void failForwarded(RuntimeException failure) {
        List<Forwarded> all = new ArrayList<>(forwarded.values());
        forwarded.clear();
        all.forEach(f -> f.promise().tryFail(failure));
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
        expire(byIndex.values().iterator(), Pending::deadlineNanos, Pending::promise, nowNanos,
                "the write was not applied within the request timeout; it may still commit");
        expire(forwarded.values().iterator(), Forwarded::deadlineNanos, Forwarded::promise, nowNanos,
                "the leader did not acknowledge the forwarded write within the request timeout; it may still commit");
    }

    private static <T> void expire(Iterator<T> pending, ToLongFunction<T> deadline,
                                   Function<T, Promise<KvResult>> promise, long nowNanos,
                                   String message) {
        while (pending.hasNext()) {
            T next = pending.next();
            if (nowNanos - deadline.applyAsLong(next) > 0) {
                pending.remove();
                promise.apply(next).tryFail(RequestFailure.outcomeUnknown(message));
            }
        }
    }
}
