package io.rafty.storage;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.util.ArrayList;
import java.util.List;

/**
 * The in-memory twin of {@link RocksLogStore}, for tests and the deterministic simulator.
 *
 * <p>Every {@link #save} is treated as synced the moment it returns, so this object's state is
 * exactly its "durable" state. {@link #reopen()} models a restart (clean or {@code kill -9}): it
 * returns a new store holding the same durable contents and sharing nothing with this one.
 * Entries are immutable records, so the copy is cheap.
 */
public final class InMemoryLogStore implements LogStore {

    /** The entry with index {@code i} is at position {@code i - logStartIndex - 1}. */
    private final List<Entry> entries;
    private long logStartIndex;
    private long logStartTerm;
    private HardState hardState;
    private Membership membership;
    private final long storageId;
    private boolean closed;

    /** Empty storage with storage id 1. */
    public InMemoryLogStore() {
        this(1);
    }

    /** Empty storage created with {@code storageId} (the simulator draws one per fresh disk). */
    public InMemoryLogStore(long storageId) {
        this(storageId, HardState.INITIAL, null, 0, 0, List.of());
    }

    private InMemoryLogStore(long storageId, HardState hardState, Membership membership, long logStartIndex,
                             long logStartTerm, List<Entry> entries) {
        if (storageId == 0) {
            throw new IllegalArgumentException("a storage id is never 0");
        }
        this.storageId = storageId;
        this.logStartIndex = logStartIndex;
        this.logStartTerm = logStartTerm;
        this.hardState = hardState;
        this.membership = membership;
        this.entries = new ArrayList<>(entries);
    }

    /**
     * A store with this one's durable contents, as a node would find them after a crash and restart.
     * Works whether or not this store was closed; the simulator simply abandons the old one.
     */
    public synchronized InMemoryLogStore reopen() {
        return new InMemoryLogStore(storageId, hardState, membership, logStartIndex, logStartTerm, entries);
    }

    @Override
    public long storageId() {
        return storageId;
    }

    @Override
    public synchronized HardState hardState() {
        ensureOpen();
        return hardState;
    }

    @Override
    public synchronized Membership membership() {
        ensureOpen();
        return membership;
    }

    @Override
    public synchronized List<Entry> entries() {
        ensureOpen();
        return List.copyOf(entries);
    }

    @Override
    public synchronized long lastIndex() {
        ensureOpen();
        return logStartIndex + entries.size();
    }

    @Override
    public synchronized long logStartIndex() {
        ensureOpen();
        return logStartIndex;
    }

    @Override
    public synchronized long logStartTerm() {
        ensureOpen();
        return logStartTerm;
    }

    @Override
    public synchronized void compact(long throughIndex) {
        ensureOpen();
        if (throughIndex <= logStartIndex) {
            return;
        }
        if (throughIndex > lastIndex()) {
            throw new IllegalArgumentException("cannot compact through " + throughIndex + ": the log ends at "
                    + lastIndex());
        }
        int removed = Math.toIntExact(throughIndex - logStartIndex);
        logStartTerm = entries.get(removed - 1).term();
        entries.subList(0, removed).clear();
        logStartIndex = throughIndex;
    }

    /** Replaces the whole log by a snapshot's position (see {@link InMemorySnapshotStore}). */
    synchronized void resetTo(long index, long term, Membership membership) {
        entries.clear();
        logStartIndex = index;
        logStartTerm = term;
        this.membership = membership;
    }

    @Override
    public synchronized void save(HardState hardState, List<Entry> entries) {
        ensureOpen();
        LogAppendRules.requireAppendable(entries, lastIndex(), logStartIndex);
        if (!entries.isEmpty()) {
            int firstPosition = Math.toIntExact(entries.get(0).index() - logStartIndex - 1);
            this.entries.subList(firstPosition, this.entries.size()).clear();
            this.entries.addAll(entries);
        }
        if (hardState != null) {
            this.hardState = hardState;
        }
    }

    @Override
    public synchronized void saveMembership(Membership membership) {
        ensureOpen();
        this.membership = membership;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) {
            throw new StorageException("in-memory log store is closed");
        }
    }
}
