package io.rafty.raft.tracker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.quorum.MajorityQuorum.VoteResult;
import io.rafty.raft.tracker.Progress.State;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The leader's per-follower flow control, asked directly (etcd's progress_test, Raft §5.3). */
class ProgressTest {

    private static Progress replicating(long match, int inflightMax) {
        Progress pr = new Progress(1, inflightMax);
        pr.maybeUpdate(match);
        pr.becomeReplicate();
        return pr;
    }

    @Test
    void probeSendsOneAppendAtATime() {
        Progress pr = new Progress(5, 8);
        assertFalse(pr.isPaused());
        pr.sentAppend(7, true);
        assertTrue(pr.isPaused());
        assertEquals(5, pr.next(), "a probe does not move next");
        assertTrue(pr.maybeUpdate(7));
        assertFalse(pr.isPaused());
        assertEquals(8, pr.next());
    }

    @Test
    void replicateStreamsUpToTheInflightWindow() {
        Progress pr = replicating(3, 2);
        pr.sentAppend(5, true);
        assertFalse(pr.isPaused());
        pr.sentAppend(8, true);
        assertTrue(pr.isPaused());
        assertEquals(9, pr.next());
        assertTrue(pr.maybeUpdate(5));
        assertEquals(1, pr.inflight());
        assertFalse(pr.isPaused());
    }

    @Test
    void maybeUpdateIgnoresStaleAcknowledgements() {
        Progress pr = replicating(6, 4);
        assertFalse(pr.maybeUpdate(4));
        assertEquals(6, pr.match());
        assertEquals(7, pr.next());
    }

    // §5.3 with fast backtracking: a rejection moves next back to the hint, never below match + 1.
    @Test
    void maybeDecreaseToMovesNextBackOnACurrentRejection() {
        Progress probing = new Progress(11, 4);
        probing.maybeUpdate(3);
        assertTrue(probing.maybeDecreaseTo(10, 6));
        assertEquals(6, probing.next());
        assertTrue(probing.maybeDecreaseTo(5, 1));
        assertEquals(4, probing.next(), "never at or below match");
    }

    @Test
    void maybeDecreaseToIgnoresStaleRejections() {
        Progress probing = new Progress(11, 4);
        assertFalse(probing.maybeDecreaseTo(7, 3), "not the answer to the current probe (next - 1 = 10)");
        assertEquals(11, probing.next());

        Progress streaming = replicating(9, 4);
        assertFalse(streaming.maybeDecreaseTo(8, 2), "below match while replicating");
        assertEquals(State.REPLICATE, streaming.state());
        assertTrue(streaming.maybeDecreaseTo(12, 11));
        assertEquals(State.PROBE, streaming.state());
        assertEquals(11, streaming.next());

        Progress snapshotting = new Progress(3, 4);
        snapshotting.becomeSnapshot();
        assertFalse(snapshotting.maybeDecreaseTo(2, 1));
    }

    @Test
    void snapshotStateWaitsForTheHostsReport() {
        Progress pr = new Progress(3, 4);
        pr.becomeSnapshot();
        assertTrue(pr.isPaused());
        pr.onSnapshotDelivered(40);
        assertEquals(State.PROBE, pr.state());
        assertEquals(41, pr.next());
        assertTrue(pr.isPaused(), "waits for the follower's answer before probing");
        pr.onHeartbeatResponse();
        assertFalse(pr.isPaused());

        Progress failed = new Progress(3, 4);
        failed.becomeSnapshot();
        failed.onSnapshotFailed();
        assertEquals(State.PROBE, failed.state());
        assertFalse(failed.isPaused());
    }

    @Test
    void heartbeatResponseRestartsAStalledStream() {
        Progress pr = replicating(4, 8);
        pr.sentAppend(9, true);
        pr.onHeartbeatResponse();
        assertEquals(State.REPLICATE, pr.state(), "the first response only records match");
        pr.onHeartbeatResponse();
        assertEquals(State.PROBE, pr.state(), "no acknowledgement for a heartbeat interval: probe again");
        assertEquals(5, pr.next());
    }

    @Test
    void heartbeatResponseFreesOneSlotOfAFullWindow() {
        Progress pr = replicating(4, 1);
        pr.sentAppend(9, true);
        assertTrue(pr.isPaused());
        pr.maybeUpdate(9);
        pr.sentAppend(12, true);
        pr.onHeartbeatResponse();
        assertFalse(pr.isPaused());
    }

    @Test
    void newStorageForgetsWhatTheFollowerAcknowledged() {
        Progress pr = replicating(8, 4);
        assertFalse(pr.observeStorage(77, 20), "first heard from");
        assertTrue(pr.maybeAcknowledgeRead(3));
        assertFalse(pr.observeStorage(77, 20));
        assertTrue(pr.observeStorage(78, 20));
        assertEquals(0, pr.match());
        assertEquals(20, pr.next());
        assertEquals(0, pr.readAck());
        assertEquals(State.PROBE, pr.state());
        assertEquals(78, pr.storageId());
    }

    @Test
    void duplicateForwardedBatchesAreRecognisedWithinTheWindow() {
        Progress pr = new Progress(1, 4);
        assertTrue(pr.firstProposal(5));
        assertFalse(pr.firstProposal(5));
        for (long context = 100; context < 100 + Progress.RECENT_PROPOSALS_MAX; context++) {
            pr.firstProposal(context);
        }
        assertTrue(pr.firstProposal(5), "the oldest context was forgotten");
    }

    @Test
    void commitNoticeIsDueForAForwarderThatHoldsCommittedEntries() {
        Progress pr = replicating(10, 4);
        assertFalse(pr.commitNoticeDue(10, 0), "forwarded nothing");
        pr.awaitCommit(9);
        assertTrue(pr.commitNoticeDue(10, 0));
        pr.sentCommit(10);
        assertFalse(pr.commitNoticeDue(12, 0), "already told as far as it holds");
    }

    @Test
    void trackerCountsOnlyWhatTheStorageRuleCounts() {
        // Member 3 speaks from storage the configuration does not count.
        ProgressTracker tracker = new ProgressTracker(1, 100, 4, (member, storage) -> storage != 300,
                Set.of(1, 2, 3));
        tracker.track(Set.of(1, 2, 3, 4), 1);
        tracker.get(2).observeStorage(200, 1);
        tracker.get(3).observeStorage(300, 1);
        tracker.get(2).maybeUpdate(5);
        tracker.get(3).maybeUpdate(9);
        tracker.get(4).maybeUpdate(9);
        assertEquals(5, tracker.committedIndex(9));
        assertEquals(0, tracker.committedIndex(0), "self and 2 make the quorum: with self at 0 nothing commits");

        assertTrue(tracker.quorumRecentlyActive(), "new members start active");
        tracker.get(3).markActive();
        assertFalse(tracker.quorumRecentlyActive(), "only 3, whose storage does not count, was heard from");

        tracker.recordVote(1, true);
        assertEquals(VoteResult.PENDING, tracker.tallyVotes());
        tracker.recordVote(2, true);
        assertEquals(VoteResult.WON, tracker.tallyVotes());
    }

    @Test
    void trackDropsMembersNoLongerInTheConfiguration() {
        ProgressTracker tracker = new ProgressTracker(1, 100, 4, (member, storage) -> true, Set.of(1, 2, 3));
        tracker.track(Set.of(1, 2, 3), 7);
        assertEquals(7, tracker.get(2).next());
        tracker.track(Set.of(1, 3), 9);
        assertNull(tracker.get(2));
        assertEquals(7, tracker.get(3).next(), "kept, not reset");
        assertNull(tracker.get(1), "the node does not track itself");
    }
}
