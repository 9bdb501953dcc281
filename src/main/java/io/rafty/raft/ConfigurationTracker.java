package io.rafty.raft;

import java.util.List;
import java.util.function.IntToLongFunction;

/**
 * Which configuration is in effect (dissertation §4.1): the one at the log start (from the snapshot,
 * or the initial one), and the latest in the log, which takes effect when appended, committed or not.
 * It owns those two and the index of the latest configuration entry, recomputes them when the log's
 * tail changes, and validates a leader's proposed change. What a change does to roles and progress is
 * the node's.
 */
final class ConfigurationTracker {

    private final RaftLog log;
    /** The configuration in effect at the log start. */
    private Membership base;
    /** The latest configuration in the log. */
    private Membership latest;
    /** The index of the latest configuration entry in the log, or 0 when there is none after the start. */
    private long lastConfigIndex;

    ConfigurationTracker(RaftLog log, Membership base) {
        this.log = log;
        this.base = base;
        this.latest = membershipAt(log.lastIndex());
        this.lastConfigIndex = lastConfigIndexAtOrBefore(log.lastIndex());
    }

    /** The latest configuration in the log. */
    Membership membership() {
        return latest;
    }

    Membership base() {
        return base;
    }

    long lastConfigIndex() {
        return lastConfigIndex;
    }

    /** The configuration in effect once the log through {@code index} is applied. */
    Membership membershipAt(long index) {
        long configIndex = lastConfigIndexAtOrBefore(Math.min(index, log.lastIndex()));
        return configIndex == 0 ? base : Membership.decode(log.entry(configIndex).payload());
    }

    /**
     * The configuration before the latest entry, when that entry is not committed yet (null otherwise):
     * a server it removes still campaigns as the member it was (§4.2.2).
     */
    Membership beforeUncommittedChange() {
        if (lastConfigIndex <= log.committed()) {
            return null;
        }
        return membershipAt(lastConfigIndex - 1);
    }

    /** The latest configuration is now {@code next} (appended, restored, or recomputed). */
    void set(Membership next) {
        latest = next;
    }

    /**
     * Refuses a leader's change to {@code next} that is not safe now, with the reason.
     *
     * @param committedInCurrentTerm whether the leader has committed an entry of its term
     * @param peerStorageId          the storage id each member's latest batch carried (0: not heard from)
     */
    void checkChange(Membership next, boolean committedInCurrentTerm, IntToLongFunction peerStorageId) {
        if (lastConfigIndex > log.committed()) {
            throw MembershipChangeException.busy("a membership change (entry " + lastConfigIndex
                    + ") is still in progress");
        }
        if (!committedInCurrentTerm) {
            // The single-server rule is only safe once the leader has committed in its own term
            // (the fix to the dissertation's algorithm, raft-dev 2015).
            throw MembershipChangeException.busy("the leader has not committed an entry of its term yet");
        }
        String refusal = latest.whyNotFollowedBy(next);
        if (refusal != null) {
            throw new MembershipChangeException(refusal);
        }
        if (next.bindsStorage()) {
            // The configuration must be able to commit: a quorum of its voters must answer from the
            // storage it binds them to, as far as this leader has heard. A voter whose disk was replaced
            // (and not rebuilt yet) does not; removing another voter then could leave nobody to commit.
            int answering = 0;
            for (int voter : next.voters()) {
                long storage = peerStorageId.applyAsLong(voter);
                if (storage != 0 && next.counts(voter, storage)) {
                    answering++;
                }
            }
            if (answering < next.quorum()) {
                throw new MembershipChangeException("only " + answering + " of the " + next.voters().size()
                        + " voters of that configuration are known to answer from the storage it binds them to,"
                        + " fewer than a quorum (a member whose disk was replaced must be rebuilt first)");
            }
        }
    }

    /** The leader appended a configuration entry at {@code index}; the node then sets it. */
    void appended(long index) {
        lastConfigIndex = index;
    }

    /**
     * Refuses, before anything is appended, entries whose configuration does not decode
     * ({@link IllegalArgumentException}): a malformed one must never be left in the log it would poison.
     */
    static void checkDecodable(List<Entry> entries) {
        for (Entry entry : entries) {
            if (entry.type() == EntryType.CONFIGURATION) {
                Membership.decode(entry.payload());
            }
        }
    }

    /**
     * Whether a follower's append of {@code entries} may have changed the latest configuration: it
     * carried one, or it truncated the entry that was the latest.
     */
    boolean changedByAppend(List<Entry> entries) {
        boolean truncated = lastConfigIndex > 0 && (lastConfigIndex > log.lastIndex()
                || log.entry(lastConfigIndex).type() != EntryType.CONFIGURATION);
        if (truncated) {
            return true;
        }
        for (Entry entry : entries) {
            if (entry.type() == EntryType.CONFIGURATION) {
                return true;
            }
        }
        return false;
    }

    /** Recomputes the latest configuration after the log's tail changed (appended or truncated) and returns it. */
    Membership latestInLog() {
        lastConfigIndex = lastConfigIndexAtOrBefore(log.lastIndex());
        return membershipAt(log.lastIndex());
    }

    /** The log is about to be compacted through {@code through}: the configuration there becomes the base. */
    void compacting(long through) {
        base = membershipAt(through);
        if (lastConfigIndex <= through) {
            lastConfigIndex = 0;
        }
    }

    /** A snapshot replaced the log; its configuration is the base (the node then sets it as the latest). */
    void restored(Membership snapshotMembership) {
        base = snapshotMembership;
        lastConfigIndex = 0;
    }

    private long lastConfigIndexAtOrBefore(long index) {
        for (long i = index; i > log.startIndex(); i--) {
            if (log.entry(i).type() == EntryType.CONFIGURATION) {
                return i;
            }
        }
        return 0;
    }
}
