package io.rafty.raft.quorum;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Majority math over one set of voters. Joint consensus (two majorities) will compose two of
 * these; nothing here knows about roles or messages.
 */
public final class MajorityQuorum {

    /** What a vote tally amounts to so far. */
    public enum VoteResult { PENDING, WON, LOST }

    private final Set<Integer> voters;

    public MajorityQuorum(Set<Integer> voters) {
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("a quorum needs at least one voter");
        }
        this.voters = Set.copyOf(voters);
    }

    public int size() {
        return voters.size() / 2 + 1;
    }

    /**
     * The largest value that a majority of voters has reached: with match indexes, the highest
     * index stored on a majority. A voter missing from {@code acknowledged} counts as 0.
     */
    public long committedIndex(Map<Integer, Long> acknowledged) {
        long[] values = new long[voters.size()];
        int i = 0;
        for (int voter : voters) {
            values[i++] = acknowledged.getOrDefault(voter, 0L);
        }
        Arrays.sort(values);
        // Ascending order: the element at position n - quorum is reached by exactly a quorum.
        return values[values.length - size()];
    }

    /** Tallies granted and rejected votes; votes from non-voters are ignored. */
    public VoteResult tally(Map<Integer, Boolean> votes) {
        int granted = 0;
        int rejected = 0;
        for (int voter : voters) {
            Boolean vote = votes.get(voter);
            if (vote == null) {
                continue;
            }
            if (vote) {
                granted++;
            } else {
                rejected++;
            }
        }
        if (granted >= size()) {
            return VoteResult.WON;
        }
        if (rejected > voters.size() - size()) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    /** True when the given voters include a majority. */
    public boolean isMajority(Set<Integer> active) {
        int count = 0;
        for (int voter : voters) {
            if (active.contains(voter)) {
                count++;
            }
        }
        return count >= size();
    }
}
