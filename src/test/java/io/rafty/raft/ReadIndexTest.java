package io.rafty.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.message.ReadIndexResponse;
import io.rafty.raft.message.HeartbeatResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Thesis §6.4: linearizable reads without writing to the log. */
class ReadIndexTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // §6.4: a read is confirmed only after a quorum answers a heartbeat sent after the request.
    @Test
    void readIsConfirmedOnlyAfterHeartbeatQuorum() {
        LocalCluster cluster = new LocalCluster(3, 3);
        int leader = cluster.awaitLeader(200);
        cluster.node(leader).propose(bytes("a"));
        cluster.settle();
        long commit = cluster.node(leader).commitIndex();

        cluster.dropWhere(m -> m instanceof HeartbeatResponse);
        cluster.node(leader).readIndex(42);
        cluster.settle();
        assertTrue(cluster.reads.get(leader).isEmpty(), "no heartbeat answers, no confirmation");

        cluster.heal();
        cluster.tick();
        assertEquals(List.of(new ReadState(42, commit)), cluster.reads.get(leader));
    }

    // §6.4: every read waiting at the same moment rides on one heartbeat round.
    @Test
    void concurrentReadsShareOneHeartbeatRound() {
        LocalCluster cluster = new LocalCluster(3, 4);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        RaftNode node = cluster.node(leader);
        for (long id = 1; id <= 50; id++) {
            node.readIndex(id);
        }
        Ready ready = node.ready();
        long heartbeats = ready.messages().stream().filter(m -> m instanceof Heartbeat).count();
        assertEquals(2, heartbeats, "one heartbeat per follower for all 50 reads");
        cluster.network.addAll(ready.messages());
        node.advance(ready);
        cluster.settle();
        assertEquals(50, cluster.reads.get(leader).size());
    }

    // §6.4 step 1: a new leader serves no read until an entry of its own term has committed.
    @Test
    void readWaitsUntilLeaderCommitsInItsTerm() {
        RaftNode leader = RaftTestSupport.leaderOf(3, RaftTestSupport.logOfTerms(1, 2), Set.of());
        leader.readIndex(7);
        List<Message> sent = RaftTestSupport.drain(leader);
        assertTrue(RaftTestSupport.ofType(sent, Heartbeat.class).isEmpty(), "no round before the term's commit");
        leader.step(new HeartbeatResponse(2, 1, 3, 0, 2));
        assertTrue(readStates(leader).isEmpty());

        leader.step(new AppendResponse(2, 1, 3, true, 3, 0, 0));
        assertEquals(3, leader.commitIndex());
        List<Heartbeat> round = RaftTestSupport.ofType(RaftTestSupport.drain(leader), Heartbeat.class);
        assertEquals(2, round.size(), "the waiting read now starts a heartbeat round");
        leader.step(new HeartbeatResponse(2, 1, 3, round.get(0).readContext(), 3));
        assertEquals(List.of(new ReadState(7, 3)), readStates(leader));
    }

    private static List<ReadState> readStates(RaftNode node) {
        List<ReadState> out = new java.util.ArrayList<>();
        while (node.hasReady()) {
            Ready ready = node.ready();
            out.addAll(ready.readStates());
            node.advance(ready);
        }
        return out;
    }

    // §6.4: a deposed leader cut off from the majority can never confirm a read.
    @Test
    void isolatedLeaderCannotConfirmReads() {
        LocalCluster cluster = new LocalCluster(3, 6);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        cluster.isolate(leader);
        cluster.node(leader).readIndex(1);
        cluster.ticks(5);
        assertTrue(cluster.reads.get(leader).isEmpty());
    }

    // The READ_WITHOUT_READ_INDEX switch answers at once, even when cut off (the simulator relies on it).
    @Test
    void readWithoutReadIndexSwitchAnswersWithoutQuorum() {
        RaftConfig broken = RaftConfig.defaults(1).withDeliberateBugs(Set.of(DeliberateBug.READ_WITHOUT_READ_INDEX));
        LocalCluster cluster = new LocalCluster(3, 6, broken);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        cluster.isolate(leader);
        cluster.node(leader).readIndex(1);
        cluster.settle();
        assertEquals(1, cluster.reads.get(leader).size());
    }

    // §6.4: a follower serves linearizable reads too: it asks the leader, which confirms them in a
    // heartbeat round and answers with its commit index; all reads of one Ready share one request.
    @Test
    void followerReadsAreConfirmedByTheLeaderInOneRequest() {
        LocalCluster cluster = new LocalCluster(3, 8);
        int leader = cluster.awaitLeader(200);
        cluster.node(leader).propose(bytes("a"));
        cluster.settle();
        long commit = cluster.node(leader).commitIndex();
        int follower = leader == 1 ? 2 : 1;
        RaftNode node = cluster.node(follower);
        for (long id = 1; id <= 20; id++) {
            node.readIndex(id);
        }
        Ready ready = node.ready();
        assertEquals(1, ready.messages().stream().filter(m -> m instanceof ReadIndexRequest).count(),
                "one request to the leader for all 20 reads");
        cluster.network.addAll(ready.messages());
        node.advance(ready);
        cluster.settle();
        assertEquals(20, cluster.reads.get(follower).size());
        assertTrue(cluster.reads.get(follower).stream().allMatch(r -> r.index() == commit));
    }

    // The leader answers a follower's read only after a quorum confirmed its leadership.
    @Test
    void followerReadWaitsForTheLeadersHeartbeatQuorum() {
        LocalCluster cluster = new LocalCluster(3, 10);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = leader == 1 ? 2 : 1;
        cluster.dropWhere(m -> m instanceof HeartbeatResponse);
        cluster.node(follower).readIndex(1);
        cluster.settle();
        assertTrue(cluster.reads.get(follower).isEmpty(), "no heartbeat answers, no confirmation");
        cluster.heal();
        cluster.tick();
        cluster.settle();
        assertEquals(1, cluster.reads.get(follower).size());
    }

    @Test
    void nodeThatKnowsNoLeaderRefusesReads() {
        LocalCluster cluster = new LocalCluster(3, 8);
        NotLeaderException refused = assertThrows(NotLeaderException.class, () -> cluster.node(1).readIndex(1));
        assertEquals(0, refused.leaderId());
    }

    // An answer is trusted only from the leader asked, for a batch still waiting: a duplicate, a
    // stranger's, or one for a batch forgotten after a leader change confirms nothing.
    @Test
    void unexpectedReadIndexAnswersAreIgnored() {
        LocalCluster cluster = new LocalCluster(3, 8);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = leader == 1 ? 2 : 1;
        int other = 6 - leader - follower;
        RaftNode node = cluster.node(follower);
        node.readIndex(1);
        Ready ready = node.ready();
        ReadIndexRequest request = (ReadIndexRequest) ready.messages().stream()
                .filter(m -> m instanceof ReadIndexRequest).findFirst().orElseThrow();
        node.advance(ready);
        long term = node.term();
        node.step(new ReadIndexResponse(other, follower, term, request.context(), 99));
        node.step(new ReadIndexResponse(leader, follower, term, request.context() + 1, 99));
        assertTrue(readStates(node).isEmpty());
        node.step(new ReadIndexResponse(leader, follower, term, request.context(), 5));
        node.step(new ReadIndexResponse(leader, follower, term, request.context(), 7));
        assertEquals(List.of(new ReadState(1, 5)), readStates(node), "the first answer counts, once");
    }

    // A single-voter cluster confirms reads by itself.
    @Test
    void singleVoterConfirmsReadsAlone() {
        LocalCluster cluster = new LocalCluster(1, 9);
        int leader = cluster.awaitLeader(100);
        cluster.settle();
        cluster.node(leader).readIndex(5);
        cluster.settle();
        assertEquals(List.of(new ReadState(5, cluster.node(leader).commitIndex())), cluster.reads.get(leader));
    }
}
