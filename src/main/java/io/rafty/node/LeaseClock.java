package io.rafty.node;

import io.rafty.kv.Lease;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The leader's lease deadlines, on its own clock (the {@code nowNanos} the driver is given); no other
 * node keeps any. The table of leases itself is replicated; deadlines are not, which is why the rules
 * below are what keeps DESIGN §1's promise, "a key attached to a lease lives at least its TTL after
 * the last acknowledged keepalive":
 * <ul>
 *   <li>A keepalive is acknowledged only after the leader confirmed its leadership with a quorum
 *       (the driver's ReadIndex round), and renews the lease from the moment it arrived, never later
 *       than the client sent it plus the TTL.</li>
 *   <li>A new leader cannot know how long its predecessor waited, so it gives every lease its whole
 *       TTL (or what its last checkpoint left) from the moment it took over, plus {@code extensionNanos}.
 *       A confirmation round of the old leader precedes any vote for the new one, so the new deadline
 *       lies past every deadline the old leader acknowledged.</li>
 *   <li>Only the leader expires, by proposing a revoke; it stops the moment it steps down, and a
 *       lease whose revoke is in flight is never renewed (the revoke could commit after the answer).</li>
 *   <li>Leases longer than the checkpoint interval have their remaining time written to the log now and
 *       then ({@link #checkpoints}), so that a leadership that keeps moving cannot keep a dead lease
 *       alive by restarting its TTL each time; the first keepalive after a checkpoint clears it
 *       through the log before it is acknowledged (the driver does that).</li>
 * </ul>
 * Deterministic and single-threaded, like the driver that owns it.
 */
final class LeaseClock {

    /**
     * @param checkpointIntervalNanos how often the leader checkpoints leases longer than this (0: never)
     * @param extensionNanos          what a new leader adds to every lease it takes over
     * @param extendOnElection        false only for {@link io.rafty.raft.DeliberateBug#LEASES_NOT_EXTENDED_ON_ELECTION}
     */
    record Settings(long checkpointIntervalNanos, long extensionNanos, boolean extendOnElection) {
    }

    private final Settings settings;
    private final Supplier<List<Lease>> table;
    private final Map<Long, Long> deadlines = new HashMap<>();
    /** Leases whose expiry revoke was proposed and not answered yet. */
    private final Set<Long> expiring = new HashSet<>();
    private boolean leading;
    private long lastCheckpointNanos;

    LeaseClock(Settings settings, Supplier<List<Lease>> table) {
        this.settings = settings;
        this.table = table;
    }

    boolean leading() {
        return leading;
    }

    /** This node took over: every lease of the table starts over from now. */
    void becameLeader(long nowNanos) {
        leading = true;
        deadlines.clear();
        expiring.clear();
        lastCheckpointNanos = nowNanos;
        for (Lease lease : table.get()) {
            long remaining = lease.remainingMs() >= 0 ? lease.remainingMs() * 1_000_000L : ttlNanos(lease);
            deadlines.put(lease.id(), settings.extendOnElection()
                    ? nowNanos + remaining + settings.extensionNanos()
                    // The deliberate bug: as if the whole TTL had already passed under the old leader.
                    : nowNanos);
        }
    }

    /** This node is no longer the leader: it expires nothing from now on. */
    void steppedDown() {
        leading = false;
        deadlines.clear();
        expiring.clear();
    }

    /** A lease was granted (applied here): its TTL starts now. */
    void granted(Lease lease, long nowNanos) {
        if (leading) {
            deadlines.put(lease.id(), nowNanos + ttlNanos(lease));
        }
    }

    /** A lease ended (applied here). */
    void revoked(long id) {
        deadlines.remove(id);
        expiring.remove(id);
    }

    /** A keepalive that arrived at {@code arrivedNanos} was confirmed: the lease runs its TTL from then. */
    void renewed(Lease lease, long arrivedNanos) {
        if (leading && !expiring.contains(lease.id())) {
            deadlines.merge(lease.id(), arrivedNanos + ttlNanos(lease), Math::max);
        }
    }

    boolean expiring(long id) {
        return expiring.contains(id);
    }

    /** How long lease {@code id} has left, or -1 when this node keeps no deadline for it. */
    long remainingNanos(long id, long nowNanos) {
        Long deadline = deadlines.get(id);
        return deadline == null ? -1 : Math.max(0, deadline - nowNanos);
    }

    /** The leases past their deadline that are not being revoked yet; they are marked as being revoked. */
    List<Long> expired(long nowNanos) {
        List<Long> expired = new ArrayList<>();
        if (!leading) {
            return expired;
        }
        for (Map.Entry<Long, Long> deadline : deadlines.entrySet()) {
            if (deadline.getValue() <= nowNanos && expiring.add(deadline.getKey())) {
                expired.add(deadline.getKey());
            }
        }
        expired.sort(Long::compare);
        return expired;
    }

    /** The revoke proposed for an expired lease failed (the leader changed): it may be proposed again. */
    void expiryFailed(long id) {
        expiring.remove(id);
    }

    /**
     * Once every checkpoint interval, the remaining time of every lease longer than the interval, to
     * be proposed as one checkpoint; empty otherwise.
     */
    List<Lease> checkpoints(long nowNanos) {
        List<Lease> due = new ArrayList<>();
        long interval = settings.checkpointIntervalNanos();
        if (!leading || interval <= 0 || nowNanos - lastCheckpointNanos < interval) {
            return due;
        }
        lastCheckpointNanos = nowNanos;
        for (Lease lease : table.get()) {
            Long deadline = deadlines.get(lease.id());
            if (deadline != null && ttlNanos(lease) > interval && !expiring.contains(lease.id())) {
                due.add(lease.withRemaining(Math.max(0, (deadline - nowNanos) / 1_000_000L)));
            }
        }
        return due;
    }

    private static long ttlNanos(Lease lease) {
        return Math.multiplyHigh(lease.ttlSeconds(), 1_000_000_000L) != 0 ? Long.MAX_VALUE / 4
                : Math.min(Long.MAX_VALUE / 4, lease.ttlSeconds() * 1_000_000_000L);
    }
}
