package io.rafty.storage;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The Raft log and hard state in the {@code log} and {@code meta} column families of a
 * {@link RocksStorage}. Every write is one synced WriteBatch. The last index, hard state and
 * membership are cached in memory (loaded at open) so the hot path reads no disk.
 */
final class RocksLogStore implements LogStore {

    private final RocksStorage storage;
    private volatile long lastIndex;
    private volatile long logStartIndex;
    private volatile long logStartTerm;
    private volatile HardState hardState;
    private volatile Membership membership;
    private final long storageId;

    RocksLogStore(RocksStorage storage) {
        this.storage = storage;
        this.storageId = loadOrCreateStorageId();
        byte[] logStart = getMeta(RocksRecords.LOG_START_KEY);
        if (logStart != null) {
            long[] start = RocksRecords.decodeLogStart(logStart);
            this.logStartIndex = start[0];
            this.logStartTerm = start[1];
        }
        this.lastIndex = Math.max(loadLastIndex(), logStartIndex);
        byte[] hardStateBytes = getMeta(RocksRecords.HARD_STATE_KEY);
        this.hardState = hardStateBytes == null ? HardState.INITIAL : RocksRecords.decodeHardState(hardStateBytes);
        byte[] membershipBytes = getMeta(RocksRecords.MEMBERSHIP_KEY);
        this.membership = membershipBytes == null ? null : RocksRecords.decodeMembership(membershipBytes);
    }

    @Override
    public long storageId() {
        return storageId;
    }

    /**
     * The id this storage was created with; a storage without one (new, or written by a version
     * before storage ids) gets one now, synced before the node uses it.
     */
    private long loadOrCreateStorageId() {
        byte[] stored = getMeta(RocksRecords.STORAGE_ID_KEY);
        if (stored != null) {
            return RocksRecords.decodeIndex(stored);
        }
        long id = 0;
        java.security.SecureRandom random = new java.security.SecureRandom();
        while (id == 0) {
            id = random.nextLong();
        }
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(storage.metaFamily(), RocksRecords.STORAGE_ID_KEY, RocksRecords.indexKey(id));
            storage.db().write(storage.syncedWrites(), batch);
        } catch (RocksDBException e) {
            throw storage.failure("saving the storage id", e);
        }
        return id;
    }

    @Override
    public HardState hardState() {
        storage.ensureOpen();
        return hardState;
    }

    @Override
    public Membership membership() {
        storage.ensureOpen();
        return membership;
    }

    @Override
    public long lastIndex() {
        storage.ensureOpen();
        return lastIndex;
    }

    @Override
    public long logStartIndex() {
        storage.ensureOpen();
        return logStartIndex;
    }

    @Override
    public long logStartTerm() {
        storage.ensureOpen();
        return logStartTerm;
    }

    /** Reads the whole log; verifies it is contiguous after the log start, as the recovery contract promises. */
    @Override
    public List<Entry> entries() {
        storage.ensureOpen();
        List<Entry> entries = new ArrayList<>();
        try (RocksIterator iterator = storage.db().newIterator(storage.logFamily())) {
            for (iterator.seekToFirst(); iterator.isValid(); iterator.next()) {
                Entry entry = RocksRecords.decodeLogEntry(iterator.key(), iterator.value());
                long expected = logStartIndex + entries.size() + 1;
                if (entry.index() != expected) {
                    throw new StorageException("log in " + storage.directory() + " has a gap: expected entry "
                            + expected + " but found " + entry.index());
                }
                entries.add(entry);
            }
            iterator.status();
        } catch (RocksDBException e) {
            throw storage.failure("reading the log", e);
        }
        return Collections.unmodifiableList(entries);
    }

    @Override
    public synchronized void save(HardState hardState, List<Entry> entries) {
        storage.ensureOpen();
        LogAppendRules.requireAppendable(entries, lastIndex, logStartIndex);
        if (hardState == null && entries.isEmpty()) {
            return;
        }
        try (WriteBatch batch = new WriteBatch()) {
            if (!entries.isEmpty()) {
                long firstIndex = entries.get(0).index();
                if (firstIndex <= lastIndex) {
                    // Conflict truncation. The range tombstone precedes the puts in the batch, so
                    // the new entries at the same indexes survive it.
                    batch.deleteRange(storage.logFamily(), RocksRecords.indexKey(firstIndex),
                            RocksRecords.indexKey(lastIndex + 1));
                }
                for (Entry entry : entries) {
                    batch.put(storage.logFamily(), RocksRecords.indexKey(entry.index()),
                            RocksRecords.encodeLogValue(entry));
                }
            }
            if (hardState != null) {
                batch.put(storage.metaFamily(), RocksRecords.HARD_STATE_KEY, RocksRecords.encodeHardState(hardState));
            }
            storage.db().write(storage.syncedWrites(), batch);
        } catch (RocksDBException e) {
            throw storage.failure("saving " + entries.size() + " log entries", e);
        }
        if (!entries.isEmpty()) {
            lastIndex = entries.get(entries.size() - 1).index();
        }
        if (hardState != null) {
            this.hardState = hardState;
        }
    }

    @Override
    public synchronized void saveMembership(Membership membership) {
        storage.ensureOpen();
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(storage.metaFamily(), RocksRecords.MEMBERSHIP_KEY, membership.encode());
            storage.db().write(storage.syncedWrites(), batch);
        } catch (RocksDBException e) {
            throw storage.failure("saving the membership", e);
        }
        this.membership = membership;
    }

    @Override
    public synchronized void compact(long throughIndex) {
        storage.ensureOpen();
        if (throughIndex <= logStartIndex) {
            return;
        }
        if (throughIndex > lastIndex) {
            throw new IllegalArgumentException("cannot compact through " + throughIndex + ": the log ends at "
                    + lastIndex);
        }
        long term;
        try {
            byte[] value = storage.db().get(storage.logFamily(), RocksRecords.indexKey(throughIndex));
            if (value == null) {
                throw new StorageException("log entry " + throughIndex + " is missing in " + storage.directory());
            }
            term = RocksRecords.decodeLogEntry(RocksRecords.indexKey(throughIndex), value).term();
        } catch (RocksDBException e) {
            throw storage.failure("reading log entry " + throughIndex, e);
        }
        try (WriteBatch batch = new WriteBatch()) {
            batch.deleteRange(storage.logFamily(), RocksRecords.indexKey(0), RocksRecords.indexKey(throughIndex + 1));
            batch.put(storage.metaFamily(), RocksRecords.LOG_START_KEY, RocksRecords.encodeLogStart(throughIndex, term));
            storage.db().write(storage.syncedWrites(), batch);
        } catch (RocksDBException e) {
            throw storage.failure("compacting the log through " + throughIndex, e);
        }
        logStartIndex = throughIndex;
        logStartTerm = term;
    }

    /** Called by a snapshot install, which rewrote the log records in its own batch. */
    synchronized void resetTo(long index, long term, Membership membership) {
        logStartIndex = index;
        logStartTerm = term;
        lastIndex = index;
        this.membership = membership;
    }

    /** Does nothing: the database belongs to {@link RocksStorage}, which closes it. */
    @Override
    public void close() {
    }

    private long loadLastIndex() {
        try (RocksIterator iterator = storage.db().newIterator(storage.logFamily())) {
            iterator.seekToLast();
            if (iterator.isValid()) {
                return RocksRecords.decodeIndex(iterator.key());
            }
            iterator.status();
            return 0;
        } catch (RocksDBException e) {
            throw storage.failure("finding the last log index", e);
        }
    }

    private byte[] getMeta(byte[] key) {
        try {
            return storage.db().get(storage.metaFamily(), key);
        } catch (RocksDBException e) {
            throw storage.failure("reading meta record", e);
        }
    }
}
