package io.rafty.node;

import static io.rafty.node.DriverFixture.CLUSTER;
import static io.rafty.node.DriverFixture.THREE;
import static io.rafty.node.DriverFixture.put;
import static io.rafty.node.DriverFixture.settings;
import static io.rafty.node.DriverFixture.storageOf;
import static io.rafty.node.NodeDriver.Worker.PERSIST;
import static io.rafty.node.NodeDriver.Worker.SNAPSHOT;
import static io.rafty.node.NodeDriver.Worker.STATE_MACHINE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.KvResult;
import io.rafty.node.DriverFixture.Answer;
import io.rafty.raft.DeliberateBug;
import io.rafty.raft.Entry;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * The driver's follower-side rules: the state machine's single writer, honest answers for entries a
 * snapshot covers, the snapshot staging area, the apply and forwarding limits, and refusing batches
 * of other clusters. Node 1 follows node 2 (see {@link DriverFixture#follower}); peers are played by
 * hand and every storage task is completed by the test, one by one.
 */
class NodeDriverTest {

    @Test
    void followerInstallsSnapshotOnlyAfterTheApplyInFlight() {
        // Applies and installs share one worker and one writer: an install beside an apply would let the
        // apply's batch land on top of the snapshot. The Ready's hard state waits for the install, too.
        DriverFixture fixture = followerApplying();

        fixture.receive(2, new InstallSnapshot(2, 1, 2, 10, 2, THREE));
        assertEquals(List.of(StorageTask.Kind.APPLY), kinds(fixture.host.queued(STATE_MACHINE)),
                "the install waits for the apply in flight");
        assertTrue(fixture.host.queued(PERSIST).isEmpty(), "nothing of the Ready is persisted before the install");

        fixture.host.complete(STATE_MACHINE);
        List<StorageTask.InstallSnapshot> installs = fixture.host.queued(STATE_MACHINE,
                StorageTask.InstallSnapshot.class);
        assertEquals(1, installs.size(), "the install follows the apply on the state-machine worker");
        assertEquals(10, installs.get(0).meta().index());
        assertTrue(fixture.host.queued(PERSIST).isEmpty(), "the Ready's hard state waits for the install");

        fixture.host.complete(STATE_MACHINE);
        List<StorageTask.Persist> persists = fixture.host.queued(PERSIST, StorageTask.Persist.class);
        assertEquals(1, persists.size(), "once installed, the rest of the Ready is persisted");
        assertEquals(2, persists.get(0).hardState().term());
        assertFalse(acknowledged(fixture, 10), "the snapshot is acknowledged only once the new term is durable");
        fixture.host.complete(PERSIST);
        assertTrue(acknowledged(fixture, 10));
        assertEquals(10, fixture.driver.appliedIndex());
    }

    @Test
    void deliberateInstallBesideApplyBugInstallsOnThePersistWorkerAtOnce() {
        // The simulator proves it catches a two-writer state machine by flipping this switch; the switch
        // must really put the install beside the running apply.
        DriverFixture fixture = followerApplying(DriverFixture.config(1)
                .withDeliberateBugs(Set.of(DeliberateBug.HOST_INSTALL_BESIDE_APPLY)));

        fixture.receive(2, new InstallSnapshot(2, 1, 2, 10, 2, THREE));

        List<StorageTask.InstallSnapshot> installs = fixture.host.queued(PERSIST, StorageTask.InstallSnapshot.class);
        assertEquals(1, installs.size(), "installed on the persist worker");
        assertEquals(10, installs.get(0).meta().index());
        assertEquals(List.of(StorageTask.Kind.APPLY), kinds(fixture.host.queued(STATE_MACHINE)),
                "while the apply is still running");
    }

    @Test
    void writesWhoseQueuedEntriesASnapshotCoversLearnWhatIsKnownOfThem() {
        // An entry of the write's own term committed, but its result is never computed here: outcome
        // unknown. Another leader's entry at the write's index means the write was overwritten: not applied.
        DriverFixture fixture = DriverFixture.follower(settings(1, 1L << 20, 1L << 20));
        byte[] first = put("a", "1");
        Answer<KvResult> committed = fixture.propose(first);
        Answer<KvResult> overwritten = fixture.propose(put("b", "2"));
        List<Propose> forwarded = fixture.host.sent(Propose.class);
        assertEquals(2, forwarded.size(), "both writes were forwarded to the leader");
        // The leader of term 1 places them at indexes 2 and 4.
        fixture.receive(2, new ProposeResponse(2, 1, 1, forwarded.get(0).context(), 2),
                new ProposeResponse(2, 1, 1, forwarded.get(1).context(), 4));
        fixture.receive(2, new AppendEntries(2, 1, 1, 1, 1, List.of(Entry.command(1, 2, first)), 1));
        fixture.host.completeAll(PERSIST);
        assertEquals(1, fixture.host.queued(STATE_MACHINE, StorageTask.Apply.class).size(),
                "entry 1 is being applied, one entry per batch");
        // Node 3 leads term 2 with its no-op at 3 and a command of its own at 4; they commit behind the apply.
        fixture.receive(3, new AppendEntries(3, 1, 2, 2, 1,
                List.of(Entry.noop(2, 3), Entry.command(2, 4, put("c", "3"))), 4));
        fixture.host.completeAll(PERSIST);
        assertFalse(committed.isAnswered());
        assertFalse(overwritten.isAnswered());

        fixture.receive(3, new InstallSnapshot(3, 1, 2, 5, 2, THREE));

        assertEquals(RequestFailure.Kind.OUTCOME_UNKNOWN, committed.failureKind(), committed.toString());
        assertEquals(RequestFailure.Kind.NO_LEADER, overwritten.failureKind(), overwritten.toString());
    }

    @Test
    void resentLastSnapshotChunkWhileTheInstallIsPendingKeepsTheStagedSnapshot() {
        // The staging area holds the one snapshot the pending install will read: discarding it because a
        // duplicate was declined would leave the install with nothing to install.
        DriverFixture fixture = DriverFixture.follower(settings());
        InstallSnapshot snapshot = new InstallSnapshot(2, 1, 1, 10, 1, THREE);
        fixture.receive(2, snapshot);
        assertEquals(1, fixture.host.queued(STATE_MACHINE, StorageTask.InstallSnapshot.class).size(),
                "the install is pending");

        fixture.receive(2, snapshot);
        assertEquals(0, fixture.host.executedCount(SNAPSHOT, StorageTask.Kind.DISCARD_STAGED_SNAPSHOT));

        // Once installed, the same snapshot is just stale: declined with nothing waiting for it.
        fixture.host.settle();
        fixture.receive(2, snapshot);
        assertEquals(1, fixture.host.executedCount(SNAPSHOT, StorageTask.Kind.DISCARD_STAGED_SNAPSHOT));
    }

    @Test
    void declinedSnapshotWithNoInstallPendingIsDiscarded() {
        // The staging area holds one complete snapshot at a time; a declined one must not block the next.
        DriverFixture fixture = DriverFixture.follower(settings());
        fixture.receive(2, new AppendEntries(2, 1, 1, 1, 1, List.of(Entry.noop(1, 2), Entry.noop(1, 3)), 3));
        fixture.host.settle();

        fixture.receive(2, new InstallSnapshot(2, 1, 1, 2, 1, THREE));

        assertEquals(List.of(StorageTask.Kind.DISCARD_STAGED_SNAPSHOT), kinds(fixture.host.queued(SNAPSHOT)));
        assertEquals(0, fixture.host.executedCount(STATE_MACHINE, StorageTask.Kind.INSTALL_SNAPSHOT));
    }

    @Test
    void committedEntriesBeyondTheApplyQueueByteLimitWaitInTheCore() {
        // The apply queue is bounded in bytes: a follower far behind must not pull its whole backlog into
        // memory. With room for about one entry, each apply carries one entry and the rest wait.
        DriverFixture roomy = DriverFixture.follower(settings());
        appendFourCommittedCommands(roomy);
        assertEquals(List.of(5), applyBatchSizes(roomy), "with room, one batch takes every committed entry");

        DriverFixture tight = DriverFixture.follower(settings(64, 1, 1L << 20));
        appendFourCommittedCommands(tight);
        assertEquals(1, tight.host.queued(STATE_MACHINE).size());
        assertEquals(List.of(1, 1, 1, 1, 1), applyBatchSizes(tight), "one entry per apply, each after the last");
        assertEquals(5, tight.driver.appliedIndex());
    }

    @Test
    void forwardedWritesBeyondTheByteLimitAreOverloadedUntilTheLeaderAnswers() {
        // A follower must not pile up unbounded payload waiting for its leader; 503 is safe to retry.
        byte[] payload = put("k", "x".repeat(40));
        DriverFixture fixture = DriverFixture.follower(settings(64, 1L << 20, 2L * payload.length));
        Answer<KvResult> first = fixture.propose(payload);
        Answer<KvResult> second = fixture.propose(payload);
        Answer<KvResult> third = fixture.propose(payload);
        assertFalse(first.isAnswered());
        assertFalse(second.isAnswered());
        assertEquals(RequestFailure.Kind.OVERLOADED, third.failureKind(), "beyond the limit: refused at once");

        Propose firstForwarded = fixture.host.sent(Propose.class).get(0);
        fixture.receive(2, new ProposeResponse(2, 1, 1, firstForwarded.context(), 2));
        Answer<KvResult> fourth = fixture.propose(payload);

        assertFalse(fourth.isAnswered(), "the leader placed the first write: its bytes are free again");
        assertEquals(3, fixture.host.sent(Propose.class).size(), "the fourth write went to the leader");
        assertFalse(first.isAnswered(), "the placed write waits for its entry to be applied");
    }

    @Test
    void batchOfAnotherClusterIsNotStepped() {
        // Two clusters must never mix: a node of another cluster could depose our leader or overwrite our log.
        DriverFixture fixture = DriverFixture.follower(settings());
        assertEquals(CLUSTER, fixture.driver.raft().clusterId(), "learned from its leader's batches");
        AppendEntries higherTerm = new AppendEntries(3, 1, 5, 1, 1, List.of(), 1);

        try (LogCapture log = new LogCapture(NodeDriver.class.getName(), Level.WARNING)) {
            fixture.receive(new PeerIdentity(CLUSTER + 1, storageOf(3)), higherTerm);
            fixture.receive(new PeerIdentity(CLUSTER + 1, storageOf(3)), higherTerm);
            assertEquals(1, fixture.driver.raft().term());
            assertEquals(1, log.records.size(), "one line per peer and cluster: " + log.messages());
        }

        // The same message with this cluster's id is stepped: the cluster id is what refused it.
        fixture.receive(new PeerIdentity(CLUSTER, storageOf(3)), higherTerm);
        assertEquals(5, fixture.driver.raft().term());
    }

    @Test
    void snapshotFromAnotherClusterIsRefusedAndItsStagingFreed() {
        // The host staged the refused snapshot before handing it over; the staging area holds one complete
        // snapshot and refuses every other transfer until it is cleared, so keeping it would lock this
        // node's own leader out of sending it a snapshot.
        DriverFixture fixture = DriverFixture.follower(settings());

        fixture.receive(new PeerIdentity(CLUSTER + 1, storageOf(3)), new InstallSnapshot(3, 1, 5, 10, 5, THREE));

        assertEquals(1, fixture.driver.raft().term(), "not stepped");
        assertEquals(0, fixture.host.executedCount(STATE_MACHINE, StorageTask.Kind.INSTALL_SNAPSHOT));
        assertEquals(List.of(StorageTask.Kind.DISCARD_STAGED_SNAPSHOT), kinds(fixture.host.queued(SNAPSHOT)),
                "the refused snapshot's staging is discarded");
    }

    @Test
    void strangerWithoutClusterIdIsDroppedEvenByANodeThatKnowsNoClusterYet() {
        // A brand-new node hears a non-member only when it carries a cluster id (the leader of the cluster
        // it was added to); one with none is a stranger, or it could take the new node into its own cluster.
        DriverFixture fixture = new DriverFixture(DriverFixture.config(1), THREE, settings(), 0);
        AppendEntries higherTerm = new AppendEntries(9, 1, 5, 0, 0, List.of(), 0);

        fixture.receive(new PeerIdentity(0, 909), higherTerm);
        assertEquals(0, fixture.driver.raft().term());

        fixture.receive(new PeerIdentity(CLUSTER, 909), higherTerm);
        assertEquals(5, fixture.driver.raft().term(), "the same append with a cluster id is heard");
        assertEquals(CLUSTER, fixture.driver.raft().clusterId());
    }

    // ----- helpers ------------------------------------------------------------------------------

    /** A follower with entries 1..3 committed and their apply handed to the state machine, not finished. */
    private static DriverFixture followerApplying() {
        return followerApplying(DriverFixture.config(1));
    }

    private static DriverFixture followerApplying(io.rafty.raft.RaftConfig config) {
        DriverFixture fixture = DriverFixture.follower(config, settings());
        fixture.receive(2, new AppendEntries(2, 1, 1, 1, 1,
                List.of(Entry.command(1, 2, put("a", "1")), Entry.command(1, 3, put("b", "2"))), 3));
        fixture.host.completeAll(PERSIST);
        List<StorageTask.Apply> applies = fixture.host.queued(STATE_MACHINE, StorageTask.Apply.class);
        assertEquals(1, applies.size(), "setup: an apply is in flight");
        assertEquals(3, applies.get(0).entries().size());
        return fixture;
    }

    /** Entries 2..5 arrive committed after the no-op at 1, and are persisted. */
    private static void appendFourCommittedCommands(DriverFixture fixture) {
        List<Entry> entries = new ArrayList<>();
        for (int index = 2; index <= 5; index++) {
            entries.add(Entry.command(1, index, put("k" + index, "v")));
        }
        fixture.receive(2, new AppendEntries(2, 1, 1, 1, 1, entries, 5));
        fixture.host.completeAll(PERSIST);
    }

    /** Completes the applies one at a time, returning each one's size, and checks they keep log order. */
    private static List<Integer> applyBatchSizes(DriverFixture fixture) {
        List<Integer> sizes = new ArrayList<>();
        long next = fixture.driver.appliedIndex() + 1;
        while (!fixture.host.queued(STATE_MACHINE).isEmpty()) {
            StorageTask.Apply apply = (StorageTask.Apply) fixture.host.complete(STATE_MACHINE);
            for (Entry entry : apply.entries()) {
                assertEquals(next++, entry.index(), "applied in log order");
            }
            sizes.add(apply.entries().size());
            fixture.host.completeAll(PERSIST);
        }
        return sizes;
    }

    private static boolean acknowledged(DriverFixture fixture, long index) {
        return fixture.host.sent(AppendResponse.class).stream().anyMatch(r -> r.success() && r.index() == index);
    }

    private static List<StorageTask.Kind> kinds(List<StorageTask> tasks) {
        return tasks.stream().map(StorageTask::kind).toList();
    }
}
