package io.rafty.raft.quorum;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.management.ThreadMXBean;
import io.rafty.raft.quorum.MajorityQuorum.VoteResult;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one majority implementation, asked directly (Raft §5.2 votes, §5.3 / §5.4.2 commit). */
class MajorityQuorumTest {

    @Test
    void majorityIsMoreThanHalfOfTheVoters() {
        assertEquals(1, MajorityQuorum.size(1));
        assertEquals(2, MajorityQuorum.size(2));
        assertEquals(2, MajorityQuorum.size(3));
        assertEquals(3, MajorityQuorum.size(4));
        assertEquals(3, MajorityQuorum.size(5));
        assertEquals(3, new MajorityQuorum(Set.of(1, 2, 3, 4, 5)).size());
    }

    @Test
    void aQuorumNeedsAVoter() {
        assertThrows(IllegalArgumentException.class, () -> new MajorityQuorum(Set.of()));
    }

    // §5.3: an entry is committed once stored on a majority; the commit index is the majority's minimum.
    @Test
    void committedIndexIsTheHighestIndexOnAMajority() {
        MajorityQuorum three = new MajorityQuorum(Set.of(1, 2, 3));
        Map<Integer, Long> match = Map.of(1, 9L, 2, 4L, 3, 7L);
        assertEquals(7, three.committedIndex(voter -> match.get(voter)));

        MajorityQuorum four = new MajorityQuorum(Set.of(1, 2, 3, 4));
        Map<Integer, Long> evenMatch = Map.of(1, 9L, 2, 4L, 3, 7L, 4, 5L);
        assertEquals(5, four.committedIndex(voter -> evenMatch.get(voter)));

        assertEquals(12, new MajorityQuorum(Set.of(7)).committedIndex(voter -> 12));
    }

    @Test
    void committedIndexAsksOnlyVoters() {
        MajorityQuorum three = new MajorityQuorum(Set.of(1, 2, 3));
        // A learner (4) far ahead must not lift the commit index.
        assertEquals(3, three.committedIndex(voter -> {
            assertTrue(voter >= 1 && voter <= 3, "asked non-voter " + voter);
            return voter == 1 ? 10 : 3;
        }));
    }

    // §5.2: a candidate wins with a majority of grants and has lost once a majority can no longer grant.
    @Test
    void tallyWinsLosesOrWaits() {
        MajorityQuorum five = new MajorityQuorum(Set.of(1, 2, 3, 4, 5));
        assertEquals(VoteResult.PENDING, five.tally(Map.of(1, true, 2, true)::get));
        assertEquals(VoteResult.WON, five.tally(Map.of(1, true, 2, true, 4, true)::get));
        assertEquals(VoteResult.PENDING, five.tally(Map.of(1, true, 2, false, 3, false)::get));
        assertEquals(VoteResult.LOST, five.tally(Map.of(1, true, 2, false, 3, false, 5, false)::get));
    }

    @Test
    void tallyIgnoresVotesOfNonVoters() {
        MajorityQuorum three = new MajorityQuorum(Set.of(1, 2, 3));
        assertEquals(VoteResult.PENDING, three.tally(Map.of(1, true, 8, true, 9, true)::get));
        assertEquals(VoteResult.PENDING, three.tally(Map.of(1, true, 8, false, 9, false)::get));
    }

    @Test
    void isMajorityCountsOnlyVoters() {
        MajorityQuorum three = new MajorityQuorum(Set.of(1, 2, 3));
        assertTrue(three.isMajority(voter -> voter != 3));
        assertFalse(three.isMajority(voter -> voter == 1 || voter > 3));
    }

    // The commit rule runs on every acknowledgement: asking the quorum must not allocate.
    @Test
    void committedIndexDoesNotAllocate() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof ThreadMXBean, "no per-thread allocation counter here");
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(),
                "per-thread allocation counting is off");
        MajorityQuorum five = new MajorityQuorum(Set.of(1, 2, 3, 4, 5));
        long[] match = {0, 40, 10, 30, 20, 50};
        MajorityQuorum.AckedIndexer view = voter -> match[voter];
        long sum = 0;
        for (int i = 0; i < 20_000; i++) {
            sum += five.committedIndex(view);
        }
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 100_000; i++) {
            sum += five.committedIndex(view);
        }
        long allocated = threads.getThreadAllocatedBytes(thread) - before;
        assertEquals(120_000L * 30, sum);
        // A map or array per call would be megabytes over 100 000 calls; the counter itself costs a little.
        assertTrue(allocated < 100_000, "100 000 commit-index questions allocated " + allocated + " bytes");
    }
}
