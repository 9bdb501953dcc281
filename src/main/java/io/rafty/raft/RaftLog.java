package io.rafty.raft;

import java.util.ArrayList;
import java.util.List;

/**
 * The node's in-memory copy of its log, with three cursors the host cares about:
 *
 * <pre>
 *   1 ........ stableIndex ........ unstableFrom-1 ........ lastIndex
 *   [ durable (acknowledged) ][ handed out to persist ][ not yet handed out ]
 *   1 ........ applying ...... committed
 *   [ handed out to apply ][ committed, not yet handed out ]
 * </pre>
 *
 * Like etcd's MemoryStorage, the whole log since the last compaction lives in memory; storage holds
 * the durable copy and is only read at start-up. Entries through {@code startIndex} have been
 * compacted away (the state machine holds their effect); only the term of {@code startIndex} is kept,
 * for the log-matching check of the entry after it.
 */
final class RaftLog {

    private final List<Entry> entries;
    private long startIndex;
    private long startTerm;
    private long committed;
    private long applying;
    private long stableIndex;
    private long unstableFrom;

    RaftLog(long startIndex, long startTerm, List<Entry> recovered, long committed, long applied) {
        this.startIndex = startIndex;
        this.startTerm = startTerm;
        this.entries = new ArrayList<>(recovered);
        this.stableIndex = startIndex + recovered.size();
        this.unstableFrom = stableIndex + 1;
        this.applying = applied;
        this.committed = Math.max(committed, applied);
        if (this.committed > lastIndex()) {
            // A commit index is only ever persisted after the entries it covers, so this is corruption.
            throw new IllegalStateException("commit index " + this.committed + " is past the log end " + lastIndex());
        }
    }

    long lastIndex() {
        return startIndex + entries.size();
    }

    /** The index before the first entry held; 0 when nothing was ever compacted. */
    long startIndex() {
        return startIndex;
    }

    long startTerm() {
        return startTerm;
    }

    long lastTerm() {
        return term(lastIndex());
    }

    /**
     * The term of the entry at {@code index}; 0 for index 0; -1 when the log has no such entry (past
     * the end, or compacted away).
     */
    long term(long index) {
        if (index == startIndex) {
            return startTerm;
        }
        if (index < startIndex || index > lastIndex()) {
            return -1;
        }
        return entries.get((int) (index - startIndex - 1)).term();
    }

    Entry entry(long index) {
        if (index <= startIndex || index > lastIndex()) {
            throw new IllegalArgumentException("no entry " + index + " in log (" + startIndex + ", " + lastIndex() + "]");
        }
        return entries.get((int) (index - startIndex - 1));
    }

    boolean matchTerm(long index, long term) {
        return term(index) == term;
    }

    long committed() {
        return committed;
    }

    long stableIndex() {
        return stableIndex;
    }

    long applying() {
        return applying;
    }

    /** True when a candidate's log is at least as up to date as this one (Raft §5.4.1). */
    boolean isUpToDate(long candidateLastIndex, long candidateLastTerm) {
        long lastTerm = lastTerm();
        return candidateLastTerm > lastTerm || (candidateLastTerm == lastTerm && candidateLastIndex >= lastIndex());
    }

    void append(Entry entry) {
        if (entry.index() != lastIndex() + 1) {
            throw new BrokenInvariantException("append of " + entry + " after last index " + lastIndex());
        }
        entries.add(entry);
    }

    /**
     * Appends {@code incoming}, which follow index {@code prevIndex}: entries already present with the
     * same term are kept, the first conflicting one and everything after it are replaced (Raft §5.3).
     * Returns the index of the last incoming entry.
     */
    long appendFollowing(long prevIndex, List<Entry> incoming) {
        int skip = 0;
        while (skip < incoming.size()) {
            Entry entry = incoming.get(skip);
            if (term(entry.index()) != entry.term()) {
                break;
            }
            skip++;
        }
        if (skip < incoming.size()) {
            long conflictIndex = incoming.get(skip).index();
            if (conflictIndex <= committed) {
                throw new BrokenInvariantException("conflict at committed index " + conflictIndex
                        + " (committed " + committed + "): log matching is broken");
            }
            truncateFrom(conflictIndex);
            for (int i = skip; i < incoming.size(); i++) {
                append(incoming.get(i));
            }
        }
        return prevIndex + incoming.size();
    }

    private void truncateFrom(long index) {
        while (lastIndex() >= index) {
            entries.remove(entries.size() - 1);
        }
        stableIndex = Math.min(stableIndex, index - 1);
        unstableFrom = Math.min(unstableFrom, index);
    }

    /** The first index of the term of the entry at {@code index}, walking back (not past the start). */
    long firstIndexOfTerm(long index) {
        long term = term(index);
        long first = index;
        while (first > startIndex + 1 && term(first - 1) == term) {
            first--;
        }
        return first;
    }

    /** The last index whose entry has {@code term}, or 0 when the log holds none. */
    long lastIndexOfTerm(long term) {
        for (long i = lastIndex(); i > startIndex; i--) {
            long t = term(i);
            if (t == term) {
                return i;
            }
            if (t < term) {
                return 0;
            }
        }
        return 0;
    }

    /** Entries in [from, lastIndex], cut after {@code maxBytes} (at least one entry when any). */
    List<Entry> slice(long from, int maxBytes) {
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = from; i <= lastIndex(); i++) {
            Entry entry = entry(i);
            bytes += entry.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(entry);
        }
        return out;
    }

    void commitTo(long index) {
        if (index > committed) {
            if (index > lastIndex()) {
                throw new BrokenInvariantException("commit " + index + " past last index " + lastIndex());
            }
            committed = index;
        }
    }

    boolean hasUnstable() {
        return unstableFrom <= lastIndex();
    }

    /** Hands out the entries not yet given to the host for persistence. */
    List<Entry> takeUnstable() {
        List<Entry> out = new ArrayList<>(entries.subList((int) (unstableFrom - startIndex - 1), entries.size()));
        unstableFrom = lastIndex() + 1;
        return out;
    }

    /** Marks entries up to {@code index} of {@code term} durable, unless they were replaced meanwhile. */
    void stableTo(long index, long term) {
        if (term(index) == term && index > stableIndex) {
            stableIndex = index;
        }
    }

    /**
     * Drops entries through {@code index}, which the host has captured durably in its state machine.
     * Only applied, persisted entries may go.
     */
    void compact(long index) {
        if (index <= startIndex) {
            return;
        }
        if (index > applying || index > stableIndex) {
            throw new IllegalStateException("cannot compact through " + index + ": applied " + applying
                    + ", persisted " + stableIndex);
        }
        long term = term(index);
        entries.subList(0, (int) (index - startIndex)).clear();
        startIndex = index;
        startTerm = term;
    }

    /**
     * Replaces the whole log by a snapshot's position (Raft §7): everything before it is in the
     * snapshot, nothing after it is kept, and it counts as committed, persisted and applied.
     */
    void restore(long index, long term) {
        entries.clear();
        startIndex = index;
        startTerm = term;
        committed = index;
        applying = index;
        stableIndex = index;
        unstableFrom = index + 1;
    }

    boolean hasCommittedToApply() {
        return committed > applying;
    }

    /** Hands out committed entries for the state machine, at most about {@code maxBytes}. */
    List<Entry> takeCommitted(int maxBytes) {
        List<Entry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = applying + 1; i <= committed; i++) {
            Entry entry = entry(i);
            bytes += entry.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(entry);
        }
        if (!out.isEmpty()) {
            applying = out.get(out.size() - 1).index();
        }
        return out;
    }
}
