package io.rafty.sim;

import java.util.HashMap;
import java.util.Map;

/**
 * What the simulated lease clients were told: for each lease, its TTL and the latest time (simulated
 * microseconds) at which a client sent a request the leader acknowledged as renewing it (the grant
 * counts). The invariant of DESIGN §1 is checked against it whenever a revoke commits: no lease ends
 * before its TTL has passed since then, allowing for the nodes' clock rates.
 */
final class LeaseLedger {

    private final Map<Long, long[]> leases = new HashMap<>();
    private final double clockRateSkew;

    LeaseLedger(double clockRateSkew) {
        this.clockRateSkew = clockRateSkew;
    }

    /** A request sent at {@code sentMicros} renewed lease {@code id} (of {@code ttlSeconds}), as its answer says. */
    void acknowledged(long id, long ttlSeconds, long sentMicros) {
        long[] lease = leases.computeIfAbsent(id, k -> new long[] {ttlSeconds, sentMicros});
        lease[1] = Math.max(lease[1], sentMicros);
    }

    /** Lease {@code id} ended (its revoke committed) at {@code nowMicros}: too early is a violation. */
    void ended(long id, long nowMicros) {
        long[] lease = leases.get(id);
        if (lease == null) {
            return;
        }
        // A leader's clock may run fast by the skew, the next one's too: a TTL is never shorter than this.
        long ttlMicros = (long) (lease[0] * 1_000_000L * (1 - 3 * clockRateSkew));
        if (nowMicros < lease[1] + ttlMicros) {
            throw new InvariantViolation("lease " + id + " (ttl " + lease[0] + " s) ended at " + nowMicros
                    + "us, only " + (nowMicros - lease[1]) + "us after a keepalive sent at " + lease[1]
                    + "us was acknowledged");
        }
    }

    int size() {
        return leases.size();
    }
}
