package io.rafty.raft.quorum;

import java.util.Arrays;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Majority math over one set of voters, and the only place in Rafty that knows what a majority is.
 * Joint consensus (two majorities) would compose two of these; nothing here knows about roles,
 * messages or storage.
 *
 * <p>The questions are asked through views ({@link AckedIndexer}, {@link VoteLookup},
 * {@link IntPredicate}) rather than maps, so the leader's commit rule, which runs on every
 * acknowledgement, allocates nothing: the voters are an array and the sort works in a scratch array
 * owned by this quorum. That makes an instance single-threaded, like the {@code RaftNode} that owns it.
 */
public final class MajorityQuorum {

    /** What a vote tally amounts to so far. */
    public enum VoteResult { PENDING, WON, LOST }

    /** The highest value (a match index, a ReadIndex round) a voter has acknowledged; 0 for none. */
    @FunctionalInterface
    public interface AckedIndexer {
        long acknowledged(int voter);
    }

    /** A voter's vote: {@code TRUE} granted, {@code FALSE} rejected, {@code null} not heard from. */
    @FunctionalInterface
    public interface VoteLookup {
        Boolean vote(int voter);
    }

    private final int[] voters;
    private final long[] scratch;

    public MajorityQuorum(Set<Integer> voters) {
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("a quorum needs at least one voter");
        }
        this.voters = voters.stream().mapToInt(Integer::intValue).sorted().toArray();
        this.scratch = new long[this.voters.length];
    }

    /** How many of {@code voterCount} voters make a majority. */
    public static int size(int voterCount) {
        return voterCount / 2 + 1;
    }

    /** How many voters make a majority of this quorum. */
    public int size() {
        return size(voters.length);
    }

    /**
     * The largest value that a majority of voters has reached: with match indexes, the highest
     * index stored on a majority.
     */
    public long committedIndex(AckedIndexer acknowledged) {
        for (int i = 0; i < voters.length; i++) {
            scratch[i] = acknowledged.acknowledged(voters[i]);
        }
        Arrays.sort(scratch);
        // Ascending order: the element at position n - quorum is reached by exactly a quorum.
        return scratch[voters.length - size()];
    }

    /** Tallies granted and rejected votes; votes from non-voters are never asked for. */
    public VoteResult tally(VoteLookup votes) {
        int granted = 0;
        int rejected = 0;
        for (int voter : voters) {
            Boolean vote = votes.vote(voter);
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
        if (rejected > voters.length - size()) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    /** True when the voters for which {@code active} holds include a majority. */
    public boolean isMajority(IntPredicate active) {
        int count = 0;
        for (int voter : voters) {
            if (active.test(voter)) {
                count++;
            }
        }
        return count >= size();
    }
}
