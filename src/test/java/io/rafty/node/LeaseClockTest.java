package io.rafty.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Lease;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The leader's lease deadlines, rule by rule (see {@link LeaseClock}). */
class LeaseClockTest {

    private static final long SECOND = 1_000_000_000L;
    private final List<Lease> table = new ArrayList<>();

    private LeaseClock clock(long checkpointIntervalNanos, boolean extend) {
        return new LeaseClock(new LeaseClock.Settings(checkpointIntervalNanos, SECOND / 2, extend), () -> table);
    }

    @Test
    void aNewLeaderGivesEveryLeaseItsTtlOrCheckpointPlusTheExtension() {
        table.add(new Lease(1, 10, Lease.NO_CHECKPOINT));
        table.add(new Lease(2, 10, 3_000));
        LeaseClock clock = clock(0, true);
        assertTrue(clock.expired(100 * SECOND).isEmpty(), "a follower expires nothing");
        clock.becameLeader(100 * SECOND);
        assertEquals(10 * SECOND + SECOND / 2, clock.remainingNanos(1, 100 * SECOND));
        assertEquals(3 * SECOND + SECOND / 2, clock.remainingNanos(2, 100 * SECOND), "the checkpoint, not the TTL");
        assertEquals(List.of(2L), clock.expired(103 * SECOND + SECOND / 2));
        assertEquals(List.of(), clock.expired(104 * SECOND), "marked as expiring: proposed once");
        assertTrue(clock.expiring(2));
        clock.expiryFailed(2);
        assertEquals(List.of(2L), clock.expired(104 * SECOND), "proposed again after the revoke failed");
    }

    @Test
    void keepalivesRenewFromWhenTheyArrivedAndNeverShortenADeadline() {
        table.add(new Lease(1, 10, Lease.NO_CHECKPOINT));
        LeaseClock clock = clock(0, true);
        clock.becameLeader(0);
        clock.renewed(table.get(0), 5 * SECOND);
        assertEquals(10 * SECOND, clock.remainingNanos(1, 5 * SECOND));
        clock.renewed(table.get(0), SECOND);
        assertEquals(10 * SECOND, clock.remainingNanos(1, 5 * SECOND), "an older keepalive does not shorten it");
        clock.expired(15 * SECOND);
        clock.renewed(table.get(0), 15 * SECOND);
        assertTrue(clock.expiring(1), "a lease whose revoke is in flight is not renewed");
        clock.revoked(1);
        assertEquals(-1, clock.remainingNanos(1, 15 * SECOND));
    }

    @Test
    void aLeaderThatStepsDownForgetsEveryDeadline() {
        table.add(new Lease(1, 1, Lease.NO_CHECKPOINT));
        LeaseClock clock = clock(0, true);
        clock.becameLeader(0);
        clock.steppedDown();
        assertFalse(clock.leading());
        assertEquals(List.of(), clock.expired(100 * SECOND));
        clock.granted(new Lease(3, 5, Lease.NO_CHECKPOINT), 0);
        assertEquals(-1, clock.remainingNanos(3, 0), "grants applied on a follower set no deadline");
    }

    @Test
    void longLeasesAreCheckpointedEveryIntervalAndShortOnesNever() {
        table.add(new Lease(1, 600, Lease.NO_CHECKPOINT));
        table.add(new Lease(2, 5, Lease.NO_CHECKPOINT));
        LeaseClock clock = clock(60 * SECOND, true);
        clock.becameLeader(0);
        assertEquals(List.of(), clock.checkpoints(30 * SECOND), "not yet an interval");
        List<Lease> due = clock.checkpoints(60 * SECOND);
        assertEquals(1, due.size());
        assertEquals(1, due.get(0).id());
        assertEquals(540_500, due.get(0).remainingMs(), "600 s + the extension, less the minute gone");
        assertEquals(List.of(), clock.checkpoints(61 * SECOND));
    }

    @Test
    void theDeliberateBugExpiresEveryLeaseItTakesOver() {
        table.add(new Lease(1, 60, Lease.NO_CHECKPOINT));
        LeaseClock broken = clock(0, false);
        broken.becameLeader(10 * SECOND);
        assertEquals(List.of(1L), broken.expired(10 * SECOND));
    }
}
