package io.rafty.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Whole-cluster behaviour on the in-memory harness: no threads, no sleeps. */
class LocalClusterTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void threeNodesElectExactlyOneLeader() {
        LocalCluster cluster = new LocalCluster(3, 1);
        int leader = cluster.awaitLeader(200);
        long leaders = cluster.nodes.values().stream().filter(n -> n.role() == Role.LEADER).count();
        assertEquals(1, leaders);
        for (RaftNode node : cluster.nodes.values()) {
            assertEquals(leader, node.leaderId());
            assertEquals(cluster.node(leader).term(), node.term());
        }
    }

    // §5.3: every committed entry is applied, in the same order, on every node.
    @Test
    void thousandProposalsCommitAndApplyIdenticallyEverywhere() {
        LocalCluster cluster = new LocalCluster(3, 2);
        int leader = cluster.awaitLeader(200);
        for (int i = 0; i < 1000; i++) {
            cluster.node(leader).propose(bytes("cmd-" + i));
            if (i % 10 == 0) {
                cluster.tick();
            }
        }
        cluster.ticks(20);
        List<byte[]> expected = cluster.appliedCommands(leader);
        assertEquals(1000, expected.size());
        for (int i = 0; i < 1000; i++) {
            assertArrayEquals(bytes("cmd-" + i), expected.get(i));
        }
        for (int id : cluster.nodes.keySet()) {
            List<Entry> applied = cluster.applied(id);
            assertEquals(cluster.applied(leader), applied, "node " + id + " applied a different sequence");
            for (int i = 0; i < applied.size(); i++) {
                assertEquals(i + 1, applied.get(i).index(), "applied in order, exactly once");
            }
        }
    }

    // §5.3/§5.4: an isolated leader's uncommitted entries are discarded when it rejoins a newer term.
    @Test
    void isolatedLeadersUncommittedEntriesAreDiscardedOnRejoin() {
        LocalCluster cluster = new LocalCluster(3, 3);
        int oldLeader = cluster.awaitLeader(200);
        cluster.node(oldLeader).propose(bytes("committed"));
        cluster.ticks(3);

        cluster.isolate(oldLeader);
        long lost = cluster.node(oldLeader).propose(bytes("never-committed"));
        cluster.settle();
        assertEquals(lost, cluster.node(oldLeader).lastIndex());

        cluster.ticks(60);
        int newLeader = cluster.awaitLeader(300);
        assertNotEquals(oldLeader, newLeader);
        cluster.node(newLeader).propose(bytes("after-failover"));
        cluster.ticks(3);

        cluster.heal();
        cluster.ticks(30);
        assertEquals(newLeader, cluster.awaitLeader(50));
        Entry atLost = cluster.node(oldLeader).entryAt(lost);
        assertNotEquals("never-committed", new String(atLost.payload(), StandardCharsets.UTF_8));
        for (int id : cluster.nodes.keySet()) {
            List<String> applied = cluster.appliedCommands(id).stream()
                    .map(b -> new String(b, StandardCharsets.UTF_8)).toList();
            assertEquals(List.of("committed", "after-failover"), applied, "node " + id);
        }
    }

    // A restarted node recovers term, vote and log from its disk and catches up.
    @Test
    void restartedNodeRecoversFromDiskAndCatchesUp() {
        LocalCluster cluster = new LocalCluster(3, 4);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 3 ? 2 : 3;
        cluster.node(leader).propose(bytes("one"));
        cluster.ticks(3);
        long termBefore = cluster.node(follower).term();
        cluster.stop(follower);
        cluster.node(leader).propose(bytes("two"));
        cluster.ticks(3);
        cluster.restart(follower);
        assertEquals(termBefore, cluster.node(follower).term(), "term recovered from the hard state");
        cluster.ticks(30);
        assertEquals(cluster.appliedCommands(leader).size(), 2);
        assertEquals(cluster.node(leader).lastIndex(), cluster.node(follower).lastIndex());
        assertEquals(cluster.node(leader).commitIndex(), cluster.node(follower).commitIndex());
    }

    // Every node stopped and restarted keeps every committed entry.
    @Test
    void fullClusterRestartKeepsEveryCommittedEntry() {
        LocalCluster cluster = new LocalCluster(3, 5);
        int leader = cluster.awaitLeader(200);
        for (int i = 0; i < 20; i++) {
            cluster.node(leader).propose(bytes("v" + i));
        }
        cluster.ticks(5);
        long committed = cluster.node(leader).commitIndex();
        for (int id = 1; id <= 3; id++) {
            cluster.stop(id);
        }
        for (int id = 1; id <= 3; id++) {
            cluster.restart(id);
        }
        int newLeader = cluster.awaitLeader(300);
        cluster.ticks(5);
        assertTrue(cluster.node(newLeader).commitIndex() >= committed);
        for (int i = 0; i < 20; i++) {
            assertArrayEquals(bytes("v" + i), cluster.node(newLeader).entryAt(i + 2).payload());
        }
    }

    @Test
    void singleNodeClusterCommitsAlone() {
        LocalCluster cluster = new LocalCluster(1, 6);
        int leader = cluster.awaitLeader(100);
        cluster.node(leader).propose(bytes("solo"));
        cluster.settle();
        assertEquals(List.of("solo"), cluster.appliedCommands(leader).stream()
                .map(b -> new String(b, StandardCharsets.UTF_8)).toList());
    }

    @Test
    void followerRefusesProposalsNamingTheLeader() {
        LocalCluster cluster = new LocalCluster(3, 7);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 1 ? 2 : 1;
        NotLeaderException refused = assertThrows(NotLeaderException.class,
                () -> cluster.node(follower).propose(bytes("x")));
        assertEquals(leader, refused.leaderId());
    }

    // Appends lost on the way are re-sent: a follower that missed messages converges.
    @Test
    void followerConvergesAfterLosingAppends() {
        LocalCluster cluster = new LocalCluster(3, 8);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 1 ? 2 : 1;
        cluster.dropWhere(m -> m.to() == follower && m instanceof io.rafty.raft.message.AppendEntries);
        for (int i = 0; i < 30; i++) {
            cluster.node(leader).propose(bytes("x" + i));
            cluster.tick();
        }
        cluster.heal();
        cluster.ticks(20);
        assertEquals(cluster.node(leader).lastIndex(), cluster.node(follower).lastIndex());
        assertEquals(cluster.applied(leader), cluster.applied(follower));
    }

    // A follower that has every entry but whose acknowledgements were lost is probed again, so the
    // leader learns it holds them (found by the simulator, seed 782 of the membership sweep).
    @Test
    void lostAcknowledgementsAreRecoveredWithoutNewProposals() {
        LocalCluster cluster = new LocalCluster(3, 9);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 1 ? 2 : 1;
        int third = 6 - leader - follower;
        cluster.stop(third);
        cluster.dropWhere(m -> m.from() == follower && m instanceof io.rafty.raft.message.AppendResponse);
        long index = cluster.node(leader).propose(bytes("needs-both"));
        cluster.ticks(2);
        assertTrue(cluster.node(follower).lastIndex() >= index, "the follower holds the entry");
        assertTrue(cluster.node(leader).commitIndex() < index, "but the leader never heard so");
        cluster.heal();
        cluster.ticks(10);
        assertTrue(cluster.node(leader).commitIndex() >= index, "heartbeats alone recovered the acknowledgement");
    }
}
