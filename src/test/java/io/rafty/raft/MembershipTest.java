package io.rafty.raft;

import static io.rafty.raft.RaftTestSupport.THREE;
import static io.rafty.raft.RaftTestSupport.drain;
import static io.rafty.raft.RaftTestSupport.leaderOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Dissertation chapter 4: single-server membership changes, learners, leadership transfer. */
class MembershipTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RaftNode committedLeader() {
        RaftNode leader = leaderOf(1, List.of(), Set.of());
        leader.step(new AppendResponse(2, 1, 1, true, 1, 0, 0));
        drain(leader);
        return leader;
    }

    // §4.1: a server uses the latest configuration in its log, whether or not it is committed.
    @Test
    void followerUsesConfigurationAsSoonAsItIsAppended() {
        RaftNode follower = RaftTestSupport.node(2, THREE, HardState.INITIAL, List.of());
        Membership four = new Membership(Set.of(1, 2, 3), Set.of(4));
        follower.step(new AppendEntries(1, 2, 1, 0, 0,
                List.of(new Entry(1, 1, EntryType.CONFIGURATION, four.encode())), 0));
        assertEquals(four, follower.membership());
        assertEquals(0, follower.commitIndex(), "not committed, already in effect");
    }

    // §4.1: a conflicting configuration entry that is truncated no longer applies.
    @Test
    void truncatedConfigurationEntryIsRolledBack() {
        RaftNode follower = RaftTestSupport.node(2, THREE, HardState.INITIAL, List.of());
        Membership four = new Membership(Set.of(1, 2, 3), Set.of(4));
        follower.step(new AppendEntries(1, 2, 1, 0, 0,
                List.of(new Entry(1, 1, EntryType.CONFIGURATION, four.encode())), 0));
        follower.step(new AppendEntries(3, 2, 2, 0, 0, List.of(Entry.noop(2, 1)), 0));
        assertEquals(THREE, follower.membership());
    }

    // §4.1: one change at a time — a second change waits until the first is committed.
    @Test
    void leaderRefusesASecondChangeWhileTheFirstIsUncommitted() {
        RaftNode leader = committedLeader();
        leader.proposeMembership(THREE.withLearner(4, "http://n4", false));
        assertThrows(MembershipChangeException.class,
                () -> leader.proposeMembership(THREE.withLearner(5, "http://n5", false)));
    }

    // §4.1: single-server changes add or remove at most one voter.
    @Test
    void leaderRefusesToChangeTwoVotersAtOnce() {
        RaftNode leader = committedLeader();
        Membership five = Membership.ofVoters(Set.of(1, 2, 3, 4, 5));
        assertThrows(MembershipChangeException.class, () -> leader.proposeMembership(five));
    }

    // raft-dev 2015 fix: no change before the leader has committed an entry of its own term.
    @Test
    void leaderRefusesChangesBeforeCommittingInItsTerm() {
        RaftNode leader = leaderOf(1, List.of(), Set.of());
        assertThrows(MembershipChangeException.class,
                () -> leader.proposeMembership(THREE.withLearner(4, "http://n4", false)));
    }

    // Learners receive the log but neither vote nor count toward commitment.
    @Test
    void learnersDoNotCountTowardCommitment() {
        RaftNode leader = committedLeader();
        long index = leader.proposeMembership(THREE.withLearner(4, "http://n4", false));
        drain(leader);
        leader.step(new AppendResponse(4, 1, 1, true, index, 0, 0));
        assertTrue(leader.commitIndex() < index, "leader + learner are not a majority of three voters");
        leader.step(new AppendResponse(3, 1, 1, true, index, 0, 0));
        assertEquals(index, leader.commitIndex());
    }

    // Grow 3 → 5 (one learner at a time, then promotion) and shrink back to 3, all while writing.
    @Test
    void clusterGrowsToFiveAndShrinksBackToThree() {
        LocalCluster cluster = new LocalCluster(3, 31);
        int leader = cluster.awaitLeader(200);
        cluster.node(leader).propose(bytes("before"));
        cluster.ticks(3);
        for (int id = 4; id <= 5; id++) {
            RaftNode lead = cluster.node(leader);
            cluster.addNode(id, lead.membership().withLearner(id, "n" + id, true));
            lead.proposeMembership(lead.membership().withLearner(id, "n" + id, true));
            cluster.ticks(5);
            assertEquals(Role.LEARNER, cluster.node(id).role());
            lead.propose(bytes("while-learner-" + id));
            cluster.ticks(5);
            lead.proposeMembership(lead.membership().promoted(id));
            cluster.ticks(5);
            assertEquals(Role.FOLLOWER, cluster.node(id).role());
        }
        assertEquals(Set.of(1, 2, 3, 4, 5), cluster.node(leader).membership().voters());
        for (int id = 5; id >= 4; id--) {
            RaftNode lead = cluster.node(leader);
            lead.proposeMembership(lead.membership().without(id));
            cluster.ticks(5);
            cluster.stop(id);
        }
        cluster.node(leader).propose(bytes("after"));
        cluster.ticks(5);
        assertEquals(Set.of(1, 2, 3), cluster.node(leader).membership().voters());
        for (int id = 1; id <= 3; id++) {
            assertEquals(List.of("before", "while-learner-4", "while-learner-5", "after"),
                    cluster.appliedCommands(id).stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList());
        }
    }

    // §4.2.2: a leader removed from the configuration steps down once the removal commits.
    @Test
    void removedLeaderStepsDownAfterTheChangeCommits() {
        LocalCluster cluster = new LocalCluster(3, 32);
        int leader = cluster.awaitLeader(200);
        cluster.node(leader).propose(bytes("x"));
        cluster.ticks(3);
        cluster.node(leader).proposeMembership(cluster.node(leader).membership().without(leader));
        cluster.ticks(3);
        assertNotEquals(Role.LEADER, cluster.node(leader).role());
        cluster.stop(leader);
        int next = cluster.awaitLeader(300);
        assertNotEquals(leader, next);
        assertFalse(cluster.node(next).membership().contains(leader));
        cluster.node(next).propose(bytes("y"));
        cluster.ticks(3);
        assertEquals(List.of("x", "y"), cluster.appliedCommands(next).stream()
                .map(b -> new String(b, StandardCharsets.UTF_8)).toList());
    }

    // Thesis §3.10: leadership transfer hands over within a few ticks, well before any election timeout.
    @Test
    void leadershipTransferHandsOverQuickly() {
        LocalCluster cluster = new LocalCluster(3, 33);
        int leader = cluster.awaitLeader(200);
        cluster.node(leader).propose(bytes("x"));
        cluster.ticks(2);
        int target = leader == 3 ? 2 : 3;
        long termBefore = cluster.node(leader).term();
        cluster.node(leader).transferLeadership(target);
        cluster.settle();
        cluster.ticks(2);
        assertEquals(Role.LEADER, cluster.node(target).role());
        assertEquals(termBefore + 1, cluster.node(target).term());
        assertEquals(target, cluster.node(leader).leaderId());
    }

    // Thesis §3.10: proposals are refused while a transfer is under way, so the target stays up to date.
    @Test
    void proposalsAreRefusedDuringTransfer() {
        LocalCluster cluster = new LocalCluster(3, 34);
        int leader = cluster.awaitLeader(200);
        int target = leader == 3 ? 2 : 3;
        cluster.isolate(target);
        cluster.node(leader).transferLeadership(target);
        assertThrows(ProposalDroppedException.class, () -> cluster.node(leader).propose(bytes("x")));
        cluster.ticks(RaftConfig.defaults(1).electionTimeoutTicksMin() + 1);
        cluster.node(leader).propose(bytes("after-abandoned-transfer"));
    }

    // §4.2.2: a leader of two voters that removed itself and lost leadership before the removal
    // committed must still campaign, or the cluster could never elect a leader again.
    @Test
    void removedNodeStillCampaignsWhileItsRemovalIsUncommitted() {
        LocalCluster cluster = new LocalCluster(3, 35);
        int leader = cluster.awaitLeader(200);
        int gone = leader == 3 ? 2 : 3;
        cluster.node(leader).proposeMembership(cluster.node(leader).membership().without(gone));
        cluster.ticks(3);
        cluster.stop(gone);
        Membership two = cluster.node(leader).membership();
        assertEquals(2, two.voters().size());
        int other = two.voters().stream().filter(id -> id != leader).findFirst().orElseThrow();

        // The leader removes itself, but the entry reaches nobody before it loses leadership.
        cluster.isolate(leader);
        cluster.node(leader).proposeMembership(two.without(leader));
        cluster.settle();
        cluster.ticks(2 * RaftConfig.defaults(1).electionTimeoutTicksMin() + 1);
        assertNotEquals(Role.LEADER, cluster.node(leader).role(), "CheckQuorum deposed it");
        assertFalse(cluster.node(leader).membership().isVoter(leader));

        cluster.heal();
        cluster.ticks(200);
        assertTrue(cluster.node(other).role() == Role.LEADER || cluster.node(leader).role() == Role.LEADER,
                "a leader emerges");
        int finalLeader = cluster.awaitLeader(300);
        assertEquals(other, finalLeader, "once the removal commits, the remaining voter leads");
        assertEquals(Set.of(other), cluster.node(other).membership().voters());
    }
}
