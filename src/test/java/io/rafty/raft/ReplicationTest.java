package io.rafty.raft;

import static io.rafty.raft.RaftTestSupport.THREE;
import static io.rafty.raft.RaftTestSupport.drain;
import static io.rafty.raft.RaftTestSupport.leaderOf;
import static io.rafty.raft.RaftTestSupport.logOfTerms;
import static io.rafty.raft.RaftTestSupport.node;
import static io.rafty.raft.RaftTestSupport.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicationTest {

    private static Entry entry(long term, long index) {
        return Entry.command(term, index, new byte[] {(byte) index});
    }

    // §5.3: a follower refuses an append whose previous entry does not match its log, and hints where to go.
    @Test
    void followerRejectsAppendWithMismatchedPrevLogTerm() {
        RaftNode follower = node(2, THREE, new HardState(3, 0, 0), logOfTerms(1, 1, 2, 2));
        follower.step(new AppendEntries(1, 2, 3, 4, 3, List.of(entry(3, 5)), 0));
        AppendResponse response = ofType(drain(follower), AppendResponse.class).get(0);
        assertFalse(response.success());
        assertEquals(4, response.index(), "rejection names the refused previous index");
        assertEquals(2, response.conflictTerm());
        assertEquals(3, response.conflictIndex(), "first index of the conflicting term");
        assertEquals(4, follower.lastIndex(), "nothing appended");
    }

    // §5.3: a follower whose log is too short says where it ends.
    @Test
    void followerWithShortLogHintsItsLength() {
        RaftNode follower = node(2, THREE, new HardState(3, 0, 0), logOfTerms(1, 1));
        follower.step(new AppendEntries(1, 2, 3, 7, 3, List.of(), 0));
        AppendResponse response = ofType(drain(follower), AppendResponse.class).get(0);
        assertFalse(response.success());
        assertEquals(0, response.conflictTerm());
        assertEquals(3, response.conflictIndex());
    }

    // §5.3: on a conflict the follower deletes the conflicting entry and all that follow, and appends the new ones.
    @Test
    void followerTruncatesConflictingSuffixAndAppends() {
        RaftNode follower = node(2, THREE, new HardState(3, 0, 0), logOfTerms(1, 1, 2, 2, 2));
        follower.step(new AppendEntries(1, 2, 3, 2, 1, List.of(entry(3, 3), entry(3, 4)), 2));
        Ready ready = follower.ready();
        assertEquals(3, ready.entries().get(0).index(), "host is told to overwrite from index 3");
        assertEquals(2, ready.entries().size());
        follower.advance(ready);
        assertEquals(4, follower.lastIndex());
        assertEquals(3, follower.termAt(3));
        assertEquals(3, follower.termAt(4));
    }

    // §5.3: entries already present with the same term are kept (a duplicate or reordered append truncates nothing).
    @Test
    void followerKeepsMatchingEntriesOnDuplicateAppend() {
        RaftNode follower = node(2, THREE, new HardState(3, 0, 0), logOfTerms(1, 3, 3));
        follower.step(new AppendEntries(1, 2, 3, 1, 1, List.of(entry(3, 2)), 0));
        Ready ready = follower.ready();
        assertTrue(ready.entries().isEmpty(), "nothing to rewrite");
        follower.advance(ready);
        assertEquals(3, follower.lastIndex(), "the entry after the duplicate survives");
    }

    // §5.3: the follower advances its commit index to min(leaderCommit, index of last new entry).
    @Test
    void followerCommitsUpToLeaderCommitBoundedByLastNewEntry() {
        RaftNode follower = node(2, THREE, new HardState(1, 0, 0), List.of());
        follower.step(new AppendEntries(1, 2, 1, 0, 0, List.of(entry(1, 1), entry(1, 2)), 5));
        assertEquals(2, follower.commitIndex());
    }

    // Ready contract: an append acknowledgement and a vote are only sent after the persist.
    @Test
    void acknowledgementsWaitForPersistence() {
        RaftNode follower = node(2, THREE, HardState.INITIAL, List.of());
        follower.step(new AppendEntries(1, 2, 1, 0, 0, List.of(entry(1, 1)), 0));
        Ready ready = follower.ready();
        assertTrue(ready.messages().isEmpty());
        assertEquals(1, ofType(ready.messagesAfterPersist(), AppendResponse.class).size());
        assertEquals(1, ready.entries().size());
        assertEquals(1, ready.hardState().term());
        follower.advance(ready);

        RaftNode voter = node(3, THREE, HardState.INITIAL, List.of());
        voter.step(new RequestVote(1, 3, 1, 0, 0, false));
        Ready vote = voter.ready();
        assertEquals(1, ofType(vote.messagesAfterPersist(), VoteResponse.class).size());
        assertEquals(1, vote.hardState().votedFor());
    }

    // The ACK_BEFORE_PERSIST switch really breaks that ordering (the simulator relies on it).
    @Test
    void ackBeforePersistSwitchSendsAcknowledgementsEarly() {
        RaftConfig broken = RaftConfig.defaults(2).withDeliberateBugs(Set.of(DeliberateBug.ACK_BEFORE_PERSIST));
        RaftNode follower = node(broken, THREE, HardState.INITIAL, List.of());
        follower.step(new AppendEntries(1, 2, 1, 0, 0, List.of(entry(1, 1)), 0));
        Ready ready = follower.ready();
        assertEquals(1, ofType(ready.messages(), AppendResponse.class).size());
        assertTrue(ready.messagesAfterPersist().isEmpty());
    }

    // §5.4.2 / Figure 8: a leader never commits an entry of an earlier term by counting replicas.
    @Test
    void leaderDoesNotCommitPreviousTermEntryByCountingReplicas() {
        RaftNode leader = leaderOf(3, logOfTerms(1, 2), Set.of());
        assertEquals(3, leader.lastIndex(), "no-op of term 3 appended at index 3");
        leader.step(new AppendResponse(2, 1, 3, true, 2, 0, 0));
        drain(leader);
        assertEquals(0, leader.commitIndex(), "index 2 (term 2) is on a majority but must not commit");
        leader.step(new AppendResponse(2, 1, 3, true, 3, 0, 0));
        drain(leader);
        assertEquals(3, leader.commitIndex(), "committing the term-3 no-op commits everything before it");
    }

    // The COMMIT_PREVIOUS_TERM_BY_COUNTING switch really breaks the Figure 8 rule.
    @Test
    void figureEightSwitchCommitsPreviousTermEntry() {
        RaftNode leader = leaderOf(3, logOfTerms(1, 2), Set.of(DeliberateBug.COMMIT_PREVIOUS_TERM_BY_COUNTING));
        leader.step(new AppendResponse(2, 1, 3, true, 2, 0, 0));
        drain(leader);
        assertEquals(2, leader.commitIndex());
    }

    // Thesis §10.2.1: the leader counts itself toward a quorum only for entries it has persisted.
    @Test
    void leaderDoesNotCountItsOwnUnpersistedEntries() {
        RaftNode leader = leaderOf(1, List.of(), Set.of());
        leader.step(new AppendResponse(2, 1, 1, true, 1, 0, 0));
        drain(leader);
        long index = leader.propose("x".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Ready ready = leader.ready();
        assertTrue(ofType(ready.messages(), AppendEntries.class).stream().anyMatch(a -> !a.entries().isEmpty()),
                "appends go out before the leader's own persist");
        leader.step(new AppendResponse(2, 1, 1, true, index, 0, 0));
        assertTrue(leader.commitIndex() < index, "one follower alone is not a quorum of three");
        leader.advance(ready);
        assertEquals(index, leader.commitIndex(), "the leader's persisted copy completes the quorum");
    }

    // §5.3 fast backtracking: a rejection with a conflict term lets the leader skip a whole term at once.
    @Test
    void leaderSkipsConflictingTermOnRejection() {
        RaftNode leader = leaderOf(5, logOfTerms(1, 1, 1, 4, 4), Set.of());
        // Follower 2 has 1,1,1,2,2,2,2 at indexes 1..7 and rejects prev index 5 with its term 2 from index 4.
        leader.step(new AppendResponse(2, 1, 5, false, 5, 4, 2));
        List<AppendEntries> appends = ofType(drain(leader), AppendEntries.class);
        AppendEntries retry = appends.stream().filter(a -> a.to() == 2).findFirst().orElseThrow();
        assertEquals(3, retry.prevLogIndex(), "jumped straight past the follower's term-2 entries");
    }

    // Flow control: in replicate state at most maxInflightMessages appends are outstanding per follower.
    @Test
    void leaderBoundsInflightAppendsPerFollower() {
        RaftNode leader = leaderOf(1, List.of(), Set.of());
        leader.step(new AppendResponse(2, 1, 1, true, 1, 0, 0));
        leader.step(new AppendResponse(3, 1, 1, true, 1, 0, 0));
        drain(leader);
        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            leader.propose(new byte[] {(byte) i});
            sent.addAll(drain(leader));
        }
        long toTwo = ofType(sent, AppendEntries.class).stream().filter(a -> a.to() == 2 && !a.entries().isEmpty())
                .count();
        assertEquals(4, toTwo, "window of 4 messages, then the leader waits");
    }

    // Byte limit: one append carries at most about maxMessageBytes of entries (but always at least one).
    @Test
    void appendRespectsMessageByteLimit() {
        RaftConfig config = RaftConfig.builder(1).messageBytesMax(1000).inflightMessagesMax(4)
                .uncommittedBytesMax(1 << 26).preVote(false).build();
        RaftNode leader = node(config, THREE, new HardState(0, 0, 0), List.of());
        for (int i = 0; i < 25 && leader.role() != Role.CANDIDATE; i++) {
            leader.tick();
        }
        drain(leader);
        leader.step(new VoteResponse(2, 1, 1, true, false));
        drain(leader);
        leader.step(new AppendResponse(2, 1, 1, true, 1, 0, 0));
        drain(leader);
        List<byte[]> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(new byte[300]);
        }
        leader.propose(batch);
        for (AppendEntries append : ofType(drain(leader), AppendEntries.class)) {
            int bytes = append.entries().stream().mapToInt(Entry::sizeBytes).sum();
            assertTrue(append.entries().size() <= 1 || bytes <= 1000, "append of " + bytes + " bytes");
        }
    }
}
