package io.rafty.sim;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.rafty.raft.DeliberateBug;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The simulator has teeth: with each deliberate bug switched on in the Raft core or in the host
 * ({@code NodeDriver}, which the simulator runs as production does), a bounded sweep finds a failing
 * seed (an invariant violation or a non-linearizable history).
 */
class DeliberateBugTest {

    static final int MAX_SEEDS = 300;
    static final long EVENTS_PER_SEED = 20_000;

    private static void assertFound(DeliberateBug bug) {
        SimulationTest.Sweep sweep = SimulationTest.sweep(1, MAX_SEEDS, EVENTS_PER_SEED, Set.of(bug), true);
        System.out.println("sim: " + bug + ": " + (sweep.failures().isEmpty() ? "no failure" : "seed "
                + sweep.failures().get(0).seed() + " fails: " + sweep.failures().get(0).failure())
                + " (" + sweep.seeds() + " seeds run)");
        assertFalse(sweep.failures().isEmpty(), bug + ": no failing seed among " + MAX_SEEDS);
    }

    @Test
    void commitOfPreviousTermByCountingIsCaught() {
        assertFound(DeliberateBug.COMMIT_PREVIOUS_TERM_BY_COUNTING);
    }

    @Test
    void readWithoutReadIndexIsCaught() {
        assertFound(DeliberateBug.READ_WITHOUT_READ_INDEX);
    }

    @Test
    void followerReadFromLocalCommitIsCaught() {
        assertFound(DeliberateBug.FOLLOWER_READ_FROM_LOCAL_COMMIT);
    }

    @Test
    void ackBeforePersistIsCaught() {
        assertFound(DeliberateBug.ACK_BEFORE_PERSIST);
    }

    /**
     * Asynchronous storage writes: a light Ready (taken while a persist is in flight) that also carries the
     * acknowledgements queued since promises entries no synced write has covered.
     */
    @Test
    void acknowledgementsInALightReadyAreCaught() {
        assertFound(DeliberateBug.ASYNC_ACKS_IN_LIGHT_READY);
    }

    /** A wiped node that votes: its empty log and forgotten votes elect a leader without committed entries. */
    @Test
    void wipedNodeTakenForTheMemberItWasIsCaught() {
        assertFound(DeliberateBug.IGNORE_STORAGE_IDENTITY);
    }

    /** Apply during install: two writers of the state machine, the old host's race. */
    @Test
    void snapshotInstalledBesideARunningApplyIsCaught() {
        assertFound(DeliberateBug.HOST_INSTALL_BESIDE_APPLY);
    }

    /** A watcher that resumes with Last-Event-ID R is sent R again: a duplicate revision. */
    @Test
    void watchResumedAtTheLastSeenRevisionIsCaught() {
        assertFound(DeliberateBug.WATCH_RESUME_AT_LAST_ID);
    }

    /** Live watchers left live across a snapshot install miss the changes it covers. */
    @Test
    void installThatLeavesWatchersLiveIsCaught() {
        assertFound(DeliberateBug.INSTALL_KEEPS_WATCHERS_LIVE);
    }

    /** The purge takes the changes at the compact revision too: a watch from it misses one. */
    @Test
    void purgeThroughTheCompactRevisionIsCaught() {
        assertFound(DeliberateBug.PURGE_THROUGH_COMPACT_REVISION);
    }

    /** A compare-and-set transaction behind a write in the same apply batch compares against the value before it. */
    @Test
    void transactionComparesThatIgnoreTheApplyBatchAreCaught() {
        assertFound(DeliberateBug.TXN_COMPARES_IGNORE_BATCH);
    }

    /** A read-only transaction one revision behind the applied index: only the transaction checker sees it. */
    @Test
    void readOnlyTransactionOneRevisionBehindIsCaught() {
        assertFound(DeliberateBug.READ_TXN_ONE_REVISION_BEHIND);
    }

    /** A snapshot without the idempotency table: a node rebuilt from it applies a retried write again. */
    @Test
    void idempotencyTableLeftOutOfSnapshotsIsCaught() {
        assertFound(DeliberateBug.DEDUP_NOT_IN_SNAPSHOT);
    }

    /** A new leader that does not extend the leases it takes over expires keys that were just kept alive. */
    @Test
    void newLeaderThatDoesNotExtendLeasesIsCaught() {
        assertFound(DeliberateBug.LEASES_NOT_EXTENDED_ON_ELECTION);
    }

    /** A cache of recent writes kept across an install or a restart: a later write reads a key as it was before. */
    @Test
    void recentWritesKeptAcrossAnInstallAreCaught() {
        assertFound(DeliberateBug.RECENT_WRITES_KEPT_ACROSS_INSTALL);
    }
}
