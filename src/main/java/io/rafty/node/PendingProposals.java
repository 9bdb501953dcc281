package io.rafty.node;

import io.rafty.kv.KvResult;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Client writes waiting for their log entry to be applied, keyed by log index (Apache Ratis'
 * PendingRequests), and, on a follower, writes forwarded to the leader that wait to learn their
 * index, keyed by request id. Bounded: the owner checks {@link #isFull()} (both tables together) and
 * {@link #forwardedBytes()} before proposing. Only the driver's thread touches it.
 */
final class PendingProposals {

    record Pending(long term, Reply<KvResult> reply, long deadlineNanos) {
    }

    /** A forwarded write before the leader said where it appended it. */
    record Forwarded(Reply<KvResult> reply, long deadlineNanos, long bytes) {
    }

    private final int capacity;
    private final TreeMap<Long, Pending> byIndex = new TreeMap<>();
    private final Map<Long, Forwarded> forwarded = new java.util.LinkedHashMap<>();
    private long forwardedBytes;

    PendingProposals(int capacity) {
        this.capacity = capacity;
    }

    boolean isFull() {
        return byIndex.size() + forwarded.size() >= capacity;
    }

    int forwardedCount() {
        return forwarded.size();
    }

    /** Payload bytes of the forwarded writes the leader has not placed yet. */
    long forwardedBytes() {
        return forwardedBytes;
    }

    void add(long index, long term, Reply<KvResult> reply, long deadlineNanos) {
        byIndex.put(index, new Pending(term, reply, deadlineNanos));
    }

    /** Removes and returns the proposal waiting at {@code index}, or null. */
    Pending remove(long index) {
        return byIndex.remove(index);
    }

    /** Removes and returns every proposal waiting at an index up to {@code index}, in index order. */
    List<Map.Entry<Long, Pending>> removeThrough(long index) {
        Map<Long, Pending> head = byIndex.headMap(index, true);
        List<Map.Entry<Long, Pending>> removed = new ArrayList<>(head.entrySet());
        head.clear();
        return removed;
    }

    void addForwarded(long requestId, Reply<KvResult> reply, long deadlineNanos, long bytes) {
        forwarded.put(requestId, new Forwarded(reply, deadlineNanos, bytes));
        forwardedBytes += bytes;
    }

    /** Removes and returns the forwarded write {@code requestId}, or null. */
    Forwarded removeForwarded(long requestId) {
        Forwarded removed = forwarded.remove(requestId);
        if (removed != null) {
            forwardedBytes -= removed.bytes();
        }
        return removed;
    }

    /** Fails every pending proposal, placed or forwarded, with {@code failure}. */
    void failAll(RuntimeException failure) {
        List<Reply<KvResult>> all = new ArrayList<>();
        byIndex.values().forEach(p -> all.add(p.reply()));
        byIndex.clear();
        all.forEach(r -> r.fail(failure));
        failForwarded(failure);
    }

    /** Fails the forwarded writes the leader has not placed yet. */
    void failForwarded(RuntimeException failure) {
        List<Forwarded> all = new ArrayList<>(forwarded.values());
        forwarded.clear();
        forwardedBytes = 0;
        all.forEach(f -> f.reply().fail(failure));
    }

    /** Fails every pending proposal at an index above {@code index}; the ones below stay to be applied. */
    void failAbove(long index, RuntimeException failure) {
        Map<Long, Pending> above = byIndex.tailMap(index, false);
        List<Pending> failed = new ArrayList<>(above.values());
        above.clear();
        failed.forEach(p -> p.reply().fail(failure));
    }

    /** Fails the proposals whose deadline has passed: their outcome is unknown. */
    void expire(long nowNanos) {
        expire(byIndex.values().iterator(), Pending::deadlineNanos, Pending::reply, nowNanos,
                "the write was not applied within the request timeout; it may still commit");
        List<Long> expired = new ArrayList<>();
        forwarded.forEach((id, f) -> {
            if (nowNanos - f.deadlineNanos() > 0) {
                expired.add(id);
            }
        });
        for (long id : expired) {
            removeForwarded(id).reply().fail(RequestFailure.outcomeUnknown(
                    "the leader did not acknowledge the forwarded write within the request timeout; it may still commit"));
        }
    }

    private static <T> void expire(Iterator<T> pending, ToLongFunction<T> deadline,
                                   Function<T, Reply<KvResult>> reply, long nowNanos, String message) {
        List<Reply<KvResult>> failed = new ArrayList<>();
        while (pending.hasNext()) {
            T next = pending.next();
            if (nowNanos - deadline.applyAsLong(next) > 0) {
                pending.remove();
                failed.add(reply.apply(next));
            }
        }
        failed.forEach(r -> r.fail(RequestFailure.outcomeUnknown(message)));
    }
}
