package io.rafty.raft.tracker;

import io.rafty.raft.quorum.MajorityQuorum;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.IntPredicate;

/**
 * What a node tracks about the other members (etcd's {@code tracker.ProgressTracker}): the leader's
 * {@link Progress} per member, a candidate's vote tally, and the questions asked of a majority
 * through them — the commit index, the latest ReadIndex round a quorum confirmed, whether a quorum
 * was heard from lately.
 *
 * <p>What a member says counts only if the configuration counts it from the storage it speaks from
 * ({@link StorageRule}); the node supplies that rule, so this package knows nothing of configurations.
 * The majority questions go through acknowledged-index views built once, so answering them on
 * every acknowledgement allocates nothing.
 */
public final class ProgressTracker {

    /** Whether what {@code member} says from {@code storageId} counts (the configuration's binding rule). */
    @FunctionalInterface
    public interface StorageRule {
        boolean counts(int member, long storageId);
    }

    private final int self;
    private final long selfStorageId;
    private final int inflightMessagesMax;
    private final StorageRule storageRule;
    /** Insertion order is the order appends and heartbeats go out in; it must stay deterministic. */
    private final Map<Integer, Progress> progress = new LinkedHashMap<>();
    private final Map<Integer, Boolean> votes = new HashMap<>();
    private MajorityQuorum quorum;

    /** This node's own acknowledgement while a majority question is asked (its stable index, its read round). */
    private long selfAcknowledged;
    private final MajorityQuorum.AckedIndexer matchIndexes = this::matchOf;
    private final MajorityQuorum.AckedIndexer readRounds = this::readRoundOf;
    private final MajorityQuorum.VoteLookup voteLookup = this::voteOf;
    private final IntPredicate recentlyActive = this::recentlyActive;

    public ProgressTracker(int self, long selfStorageId, int inflightMessagesMax, StorageRule storageRule,
                           Set<Integer> voters) {
        this.self = self;
        this.selfStorageId = selfStorageId;
        this.inflightMessagesMax = inflightMessagesMax;
        this.storageRule = storageRule;
        this.quorum = new MajorityQuorum(voters);
    }

    /** The voters changed (a configuration entry was appended, truncated or restored). */
    public void setVoters(Set<Integer> voters) {
        quorum = new MajorityQuorum(voters);
    }

    /** Forgets every member's progress and every vote (any role change). */
    public void reset() {
        votes.clear();
        progress.clear();
    }

    /**
     * Tracks exactly {@code members} (this node excepted): a member not tracked yet is added in
     * {@code members}' iteration order, probed from {@code nextIndex}; one no longer among them is dropped.
     */
    public void track(Set<Integer> members, long nextIndex) {
        for (int member : members) {
            if (member != self && !progress.containsKey(member)) {
                progress.put(member, new Progress(nextIndex, inflightMessagesMax));
            }
        }
        progress.keySet().removeIf(member -> !members.contains(member));
    }

    /** The progress of {@code member}, or null when it is not tracked (or this node does not lead). */
    public Progress get(int member) {
        return progress.get(member);
    }

    /** Visits every tracked member, in the order they were added. */
    public void forEach(BiConsumer<Integer, Progress> action) {
        progress.forEach(action);
    }

    /** Whether some follower waits for a commit notice ({@link Progress#commitNoticeDue}). */
    public boolean commitNoticeDue(long committed, long logStartIndex) {
        for (Progress pr : progress.values()) {
            if (pr.commitNoticeDue(committed, logStartIndex)) {
                return true;
            }
        }
        return false;
    }

    // ----- majority questions -----------------------------------------------------------------

    /**
     * The highest index stored on a quorum, this node's own log counting up to {@code selfStableIndex}
     * (the commit rule's candidate; §5.4.2's term check is the caller's).
     */
    public long committedIndex(long selfStableIndex) {
        selfAcknowledged = selfStableIndex;
        return quorum.committedIndex(matchIndexes);
    }

    /** The latest ReadIndex round a quorum has acknowledged, this node having sent {@code selfRound}. */
    public long confirmedReadRound(long selfRound) {
        selfAcknowledged = selfRound;
        return quorum.committedIndex(readRounds);
    }

    /**
     * Whether a quorum was heard from since the previous call (CheckQuorum); starts a new round, in
     * which every member must be heard from again.
     */
    public boolean quorumRecentlyActive() {
        boolean active = quorum.isMajority(recentlyActive);
        for (Progress pr : progress.values()) {
            pr.clearRecentActive();
        }
        return active;
    }

    /** Records {@code voter}'s answer (the caller counts a grant from storage the configuration does not count as a rejection). */
    public void recordVote(int voter, boolean granted) {
        votes.put(voter, granted);
    }

    /** What the recorded votes amount to. */
    public MajorityQuorum.VoteResult tallyVotes() {
        return quorum.tally(voteLookup);
    }

    private long matchOf(int voter) {
        if (voter == self) {
            return storageRule.counts(self, selfStorageId) ? selfAcknowledged : 0;
        }
        Progress pr = progress.get(voter);
        return pr != null && storageRule.counts(voter, pr.storageId()) ? pr.match() : 0;
    }

    private long readRoundOf(int voter) {
        if (voter == self) {
            return storageRule.counts(self, selfStorageId) ? selfAcknowledged : 0;
        }
        Progress pr = progress.get(voter);
        return pr != null && storageRule.counts(voter, pr.storageId()) ? pr.readAck() : 0;
    }

    private boolean recentlyActive(int voter) {
        if (voter == self) {
            return storageRule.counts(self, selfStorageId);
        }
        Progress pr = progress.get(voter);
        return pr != null && pr.recentActive() && storageRule.counts(voter, pr.storageId());
    }

    private Boolean voteOf(int voter) {
        return votes.get(voter);
    }

    @Override
    public String toString() {
        return progress.toString();
    }
}
