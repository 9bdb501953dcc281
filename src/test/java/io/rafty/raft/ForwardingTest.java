package io.rafty.raft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A follower forwards commands to the leader over the peer channel (etcd's MsgProp). */
class ForwardingTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int followerOf(int leader) {
        return leader == 1 ? 2 : 1;
    }

    private static Propose takePropose(RaftNode node) {
        Ready ready = node.ready();
        node.advance(ready);
        return (Propose) ready.messages().stream().filter(m -> m instanceof Propose).findFirst().orElseThrow();
    }

    // The commands of one Ready leave as one message; the leader appends them in order and says where.
    @Test
    void forwardedCommandsAreAppendedByTheLeaderAndTheirPlaceReported() {
        LocalCluster cluster = new LocalCluster(3, 21);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = followerOf(leader);
        RaftNode node = cluster.node(follower);
        node.forwardProposal(7, bytes("x"));
        node.forwardProposal(8, bytes("y"));
        Ready ready = node.ready();
        List<Message> proposes = ready.messages().stream().filter(m -> m instanceof Propose).toList();
        assertEquals(1, proposes.size());
        assertEquals(leader, proposes.get(0).to());
        cluster.network.addAll(ready.messages());
        node.advance(ready);
        cluster.settle();

        List<ForwardedProposal> outcomes = cluster.forwarded.get(follower);
        assertEquals(2, outcomes.size());
        ForwardedProposal first = outcomes.get(0);
        assertEquals(7, first.requestId());
        assertEquals(new ForwardedProposal(8, first.index() + 1, first.term()), outcomes.get(1));
        assertEquals(cluster.node(leader).term(), first.term());
        assertArrayEquals(bytes("x"), cluster.node(leader).entryAt(first.index()).payload());
        assertArrayEquals(bytes("y"), cluster.node(leader).entryAt(first.index() + 1).payload());
    }

    // Without a tick (so no heartbeat) and with nothing else to replicate, the follower still learns
    // that its commands committed, and applies them: its clients are answered from its own apply.
    @Test
    void followerLearnsItsForwardedCommandsCommittedWithoutWaitingForAHeartbeat() {
        LocalCluster cluster = new LocalCluster(3, 22);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = followerOf(leader);
        cluster.node(follower).forwardProposal(1, bytes("x"));
        cluster.settle();
        long index = cluster.forwarded.get(follower).get(0).index();
        assertTrue(cluster.node(follower).commitIndex() >= index, "the follower committed its own command");
        assertTrue(cluster.applied(follower).stream().anyMatch(e -> e.index() == index));
    }

    // A network that delivers twice must not apply a command twice.
    @Test
    void duplicatedProposeIsAppendedOnce() {
        LocalCluster cluster = new LocalCluster(3, 23);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = followerOf(leader);
        cluster.node(follower).forwardProposal(1, bytes("once"));
        Propose propose = takePropose(cluster.node(follower));
        long before = cluster.node(leader).lastIndex();
        cluster.node(leader).step(propose);
        cluster.node(leader).step(propose);
        assertEquals(before + 1, cluster.node(leader).lastIndex());
    }

    // A leader handing over leadership takes no new commands: it refuses, and nothing is appended.
    @Test
    void leaderTransferringLeadershipRefusesForwardedCommands() {
        LocalCluster cluster = new LocalCluster(3, 24);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = followerOf(leader);
        int target = 6 - leader - follower;
        cluster.dropWhere(m -> m.to() == target);
        cluster.node(leader).transferLeadership(target);
        long before = cluster.node(leader).lastIndex();
        cluster.node(follower).forwardProposal(5, bytes("x"));
        cluster.settle();
        assertEquals(List.of(new ForwardedProposal(5, 0, cluster.node(leader).term())), cluster.forwarded.get(follower));
        assertTrue(cluster.forwarded.get(follower).get(0).refused());
        assertEquals(before, cluster.node(leader).lastIndex());
    }

    // After a leader change the follower forgets what it asked the old leader: a late answer is ignored.
    @Test
    void answerFromTheOldLeaderAfterALeaderChangeIsIgnored() {
        LocalCluster cluster = new LocalCluster(3, 25);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = followerOf(leader);
        RaftNode node = cluster.node(follower);
        node.forwardProposal(1, bytes("x"));
        Propose propose = takePropose(node);
        node.campaign();
        cluster.settle();
        assertEquals(0, cluster.forwarded.getOrDefault(follower, List.of()).size());
        node.step(new ProposeResponse(leader, follower, node.term(), propose.context(), 9));
        Ready ready = node.ready();
        assertTrue(ready.forwardedProposals().isEmpty());
        node.advance(ready);
    }

    // Large commands are cut into several messages of about maxMessageBytes, like appends, so none is
    // too large for the leader's peer endpoint; each batch is answered on its own.
    @Test
    void largeForwardedCommandsAreCutIntoMessagesOfBoundedSize() {
        RaftConfig small = RaftConfig.defaults(1).withLimits(1000, 64, 1L << 30);
        LocalCluster cluster = new LocalCluster(3, 27, small);
        int leader = cluster.awaitLeader(200);
        cluster.settle();
        int follower = followerOf(leader);
        RaftNode node = cluster.node(follower);
        for (long id = 1; id <= 10; id++) {
            node.forwardProposal(id, new byte[400]);
        }
        Ready ready = node.ready();
        List<Propose> proposes = ready.messages().stream().filter(m -> m instanceof Propose).map(m -> (Propose) m)
                .toList();
        assertEquals(5, proposes.size(), "two 400-byte commands fit in 1000 bytes, a third does not");
        assertTrue(proposes.stream().allMatch(p -> p.payloads().size() == 2));
        cluster.network.addAll(ready.messages());
        node.advance(ready);
        cluster.settle();
        List<ForwardedProposal> outcomes = cluster.forwarded.get(follower);
        assertEquals(10, outcomes.size());
        assertTrue(outcomes.stream().noneMatch(ForwardedProposal::refused));
        assertEquals(10, outcomes.stream().map(ForwardedProposal::index).distinct().count());
    }

    @Test
    void forwardingNeedsAKnownLeaderAndIsNotForTheLeaderItself() {
        LocalCluster cluster = new LocalCluster(3, 26);
        NotLeaderException refused = assertThrows(NotLeaderException.class,
                () -> cluster.node(1).forwardProposal(1, bytes("x")));
        assertEquals(0, refused.leaderId());
        int leader = cluster.awaitLeader(200);
        assertThrows(IllegalStateException.class, () -> cluster.node(leader).forwardProposal(1, bytes("x")));
    }
}
