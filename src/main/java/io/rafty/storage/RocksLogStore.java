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
    private volatile HardState hardState;
    private volatile Membership membership;

    RocksLogStore(RocksStorage storage) {
        this.storage = storage;
        this.lastIndex = loadLastIndex();
        byte[] hardStateBytes = getMeta(RocksRecords.HARD_STATE_KEY);
        this.hardState = hardStateBytes == null ? HardState.INITIAL : RocksRecords.decodeHardState(hardStateBytes);
        byte[] membershipBytes = getMeta(RocksRecords.MEMBERSHIP_KEY);
        this.membership = membershipBytes == null ? null : RocksRecords.decodeMembership(membershipBytes);
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

    /** Reads the whole log; verifies it is contiguous from 1, as the recovery contract promises. */
    @Override
    public List<Entry> entries() {
        storage.ensureOpen();
        List<Entry> entries = new ArrayList<>();
        try (RocksIterator iterator = storage.db().newIterator(storage.logFamily())) {
            for (iterator.seekToFirst(); iterator.isValid(); iterator.next()) {
                Entry entry = RocksRecords.decodeLogEntry(iterator.key(), iterator.value());
                if (entry.index() != entries.size() + 1) {
                    throw new StorageException("log in " + storage.directory() + " has a gap: expected entry "
                            + (entries.size() + 1) + " but found " + entry.index());
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
        LogAppendRules.requireAppendable(entries, lastIndex);
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
