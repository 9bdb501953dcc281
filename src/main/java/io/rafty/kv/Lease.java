package io.rafty.kv;

/**
 * A lease in the replicated table: keys attached to it are deleted, all at one revision, when it is
 * revoked or expires. Its deadline is not here: only the leader keeps one, on its own clock (see
 * {@code node.LeaseClock}); what the table holds is what a new leader needs to set its own.
 *
 * @param id          the lease id (positive)
 * @param ttlSeconds  its time to live: every keepalive renews it for this long
 * @param remainingMs the time it had left at the last checkpoint, which a new leader starts from
 *                    instead of the whole TTL; -1 when there is none (the lease was kept alive since)
 */
public record Lease(long id, long ttlSeconds, long remainingMs) {

    public static final long NO_CHECKPOINT = -1;

    public Lease {
        if (id <= 0) {
            throw new IllegalArgumentException("a lease id must be positive: " + id);
        }
        if (ttlSeconds <= 0) {
            throw new IllegalArgumentException("a lease TTL must be positive: " + ttlSeconds);
        }
        if (remainingMs < NO_CHECKPOINT) {
            throw new IllegalArgumentException("remaining time out of range: " + remainingMs);
        }
    }

    public Lease withRemaining(long remaining) {
        return new Lease(id, ttlSeconds, remaining);
    }
}
