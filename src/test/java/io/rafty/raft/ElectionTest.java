package io.rafty.raft;

import static io.rafty.raft.RaftTestSupport.THREE;
import static io.rafty.raft.RaftTestSupport.drain;
import static io.rafty.raft.RaftTestSupport.fresh;
import static io.rafty.raft.RaftTestSupport.logOfTerms;
import static io.rafty.raft.RaftTestSupport.node;
import static io.rafty.raft.RaftTestSupport.ofType;
import static io.rafty.raft.RaftTestSupport.tickUntilMessages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ElectionTest {

    private static final RaftConfig NO_PREVOTE = RaftConfig.builder(1).inflightMessagesMax(64)
            .uncommittedBytesMax(1 << 26).preVote(false).build();

    // §5.2: a follower that hears nothing for an election timeout starts an election.
    @Test
    void followerStartsPreVoteWithinRandomizedElectionTimeout() {
        RaftNode node = fresh(1);
        List<Message> sent = tickUntilMessages(node, 21);
        List<RequestVote> requests = ofType(sent, RequestVote.class);
        assertEquals(2, requests.size());
        assertTrue(requests.stream().allMatch(RequestVote::preVote));
        assertEquals(1, requests.get(0).term(), "a pre-vote asks about term + 1");
        assertEquals(0, node.term(), "a pre-candidate does not move its own term");
        assertEquals(Role.PRE_CANDIDATE, node.role());
    }

    // §5.2: a candidate increments its term, votes for itself and asks every other voter.
    @Test
    void candidateIncrementsTermAndVotesForItself() {
        RaftNode node = node(NO_PREVOTE, THREE, HardState.INITIAL, List.of());
        List<RequestVote> requests = ofType(tickUntilMessages(node, 21), RequestVote.class);
        assertEquals(Role.CANDIDATE, node.role());
        assertEquals(1, node.term());
        assertEquals(1, node.hardState().votedFor());
        assertEquals(Set.of(2, 3), Set.of(requests.get(0).to(), requests.get(1).to()));
        assertFalse(requests.get(0).preVote());
    }

    // §5.2 election safety: each server votes for at most one candidate in a term.
    @Test
    void voterGrantsAtMostOneVotePerTerm() {
        RaftNode voter = fresh(1);
        voter.step(new RequestVote(2, 1, 1, 0, 0, false));
        voter.step(new RequestVote(3, 1, 1, 0, 0, false));
        List<VoteResponse> responses = ofType(drain(voter), VoteResponse.class);
        assertEquals(2, responses.size());
        assertTrue(responses.get(0).granted());
        assertFalse(responses.get(1).granted(), "second candidate in the same term must be refused");
        assertEquals(2, voter.hardState().votedFor());
    }

    // §5.2: a repeated request from the candidate already voted for is granted again (lost responses).
    @Test
    void voterRepeatsItsVoteToTheSameCandidate() {
        RaftNode voter = fresh(1);
        voter.step(new RequestVote(2, 1, 1, 0, 0, false));
        voter.step(new RequestVote(2, 1, 1, 0, 0, false));
        List<VoteResponse> responses = ofType(drain(voter), VoteResponse.class);
        assertTrue(responses.get(0).granted());
        assertTrue(responses.get(1).granted());
    }

    // §5.4.1: a vote is refused to a candidate whose log is less up to date (lower last term).
    @Test
    void voterRejectsCandidateWithLowerLastLogTerm() {
        RaftNode voter = node(1, THREE, new HardState(2, 0, 0), logOfTerms(1, 2));
        voter.step(new RequestVote(2, 1, 3, 5, 1, false));
        VoteResponse response = ofType(drain(voter), VoteResponse.class).get(0);
        assertFalse(response.granted());
        assertEquals(3, voter.term(), "the higher term is still adopted");
    }

    // §5.4.1: same last term, shorter log → refused; longer or equal → granted.
    @Test
    void voterRejectsCandidateWithShorterLogOfSameLastTerm() {
        RaftNode voter = node(1, THREE, new HardState(2, 0, 0), logOfTerms(1, 2, 2));
        voter.step(new RequestVote(2, 1, 3, 2, 2, false));
        assertFalse(ofType(drain(voter), VoteResponse.class).get(0).granted());

        RaftNode other = node(1, THREE, new HardState(2, 0, 0), logOfTerms(1, 2, 2));
        other.step(new RequestVote(2, 1, 3, 3, 2, false));
        assertTrue(ofType(drain(other), VoteResponse.class).get(0).granted());
    }

    // §5.2: a candidate that receives votes from a majority becomes leader and appends a no-op (§8).
    @Test
    void candidateWithMajorityBecomesLeaderAndAppendsNoop() {
        RaftNode node = node(NO_PREVOTE, THREE, HardState.INITIAL, List.of());
        tickUntilMessages(node, 21);
        node.step(new VoteResponse(2, 1, 1, true, false));
        assertEquals(Role.LEADER, node.role());
        assertEquals(1, node.lastIndex());
        assertEquals(EntryType.NOOP, node.entryAt(1).type());
        assertEquals(2, ofType(drain(node), AppendEntries.class).size());
    }

    // §5.2: a candidate refused by a majority returns to follower.
    @Test
    void candidateRejectedByMajorityBecomesFollower() {
        RaftNode node = node(NO_PREVOTE, THREE, HardState.INITIAL, List.of());
        tickUntilMessages(node, 21);
        node.step(new VoteResponse(2, 1, 1, false, false));
        node.step(new VoteResponse(3, 1, 1, false, false));
        assertEquals(Role.FOLLOWER, node.role());
    }

    // §5.2: a candidate that hears from a leader of its term steps down.
    @Test
    void candidateStepsDownOnAppendFromLeaderOfSameTerm() {
        RaftNode node = node(NO_PREVOTE, THREE, HardState.INITIAL, List.of());
        tickUntilMessages(node, 21);
        node.step(new Heartbeat(2, 1, 1, 0, 0));
        assertEquals(Role.FOLLOWER, node.role());
        assertEquals(2, node.leaderId());
    }

    // Thesis §9.6 PreVote: the pre-vote changes neither the receiver's term nor its vote.
    @Test
    void preVoteChangesNeitherTermNorVoteOfReceiver() {
        RaftNode voter = fresh(1);
        voter.step(new RequestVote(2, 1, 5, 0, 0, true));
        VoteResponse response = ofType(drain(voter), VoteResponse.class).get(0);
        assertTrue(response.granted());
        assertTrue(response.preVote());
        assertEquals(5, response.term());
        assertEquals(0, voter.term());
        assertEquals(HardState.NO_VOTE, voter.hardState().votedFor());
    }

    // Thesis §9.6: the pre-candidate only starts a real election (and moves its term) after a majority of pre-votes.
    @Test
    void preCandidateCampaignsOnlyAfterMajorityOfPreVotes() {
        RaftNode node = fresh(1);
        tickUntilMessages(node, 21);
        assertEquals(0, node.term());
        node.step(new VoteResponse(2, 1, 1, true, true));
        assertEquals(Role.CANDIDATE, node.role());
        assertEquals(1, node.term());
        List<RequestVote> real = ofType(drain(node), RequestVote.class);
        assertTrue(real.stream().noneMatch(RequestVote::preVote));
    }

    // Thesis §9.6: a node cut off from the others keeps its term, so it cannot disrupt the cluster on return.
    @Test
    void partitionedNodeDoesNotInflateItsTermWithPreVote() {
        LocalCluster cluster = new LocalCluster(3, 7);
        int leader = cluster.awaitLeader(200);
        int follower = leader == 1 ? 2 : 1;
        long termBefore = cluster.node(leader).term();
        cluster.isolate(follower);
        cluster.ticks(500);
        assertEquals(termBefore, cluster.node(follower).term());
        cluster.heal();
        cluster.ticks(50);
        assertEquals(leader, cluster.awaitLeader(10));
        assertEquals(termBefore, cluster.node(leader).term(), "the rejoining node did not force an election");
    }

    // Thesis §4.2.3 (leader stickiness): while a follower hears from its leader it ignores higher-term vote requests.
    @Test
    void followerInLeaseIgnoresVoteRequests() {
        RaftNode voter = fresh(1);
        voter.step(new Heartbeat(2, 1, 1, 0, 0));
        drain(voter);
        voter.step(new RequestVote(3, 1, 2, 10, 1, false));
        assertTrue(drain(voter).isEmpty(), "request ignored");
        assertEquals(1, voter.term());
        assertEquals(2, voter.leaderId());
    }

    // CheckQuorum (thesis §6.2): a leader that does not hear from a majority for an election timeout steps down.
    @Test
    void leaderWithoutQuorumContactStepsDown() {
        LocalCluster cluster = new LocalCluster(3, 11);
        int leader = cluster.awaitLeader(200);
        cluster.isolate(leader);
        cluster.ticks(2 * RaftConfig.defaults(1).electionTimeoutTicksMin() + 1);
        assertNotEquals(Role.LEADER, cluster.node(leader).role());
    }

    // Election safety over time: with a random seed per run, never two leaders in one term.
    @Test
    void atMostOneLeaderPerTermAcrossRepeatedFailovers() {
        for (long seed = 1; seed <= 20; seed++) {
            LocalCluster cluster = new LocalCluster(5, seed);
            java.util.Map<Long, Integer> leaders = new java.util.HashMap<>();
            for (int round = 0; round < 5; round++) {
                int leader = cluster.awaitLeader(500);
                cluster.isolate(leader);
                for (int t = 0; t < 60; t++) {
                    cluster.tick();
                    for (RaftNode n : cluster.nodes.values()) {
                        if (n.role() == Role.LEADER) {
                            Integer previous = leaders.putIfAbsent(n.term(), n.id());
                            assertTrue(previous == null || previous == n.id(),
                                    "two leaders in term " + n.term() + " (seed " + seed + ")");
                        }
                    }
                }
                cluster.heal();
            }
        }
    }
}
