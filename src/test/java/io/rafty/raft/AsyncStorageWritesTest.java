package io.rafty.raft;

import static io.rafty.raft.RaftTestSupport.THREE;
import static io.rafty.raft.RaftTestSupport.drain;
import static io.rafty.raft.RaftTestSupport.logOfTerms;
import static io.rafty.raft.RaftTestSupport.node;
import static io.rafty.raft.RaftTestSupport.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RaftConfig#asyncStorageWrites()}: while a Ready's persist is in flight, the node hands out
 * light Readies — what promises nothing durable leaves at once; entries, the hard state, votes,
 * acknowledgements, committed entries and snapshots wait for the next full Ready.
 */
class AsyncStorageWritesTest {

    private static final byte[] PAYLOAD = {1};

    private static RaftNode follower(boolean async) {
        RaftConfig config = RaftConfig.builder(2).asyncStorageWrites(async).build();
        RaftNode node = node(config, THREE, new HardState(1, 1, 0), logOfTerms(1));
        node.step(new Heartbeat(1, 2, 1, 0, 0));
        drain(node);
        return node;
    }

    private static Entry entry(long term, long index) {
        return Entry.command(term, index, new byte[] {(byte) index});
    }

    /** A follower persisting entry 2 when entry 3 and a heartbeat arrive. */
    private static Ready persistingEntryTwo(RaftNode node) {
        node.step(new AppendEntries(1, 2, 1, 1, 1, List.of(entry(1, 2)), 1));
        Ready persisting = node.ready();
        assertEquals(List.of(2L), persisting.entries().stream().map(Entry::index).toList());
        node.step(new AppendEntries(1, 2, 1, 2, 1, List.of(entry(1, 3)), 2));
        node.step(new Heartbeat(1, 2, 1, 2, 7));
        return persisting;
    }

    @Test
    void aHeartbeatIsAnsweredBesideAPersistButTheAcknowledgementWaitsForOne() {
        RaftNode node = follower(true);
        Ready persisting = persistingEntryTwo(node);

        assertTrue(node.hasReady(), "the heartbeat answer need not wait for the fsync in flight");
        Ready light = node.ready();
        assertEquals(List.of(), light.entries(), "new entries wait for the next synced write");
        assertNull(light.hardState());
        assertEquals(List.of(), light.messagesAfterPersist());
        assertEquals(List.of(), light.committedEntries(), "nothing is applied before it is persisted here");
        assertNull(light.snapshot());
        List<HeartbeatResponse> answers = ofType(light.messages(), HeartbeatResponse.class);
        assertEquals(1, answers.size());
        assertEquals(7, answers.get(0).readContext());
        assertEquals(List.of(), ofType(light.messages(), AppendResponse.class),
                "no acknowledgement leaves beside the persist in flight");
        node.advance(light);
        assertFalse(node.hasReady(), "nothing else is light; the rest waits for the persist");

        node.advance(persisting);
        Ready next = node.ready();
        assertEquals(List.of(3L), next.entries().stream().map(Entry::index).toList(),
                "entry 3 goes into the next synced write");
        assertTrue(ofType(next.messagesAfterPersist(), AppendResponse.class).stream()
                        .anyMatch(ack -> ack.success() && ack.index() == 3),
                "and its acknowledgement leaves after it");
        assertEquals(List.of(), ofType(next.messages(), AppendResponse.class));
        assertEquals(List.of(2L), next.committedEntries().stream().map(Entry::index).toList(),
                "entry 2, committed while its persist was in flight, is applied behind it, entry 3 not yet");
        node.advance(next);
    }

    @Test
    void withoutAsyncWritesNothingLeavesBesideAPersist() {
        RaftNode node = follower(false);
        Ready persisting = persistingEntryTwo(node);
        assertFalse(node.hasReady(), "one Ready at a time");
        assertThrows(IllegalStateException.class, node::ready);
        node.advance(persisting);
        Ready next = node.ready();
        assertEquals(1, ofType(next.messages(), HeartbeatResponse.class).size(),
                "the heartbeat answer leaves with the next Ready, before its persist");
    }

    @Test
    void aVoteWaitsForThePersistOfTheTermItIsCastIn() {
        RaftNode node = follower(true);
        Ready persisting = persistingEntryTwo(node);
        Ready light = node.ready();
        node.advance(light);
        // A candidate for term 5 whose log is ahead of ours (a leadership transfer, so the leader's lease does
        // not refuse it): the vote is granted, but only after a synced write.
        node.step(new RequestVote(3, 2, 5, 9, 1, false, true));
        if (node.hasReady()) {
            Ready beside = node.ready();
            assertEquals(List.of(), ofType(beside.messages(), VoteResponse.class), "no vote beside a persist");
            assertNull(beside.hardState(), "the new term and vote are not handed out beside a persist");
            node.advance(beside);
        }
        node.advance(persisting);
        Ready next = node.ready();
        assertEquals(5, next.hardState().term());
        assertEquals(3, next.hardState().votedFor());
        assertTrue(ofType(next.messagesAfterPersist(), VoteResponse.class).get(0).granted());
    }

    @Test
    void noLightReadyWhileASnapshotIsBeingInstalled() {
        RaftNode node = follower(true);
        node.step(new InstallSnapshot(1, 2, 1, 50, 1, THREE));
        Ready installing = node.ready();
        assertEquals(50, installing.snapshot().index());
        node.step(new Heartbeat(1, 2, 1, 50, 3));
        assertFalse(node.hasReady(), "the install replaces the log under everything: nothing beside it");
        node.advance(installing);
        assertEquals(1, ofType(node.ready().messages(), HeartbeatResponse.class).size());
    }

    @Test
    void aLeaderReplicatesNewEntriesBesideItsOwnPersist() {
        RaftConfig config = RaftConfig.builder(1).preVote(false).asyncStorageWrites(true).build();
        RaftNode leader = node(config, THREE, new HardState(0, 0, 0), List.of());
        for (int i = 0; i < 25 && leader.role() != Role.CANDIDATE; i++) {
            leader.tick();
        }
        drain(leader);
        leader.step(new VoteResponse(2, 1, leader.term(), true, false));
        drain(leader);
        leader.step(new AppendResponse(2, 1, leader.term(), true, 1, 0, 0));
        drain(leader);

        long first = leader.propose(PAYLOAD);
        Ready persisting = leader.ready();
        assertEquals(first, persisting.entries().get(0).index());
        long second = leader.propose(PAYLOAD);
        assertTrue(leader.hasReady());
        Ready light = leader.ready();
        assertEquals(List.of(), light.entries(), "the leader's own write of the second entry waits");
        List<AppendEntries> appends = ofType(light.messages(), AppendEntries.class);
        assertTrue(appends.stream().anyMatch(a -> a.entries().stream().anyMatch(e -> e.index() == second)),
                "but followers get it at once: " + appends);
        leader.advance(light);

        // Both followers acknowledge the second entry before the leader's own persist of it: it commits
        // (a majority has it durably), but is applied only once the leader has persisted it too.
        leader.step(new AppendResponse(2, 1, leader.term(), true, second, 0, 0));
        leader.step(new AppendResponse(3, 1, leader.term(), true, second, 0, 0));
        assertEquals(second, leader.commitIndex());
        while (leader.hasReady()) {
            Ready beside = leader.ready();
            assertEquals(List.of(), beside.committedEntries());
            leader.advance(beside);
        }
        leader.advance(persisting);
        Ready next = leader.ready();
        assertEquals(List.of(second), next.entries().stream().map(Entry::index).toList());
        assertTrue(next.committedEntries().stream().anyMatch(e -> e.index() == second),
                "applied after the persist that holds it");
        leader.advance(next);
    }
}
