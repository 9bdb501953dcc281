package io.rafty.raft;

import static io.rafty.raft.RaftTestSupport.drain;
import static io.rafty.raft.RaftTestSupport.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.RaftNode.Observation;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import io.rafty.raft.tracker.Progress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The core's rules for storage identity: only the storage a configuration binds a member to votes,
 * acknowledges and confirms for it; a leader forgets what a replaced follower held; nodes of
 * different clusters refuse each other; the first leader founds the cluster id.
 */
class StorageIdentityTest {

    private static final Membership THREE = Membership.ofVoters(Set.of(1, 2, 3));
    private static final Membership BOUND = new Membership(THREE.voters(), Set.of(), Set.of(), Map.of(),
            Map.of(1, 101L, 2, 201L, 3, 301L));

    private static RaftNode node(int id, long storageId, Membership membership, Set<DeliberateBug> bugs) {
        // PreVote off, so campaign() asks for real votes directly.
        RaftConfig config = RaftConfig.builder(id).inflightMessagesMax(4).uncommittedBytesMax(1 << 26)
                .preVote(false).deliberateBugs(bugs).build();
        return new RaftNode(config, new RecoveredState(HardState.INITIAL, membership, 0, 0, List.of(), 0, storageId),
                new Random(id));
    }

    private static PeerIdentity storage(long storageId) {
        return new PeerIdentity(0, storageId);
    }

    /** Node 1 on storage 101, leader of term 1 on node 2's vote (from 201); its no-op at index 1 is not committed. */
    private static RaftNode leader(Membership membership) {
        RaftNode node = node(1, 101, membership, Set.of());
        node.campaign();
        drain(node);
        node.observe(2, storage(201));
        node.step(new VoteResponse(2, 1, 1, true, false));
        assertEquals(Role.LEADER, node.role(), "setup");
        drain(node);
        return node;
    }

    private static void ack(RaftNode leader, int from, long storageId, long index) {
        leader.observe(from, storage(storageId));
        leader.step(new AppendResponse(from, 1, leader.term(), true, index, 0, 0));
        drain(leader);
    }

    private static PeerProgress progressOf(RaftNode leader, int id) {
        return leader.progress().stream().filter(p -> p.id() == id).findFirst().orElseThrow();
    }

    // A vote is a promise of the storage that made it: one from another disk behind the same id promises nothing.
    @Test
    void candidateDoesNotCountAGrantFromStorageOtherThanTheBoundOne() {
        RaftNode candidate = node(1, 101, BOUND, Set.of());
        candidate.campaign();
        drain(candidate);
        assertEquals(Role.CANDIDATE, candidate.role());

        assertEquals(Observation.ACCEPTED, candidate.observe(3, storage(302)));
        candidate.step(new VoteResponse(3, 1, 1, true, false));
        assertEquals(Role.CANDIDATE, candidate.role(), "3's grant from 302 must not make a quorum with 1's own vote");

        candidate.observe(2, storage(201));
        candidate.step(new VoteResponse(2, 1, 1, true, false));
        assertEquals(Role.LEADER, candidate.role(), "2's grant from its bound storage does");
    }

    // A grant from a peer never heard from with an identity (storage 0) does not count once bindings exist.
    @Test
    void candidateDoesNotCountAGrantWithoutAKnownStorage() {
        RaftNode candidate = node(1, 101, BOUND, Set.of());
        candidate.campaign();
        drain(candidate);
        candidate.step(new VoteResponse(2, 1, 1, true, false));
        assertEquals(Role.CANDIDATE, candidate.role());
    }

    // A node whose id is bound to other storage is a new server that remembers no votes or acks: it must not elect.
    @Test
    void nodeBoundToOtherStorageNeitherCampaignsNorGrantsVotes() {
        RaftNode replaced = node(3, 302, BOUND, Set.of());
        assertFalse(replaced.countsAsItself());
        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            replaced.tick();
            sent.addAll(drain(replaced));
        }
        replaced.campaign();
        sent.addAll(drain(replaced));
        assertEquals(List.of(), sent, "five election timeouts and campaign(): not a word");
        assertEquals(Role.FOLLOWER, replaced.role());
        assertEquals(0, replaced.term());

        replaced.step(new RequestVote(1, 3, 1, 0, 0, true));
        replaced.step(new RequestVote(1, 3, 1, 0, 0, false));
        List<VoteResponse> answers = ofType(drain(replaced), VoteResponse.class);
        assertEquals(2, answers.size());
        assertTrue(answers.stream().noneMatch(VoteResponse::granted), answers.toString());
        assertEquals(HardState.NO_VOTE, replaced.hardState().votedFor());

        // The same id on its bound storage does both, so the refusals above are the binding's doing.
        RaftNode original = node(3, 301, BOUND, Set.of());
        original.step(new RequestVote(1, 3, 1, 0, 0, false));
        assertTrue(ofType(drain(original), VoteResponse.class).get(0).granted());
        RaftNode other = node(3, 301, BOUND, Set.of());
        for (int i = 0; i < 25 && other.role() == Role.FOLLOWER; i++) {
            other.tick();
        }
        assertEquals(Role.CANDIDATE, other.role());
    }

    // What the follower acknowledged is gone with its disk: the leader must not keep believing its match index.
    @Test
    void leaderForgetsTheMatchIndexOfAFollowerOnNewStorage() {
        RaftNode leader = leader(BOUND);
        assertEquals(Observation.ACCEPTED, leader.observe(3, storage(301)));
        ack(leader, 3, 301, 1);
        assertEquals(1, leader.commitIndex());
        assertEquals(1, progressOf(leader, 3).matchIndex());
        assertEquals(Progress.State.REPLICATE, progressOf(leader, 3).state());
        long index = leader.propose(new byte[] {1});
        drain(leader);

        assertEquals(Observation.STORAGE_REPLACED, leader.observe(3, storage(302)));
        PeerProgress forgotten = progressOf(leader, 3);
        assertEquals(0, forgotten.matchIndex());
        assertEquals(Progress.State.PROBE, forgotten.state());
        assertEquals(302, forgotten.storageId());
        assertEquals(Observation.ACCEPTED, leader.observe(3, storage(302)), "replaced once, not at every batch");

        ack(leader, 3, 302, index);
        assertEquals(1, leader.commitIndex(), "an ack from the replaced storage advances nothing");
        ack(leader, 2, 201, index);
        assertEquals(index, leader.commitIndex());
    }

    // Commitment needs a quorum of the servers the configuration names, storage included.
    @Test
    void commitCountsOnlyBoundStorage() {
        RaftNode leader = leader(BOUND);
        ack(leader, 3, 302, 1);
        assertEquals(0, leader.commitIndex(), "the leader and a replaced 3 are one server of three");
        ack(leader, 2, 201, 1);
        assertEquals(1, leader.commitIndex());
    }

    // ReadIndex rests on a quorum still following the leader; a replaced node's heartbeat answer is no such proof.
    @Test
    void readIndexCountsOnlyBoundStorage() {
        RaftNode leader = leader(BOUND);
        ack(leader, 2, 201, 1);
        leader.readIndex(7);
        drain(leader);
        leader.observe(3, storage(302));
        leader.step(new HeartbeatResponse(3, 1, 1, 1, 1));
        assertEquals(List.of(), drainReads(leader), "only the replaced 3 answered the round");
        leader.observe(2, storage(201));
        leader.step(new HeartbeatResponse(2, 1, 1, 1, 1));
        assertEquals(List.of(new ReadState(7, 1)), drainReads(leader));
    }

    private static List<ReadState> drainReads(RaftNode node) {
        List<ReadState> out = new ArrayList<>();
        while (node.hasReady()) {
            Ready ready = node.ready();
            out.addAll(ready.readStates());
            node.advance(ready);
        }
        return out;
    }

    // With 3 on new storage only 1 and 2 can commit; removing 2 would leave a configuration that never commits.
    @Test
    void proposeMembershipRefusesAConfigurationWhoseAnsweringBoundVotersAreFewerThanAQuorum() {
        RaftNode leader = leader(BOUND);
        ack(leader, 2, 201, 1);
        leader.observe(3, storage(302));
        long before = leader.lastIndex();
        MembershipChangeException e = assertThrows(MembershipChangeException.class,
                () -> leader.proposeMembership(BOUND.without(2)));
        assertTrue(e.getMessage().contains("known to answer"), e.getMessage());
        assertEquals(before, leader.lastIndex(), "nothing appended");
        assertEquals(BOUND, leader.membership());
        // Rebuilding 3 on its new storage leaves 1 and 2, both answering: allowed.
        assertEquals(before + 1, leader.proposeMembership(BOUND.rebuilding(3, 302)));
    }

    // The first binding must cover a quorum of voters, all heard from on that storage, or nothing could commit after.
    @Test
    void proposeMembershipRefusesABindingWithFewerBoundVotersThanAQuorum() {
        RaftNode leader = leader(THREE);
        ack(leader, 2, 201, 1);
        MembershipChangeException few = assertThrows(MembershipChangeException.class,
                () -> leader.proposeMembership(THREE.boundTo(1, 101)));
        assertTrue(few.getMessage().contains("fewer than a quorum"), few.getMessage());
        // 3 was never heard from: binding it to a guessed storage does not make it answer.
        MembershipChangeException unheard = assertThrows(MembershipChangeException.class,
                () -> leader.proposeMembership(THREE.boundTo(1, 101).boundTo(3, 301)));
        assertTrue(unheard.getMessage().contains("known to answer"), unheard.getMessage());
        Membership bound = THREE.boundTo(1, 101).boundTo(2, 201);
        leader.proposeMembership(bound);
        assertEquals(bound, leader.membership());
    }

    // Two clusters must never merge by accident: once a node knows its cluster, another cluster's batch is refused.
    @Test
    void observeRefusesAnotherClusterAndAcceptsAPeerWithoutOne() {
        RaftNode node = node(1, 101, THREE, Set.of());
        assertEquals(Observation.ACCEPTED, node.observe(2, new PeerIdentity(0xAAL, 201)));
        assertEquals(0xAAL, node.clusterId());
        assertEquals(0xAAL, node.hardState().clusterId(), "learned and persisted");

        assertEquals(Observation.OTHER_CLUSTER, node.observe(3, new PeerIdentity(0xBBL, 301)));
        assertEquals(0, node.peerStorageId(3), "a refused peer's identity is not recorded");
        assertEquals(0xAAL, node.clusterId());

        assertEquals(Observation.ACCEPTED, node.observe(3, new PeerIdentity(0, 301)), "a node that knows no cluster yet");
        assertEquals(301, node.peerStorageId(3));
        assertEquals(0xAAL, node.clusterId());
    }

    // The cluster id is a committed fact: it is founded in the first leader's no-op and learned only on commit.
    @Test
    void firstLeadersNoopFoundsAClusterIdThatEveryNodeLearnsWhenItCommits() {
        LocalCluster cluster = new LocalCluster(3, 7);
        cluster.dropWhere(m -> m instanceof AppendResponse);
        int leader = cluster.awaitLeader(200);
        long founded = cluster.node(leader).entryAt(1).clusterId();
        assertNotEquals(0, founded);
        for (RaftNode node : cluster.nodes.values()) {
            assertEquals(founded, node.entryAt(1).clusterId(), "node " + node.id() + " holds the founding entry");
            assertEquals(0, node.clusterId(), "node " + node.id() + ": not committed, not learned");
        }
        cluster.heal();
        cluster.ticks(5);
        for (RaftNode node : cluster.nodes.values()) {
            assertTrue(node.commitIndex() >= 1);
            assertEquals(founded, node.hardState().clusterId(), "node " + node.id());
            assertEquals(founded, cluster.disks.get(node.id()).hardState.clusterId(), "persisted on " + node.id());
        }
    }

    // A second founding entry would name a second cluster: a leader whose log holds the first founds none.
    @Test
    void laterLeaderWhoseLogHoldsTheFoundingEntryDoesNotFoundAnother() {
        LocalCluster cluster = new LocalCluster(3, 11);
        cluster.dropWhere(m -> m instanceof AppendResponse);
        int first = cluster.awaitLeader(200);
        long founded = cluster.node(first).entryAt(1).clusterId();
        cluster.stop(first);
        // awaitLeader would return the stopped leader, whom the others still follow: wait for a new one.
        RaftNode next = null;
        for (int i = 0; i < 500 && next == null; i++) {
            cluster.tick();
            next = cluster.nodes.values().stream().filter(n -> n.id() != first && n.role() == Role.LEADER)
                    .findFirst().orElse(null);
        }
        assertTrue(next != null, "no new leader");
        assertTrue(next.term() > 1);
        assertEquals(0, next.clusterId(), "it does not know the id: only its log tells it one was founded");
        assertEquals(EntryType.NOOP, next.entryAt(2).type());
        assertEquals(0, next.entryAt(2).clusterId());
        cluster.heal();
        cluster.restart(first);
        cluster.ticks(30);
        for (RaftNode node : cluster.nodes.values()) {
            assertTrue(node.commitIndex() >= 2, "node " + node.id());
            assertEquals(founded, node.clusterId(), "node " + node.id());
        }
    }

    // The simulator proves it catches lost-disk bugs by switching identity off: the switch must really do that.
    @Test
    void ignoreStorageIdentityCountsTheReplacedNodesGrant() {
        RaftNode candidate = node(1, 101, BOUND, Set.of(DeliberateBug.IGNORE_STORAGE_IDENTITY));
        candidate.campaign();
        drain(candidate);
        candidate.observe(3, storage(302));
        candidate.step(new VoteResponse(3, 1, 1, true, false));
        assertEquals(Role.LEADER, candidate.role());
    }
}
