package io.rafty.node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Linearizable reads on their way: first waiting for the leader to confirm them (ReadIndex, by id),
 * then for this node to apply through the confirmed index. Bounded by the owner ({@link #waiting()}).
 * Only the driver's thread touches it.
 */
final class PendingReads {

    private record Read(Reply<Long> reply, long deadlineNanos) {
    }

    private final Map<Long, Read> awaitingConfirmation = new LinkedHashMap<>();
    private final TreeMap<Long, List<Read>> awaitingApply = new TreeMap<>();
    private long nextId = 1;

    /** Reads not confirmed yet. */
    int waiting() {
        return awaitingConfirmation.size();
    }

    /** Registers a read and returns the id to ask the core with. */
    long add(Reply<Long> reply, long deadlineNanos) {
        long id = nextId++;
        awaitingConfirmation.put(id, new Read(reply, deadlineNanos));
        return id;
    }

    /** Forgets a read the core refused at once (its caller answers it). */
    void forget(long id) {
        awaitingConfirmation.remove(id);
    }

    /** The leader confirmed read {@code id} at {@code index}: answered now, or once applied through it. */
    void confirmed(long id, long index, long appliedIndex) {
        Read read = awaitingConfirmation.remove(id);
        if (read == null) {
            return;
        }
        if (appliedIndex >= index) {
            read.reply().succeed(index);
        } else {
            awaitingApply.computeIfAbsent(index, i -> new ArrayList<>()).add(read);
        }
    }

    /** This node applied through {@code appliedIndex}: the reads waiting for it are answered. */
    void applied(long appliedIndex) {
        while (!awaitingApply.isEmpty() && awaitingApply.firstKey() <= appliedIndex) {
            Map.Entry<Long, List<Read>> ready = awaitingApply.pollFirstEntry();
            ready.getValue().forEach(r -> r.reply().succeed(ready.getKey()));
        }
    }

    /** Fails the reads whose deadline has passed with {@code timeout}. */
    void expire(long nowNanos, RuntimeException timeout) {
        List<Read> expired = new ArrayList<>();
        awaitingConfirmation.values().removeIf(r -> expired(r, nowNanos, expired));
        awaitingApply.values().forEach(list -> list.removeIf(r -> expired(r, nowNanos, expired)));
        awaitingApply.values().removeIf(List::isEmpty);
        expired.forEach(r -> r.reply().fail(timeout));
    }

    private static boolean expired(Read read, long nowNanos, List<Read> expired) {
        if (nowNanos - read.deadlineNanos() > 0) {
            expired.add(read);
            return true;
        }
        return false;
    }

    /** Fails the reads the leader has not confirmed yet (it changed, and will not). */
    void failUnconfirmed(RuntimeException failure) {
        List<Read> unconfirmed = new ArrayList<>(awaitingConfirmation.values());
        awaitingConfirmation.clear();
        unconfirmed.forEach(r -> r.reply().fail(failure));
    }

    /** Fails every read, confirmed or not. */
    void failAll(RuntimeException failure) {
        failUnconfirmed(failure);
        List<Read> waitingForApply = new ArrayList<>();
        awaitingApply.values().forEach(waitingForApply::addAll);
        awaitingApply.clear();
        waitingForApply.forEach(r -> r.reply().fail(failure));
    }
}
