package io.rafty.raft;

import static io.rafty.raft.RaftTestSupport.THREE;
import static io.rafty.raft.RaftTestSupport.drain;
import static io.rafty.raft.RaftTestSupport.logOfTerms;
import static io.rafty.raft.RaftTestSupport.node;
import static io.rafty.raft.RaftTestSupport.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.InstallSnapshot;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Raft §7: log compaction and InstallSnapshot. */
class SnapshotTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // §7: a follower whose next entries were compacted away catches up through a snapshot.
    @Test
    void followerBehindCompactedLogCatchesUpBySnapshot() {
        LocalCluster cluster = new LocalCluster(3, 21);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 1 ? 2 : 1;
        cluster.stop(follower);
        for (int i = 0; i < 50; i++) {
            cluster.node(leader).propose(bytes("v" + i));
        }
        cluster.ticks(5);
        long applied = cluster.applied(leader).get(cluster.applied(leader).size() - 1).index();
        cluster.compact(leader, applied);
        assertEquals(applied, cluster.node(leader).logStartIndex());

        cluster.restart(follower);
        cluster.ticks(10);
        assertEquals(1, cluster.snapshotsSent);
        cluster.node(leader).propose(bytes("after"));
        cluster.ticks(5);
        assertEquals(cluster.applied(leader), cluster.applied(follower), "same state machine on both");
        assertEquals(cluster.node(leader).lastIndex(), cluster.node(follower).lastIndex());
        assertEquals(applied, cluster.node(follower).logStartIndex(), "follower's log starts after the snapshot");
    }

    // §7: a restarted node recovers from its snapshot plus the rest of its log.
    @Test
    void nodeRestartsFromCompactedLog() {
        LocalCluster cluster = new LocalCluster(3, 22);
        int leader = cluster.awaitLeader(200);
        for (int i = 0; i < 20; i++) {
            cluster.node(leader).propose(bytes("v" + i));
        }
        cluster.ticks(5);
        for (int id = 1; id <= 3; id++) {
            cluster.compact(id, 10);
        }
        for (int id = 1; id <= 3; id++) {
            cluster.stop(id);
            cluster.restart(id);
        }
        int newLeader = cluster.awaitLeader(300);
        cluster.node(newLeader).propose(bytes("later"));
        cluster.ticks(5);
        for (int id = 1; id <= 3; id++) {
            assertEquals(10, cluster.node(id).logStartIndex());
            assertEquals(cluster.applied(newLeader), cluster.applied(id));
        }
    }

    // §7: the snapshot replaces a conflicting log entirely; the follower answers with the snapshot's index.
    @Test
    void followerInstallsSnapshotReplacingConflictingLog() {
        RaftNode follower = node(2, THREE, new HardState(2, 0, 1), logOfTerms(1, 2, 2));
        follower.step(new InstallSnapshot(1, 2, 3, 10, 3, THREE));
        Ready ready = follower.ready();
        assertEquals(new SnapshotMeta(10, 3, THREE), ready.snapshot());
        AppendResponse response = ofType(ready.messagesAfterPersist(), AppendResponse.class).get(0);
        assertTrue(response.success());
        assertEquals(10, response.index());
        follower.advance(ready);
        assertEquals(10, follower.lastIndex());
        assertEquals(10, follower.commitIndex());
        assertEquals(10, follower.logStartIndex());
    }

    // §7: a snapshot the log already contains only moves the commit index; the log is kept.
    @Test
    void snapshotCoveredByLogKeepsTheLog() {
        RaftNode follower = node(2, THREE, new HardState(2, 0, 0), logOfTerms(1, 2, 2, 2));
        follower.step(new InstallSnapshot(1, 2, 2, 3, 2, THREE));
        Ready ready = follower.ready();
        assertNull(ready.snapshot());
        assertEquals(3, follower.commitIndex());
        assertEquals(4, follower.lastIndex());
    }

    // §7: a stale snapshot (behind the commit index) is ignored and answered with the commit index.
    @Test
    void staleSnapshotIsIgnored() {
        RaftNode follower = node(2, THREE, new HardState(2, 0, 3), logOfTerms(1, 2, 2, 2));
        follower.step(new InstallSnapshot(1, 2, 2, 2, 2, THREE));
        Ready ready = follower.ready();
        assertNull(ready.snapshot());
        assertEquals(3, ofType(ready.messagesAfterPersist(), AppendResponse.class).get(0).index());
        assertEquals(4, follower.lastIndex());
    }

    // Compaction only drops entries the state machine has applied and storage has persisted.
    @Test
    void compactionNeverDropsUnappliedEntries() {
        RaftNode node = node(1, THREE, new HardState(2, 0, 2), logOfTerms(1, 2, 2, 2));
        drain(node);
        node.compact(4);
        assertEquals(2, node.logStartIndex(), "only the two applied entries went");
        assertEquals(2, node.termAt(2));
        assertEquals(-1, node.termAt(1), "compacted entries have no term any more");
        assertThrows(IllegalArgumentException.class, () -> node.entryAt(2));
    }

    // A failed snapshot transfer makes the leader ask for a new one later.
    @Test
    void failedSnapshotTransferIsRetried() {
        LocalCluster cluster = new LocalCluster(3, 23);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 1 ? 2 : 1;
        cluster.stop(follower);
        for (int i = 0; i < 10; i++) {
            cluster.node(leader).propose(bytes("v" + i));
        }
        cluster.ticks(5);
        cluster.compact(leader, cluster.node(leader).commitIndex());
        cluster.snapshotFailuresToInject = 2;
        cluster.restart(follower);
        cluster.ticks(20);
        assertEquals(3, cluster.snapshotAttempts, "two failed transfers, then one that worked");
        assertEquals(1, cluster.snapshotsSent);
        assertEquals(cluster.applied(leader), cluster.applied(follower));
    }
}
