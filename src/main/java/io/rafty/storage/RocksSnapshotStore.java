package io.rafty.storage;

import io.rafty.kv.KvEntry;
import io.rafty.raft.SnapshotMeta;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;

/** {@link SnapshotStore} over a {@link RocksStorage}: RocksDB snapshots for images, one batch to install. */
final class RocksSnapshotStore implements SnapshotStore {

    private final RocksStorage storage;
    private final RocksLogStore log;
    private final RocksKvStore kv;

    RocksSnapshotStore(RocksStorage storage, RocksLogStore log, RocksKvStore kv) {
        this.storage = storage;
        this.log = log;
        this.kv = kv;
    }

    @Override
    public long syncStateMachine() {
        storage.ensureOpen();
        long applied = kv.appliedIndex();
        try {
            // State-machine writes go to the WAL unsynced; syncing it makes them, and every earlier
            // write, durable without forcing a memtable flush.
            storage.db().flushWal(true);
        } catch (RocksDBException e) {
            throw storage.failure("syncing the state machine", e);
        }
        return applied;
    }

    @Override
    public StateImage openImage() {
        storage.ensureOpen();
        // The applied index lives in the same database, so reading it through the snapshot ties
        // the image to exactly the entries it covers.
        Snapshot snapshot = storage.db().getSnapshot();
        ReadOptions options = new ReadOptions().setSnapshot(snapshot);
        long applied;
        try {
            byte[] bytes = storage.db().get(storage.metaFamily(), options, RocksRecords.APPLIED_INDEX_KEY);
            applied = bytes == null ? 0 : RocksRecords.decodeIndex(bytes);
        } catch (RocksDBException e) {
            options.close();
            storage.db().releaseSnapshot(snapshot);
            throw storage.failure("reading the applied index of a snapshot", e);
        }
        RocksIterator iterator = storage.db().newIterator(storage.kvFamily(), options);
        iterator.seekToFirst();
        return new StateImage() {
            @Override
            public long appliedIndex() {
                return applied;
            }

            @Override
            public Iterator<ImageRecord> records() {
                return new Iterator<>() {
                    private boolean headerSent;

                    @Override
                    public boolean hasNext() {
                        storage.ensureOpen();
                        return !headerSent || iterator.isValid();
                    }

                    @Override
                    public ImageRecord next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        if (!headerSent) {
                            headerSent = true;
                            return new ImageRecord.Compaction(0);
                        }
                        KvEntry entry = RocksRecords.decodeKvEntry(iterator.key(), iterator.value());
                        iterator.next();
                        return new ImageRecord.Current(entry);
                    }
                };
            }

            @Override
            public void close() {
                iterator.close();
                options.close();
                if (!storageClosed()) {
                    storage.db().releaseSnapshot(snapshot);
                }
            }
        };
    }

    private boolean storageClosed() {
        try {
            storage.ensureOpen();
            return false;
        } catch (StorageException e) {
            return true;
        }
    }

    @Override
    public void install(SnapshotMeta meta, Iterator<ImageRecord> entries) {
        storage.ensureOpen();
        synchronized (log) {
            synchronized (kv) {
                try (WriteBatch batch = new WriteBatch()) {
                    deleteAllKeys(batch);
                    while (entries.hasNext()) {
                        if (entries.next() instanceof ImageRecord.Current current) {
                            KvEntry entry = current.entry();
                            batch.put(storage.kvFamily(), entry.key(), RocksRecords.encodeKvValue(entry));
                        }
                    }
                    batch.put(storage.metaFamily(), RocksRecords.APPLIED_INDEX_KEY, RocksRecords.indexKey(meta.index()));
                    long lastIndex = log.lastIndex();
                    batch.deleteRange(storage.logFamily(), RocksRecords.indexKey(0),
                            RocksRecords.indexKey(Math.max(lastIndex, meta.index()) + 1));
                    batch.put(storage.metaFamily(), RocksRecords.LOG_START_KEY,
                            RocksRecords.encodeLogStart(meta.index(), meta.term()));
                    batch.put(storage.metaFamily(), RocksRecords.MEMBERSHIP_KEY, meta.membership().encode());
                    storage.db().write(storage.syncedWrites(), batch);
                } catch (RocksDBException e) {
                    throw storage.failure("installing a snapshot through index " + meta.index(), e);
                }
                kv.resetAppliedIndex(meta.index());
                log.resetTo(meta.index(), meta.term(), meta.membership());
            }
        }
    }

    /** A range delete from the first key to just past the last one: every user key, whatever its bytes. */
    private void deleteAllKeys(WriteBatch batch) throws RocksDBException {
        try (RocksIterator iterator = storage.db().newIterator(storage.kvFamily())) {
            iterator.seekToFirst();
            if (!iterator.isValid()) {
                iterator.status();
                return;
            }
            byte[] first = iterator.key();
            iterator.seekToLast();
            byte[] last = iterator.key();
            byte[] pastLast = Arrays.copyOf(last, last.length + 1);
            batch.deleteRange(storage.kvFamily(), first, pastLast);
        }
    }

    /** Reclaims the disk space of compacted log entries (RocksDB drops range tombstones in compaction). */
    void compactLogFiles(long throughIndex) {
        try {
            storage.db().compactRange(storage.logFamily(), RocksRecords.indexKey(0),
                    RocksRecords.indexKey(throughIndex + 1));
        } catch (RocksDBException e) {
            throw storage.failure("compacting log files", e);
        }
    }
}
