package io.rafty.storage;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.KvEntry;
import io.rafty.kv.Lease;
import io.rafty.raft.SnapshotMeta;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * {@link SnapshotStore} over a {@link RocksStorage}: RocksDB snapshots for images (the {@code kv},
 * {@code history} and {@code dedup} families and the compact revision, read through one view), one
 * batch to install.
 */
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
        // State-machine writes skip the WAL, so only a flush makes them durable; the log may be cut
        // through the returned index once this returns.
        storage.flushStateMachine();
        return applied;
    }

    @Override
    public StateImage openImage() {
        // The applied index and compact revision live in the same database, so reading them through
        // the view's snapshot ties the image to exactly the records it covers.
        RocksView view = storage.view();
        RocksIterator current;
        RocksIterator history;
        RocksIterator dedups;
        RocksIterator leases;
        try {
            current = view.iterator(storage.kvFamily());
            history = view.iterator(storage.historyFamily());
            dedups = view.iterator(storage.dedupFamily());
            leases = view.iterator(storage.leaseFamily());
        } catch (RuntimeException e) {
            view.close();
            throw e;
        }
        byte[] storedAuth = storage.readMeta(view.options(), RocksRecords.AUTH_KEY);
        current.seekToFirst();
        history.seekToFirst();
        dedups.seek(new byte[] {RocksRecords.DEDUP_ENTRY});
        leases.seek(new byte[] {RocksRecords.LEASE_ENTRY});
        return new StateImage() {
            @Override
            public long appliedIndex() {
                return view.appliedIndex();
            }

            @Override
            public Iterator<ImageRecord> records() {
                return new Iterator<>() {
                    private boolean headerSent;
                    /** The auth table is the last record, when the image has one. */
                    private boolean authLeft = storedAuth != null;

                    @Override
                    public boolean hasNext() {
                        storage.ensureOpen();
                        return !headerSent || current.isValid() || history.isValid() || dedupLeft() || leaseLeft()
                                || authLeft || failed();
                    }

                    /** The leases come first in their family, the attachments (rebuilt from the keys) after. */
                    private boolean leaseLeft() {
                        return leases.isValid() && leases.key()[0] == RocksRecords.LEASE_ENTRY;
                    }

                    /** The table's entries come first in their family, its index by revision after them. */
                    private boolean dedupLeft() {
                        return dedups.isValid() && dedups.key()[0] == RocksRecords.DEDUP_ENTRY;
                    }

                    /** Surfaces an iterator that stopped on an error instead of at the end. */
                    private boolean failed() {
                        try {
                            current.status();
                            history.status();
                            dedups.status();
                            leases.status();
                            return false;
                        } catch (RocksDBException e) {
                            throw storage.failure("reading a snapshot image", e);
                        }
                    }

                    @Override
                    public ImageRecord next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        if (!headerSent) {
                            headerSent = true;
                            return new ImageRecord.Compaction(view.compactRevision());
                        }
                        if (current.isValid()) {
                            KvEntry entry = RocksRecords.decodeKvEntry(current.key(), current.value());
                            current.next();
                            return new ImageRecord.Current(entry);
                        }
                        if (!history.isValid() && !dedupLeft() && !leaseLeft()) {
                            authLeft = false;
                            try {
                                return new ImageRecord.Authorized(io.rafty.kv.AuthState.decode(storedAuth));
                            } catch (IllegalArgumentException e) {
                                throw new StorageException("corrupt auth table: " + e.getMessage());
                            }
                        }
                        if (!history.isValid() && !dedupLeft()) {
                            Lease lease = RocksRecords.decodeLease(leases.key(), leases.value());
                            leases.next();
                            return new ImageRecord.Leased(lease);
                        }
                        if (!history.isValid()) {
                            byte[] entryKey = dedups.key();
                            Dedup dedup = RocksRecords.decodeDedup(Arrays.copyOfRange(entryKey, 1, entryKey.length),
                                    dedups.value());
                            dedups.next();
                            return new ImageRecord.Deduped(dedup);
                        }
                        byte[] key = history.key();
                        Event event = RocksRecords.decodeHistoryEvent(RocksRecords.historyUserKey(key),
                                RocksRecords.historyRevision(key), history.value());
                        history.next();
                        return new ImageRecord.Past(event);
                    }
                };
            }

            @Override
            public void close() {
                current.close();
                history.close();
                dedups.close();
                leases.close();
                view.close();
            }
        };
    }

    /**
     * Replaces the state machine and the log in one synced batch: every kv, history and changes
     * record goes, the image's records come in, each history record with a changes record (so the
     * purge re-examines them all and drops what the image's compact revision no longer needs, as
     * {@link InMemoryKvStore} does), and the meta records follow. The batch holds the whole image in
     * memory (as it did before the history): an image of a few hundred megabytes needs that much
     * native memory here for a moment, which is the limit to lift when images grow beyond it.
     */
    @Override
    public void install(SnapshotMeta meta, Iterator<ImageRecord> records) {
        storage.ensureOpen();
        synchronized (log) {
            synchronized (kv) {
                long compactRevision = 0;
                try (WriteBatch batch = new WriteBatch()) {
                    deleteAllKeys(batch, storage.kvFamily());
                    deleteAllKeys(batch, storage.historyFamily());
                    deleteAllKeys(batch, storage.changesFamily());
                    deleteAllKeys(batch, storage.dedupFamily());
                    deleteAllKeys(batch, storage.leaseFamily());
                    batch.delete(storage.metaFamily(), RocksRecords.AUTH_KEY);
                    while (records.hasNext()) {
                        ImageRecord record = records.next();
                        if (record instanceof ImageRecord.Compaction compaction) {
                            compactRevision = compaction.compactRevision();
                        } else if (record instanceof ImageRecord.Current current) {
                            KvEntry entry = current.entry();
                            batch.put(storage.kvFamily(), entry.key(), RocksRecords.encodeKvValue(entry));
                            if (entry.lease() != 0) {
                                batch.put(storage.leaseFamily(), RocksRecords.leaseAttachmentKey(entry.lease(),
                                        entry.key()), new byte[0]);
                            }
                        } else if (record instanceof ImageRecord.Leased leased) {
                            batch.put(storage.leaseFamily(), RocksRecords.leaseKey(leased.lease().id()),
                                    RocksRecords.encodeLease(leased.lease()));
                        } else if (record instanceof ImageRecord.Authorized authorized) {
                            batch.put(storage.metaFamily(), RocksRecords.AUTH_KEY, authorized.auth().encode());
                        } else if (record instanceof ImageRecord.Deduped deduped) {
                            Dedup dedup = deduped.dedup();
                            batch.put(storage.dedupFamily(), RocksRecords.dedupKey(dedup.key()),
                                    RocksRecords.encodeDedupValue(dedup));
                            batch.put(storage.dedupFamily(), RocksRecords.dedupIndexKey(dedup.expiry(), dedup.key()),
                                    new byte[0]);
                        } else {
                            kv.putHistory(batch, ((ImageRecord.Past) record).event());
                        }
                    }
                    batch.put(storage.metaFamily(), RocksRecords.COMPACT_REVISION_KEY,
                            RocksRecords.indexKey(compactRevision));
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
                kv.resetAfterInstall(meta.index(), compactRevision);
                log.resetTo(meta.index(), meta.term(), meta.membership());
            }
        }
    }

    /** A range delete from the first key to just past the last one: every key of the family, whatever its bytes. */
    private void deleteAllKeys(WriteBatch batch, ColumnFamilyHandle family) throws RocksDBException {
        try (RocksIterator iterator = storage.db().newIterator(family)) {
            iterator.seekToFirst();
            if (!iterator.isValid()) {
                iterator.status();
                return;
            }
            byte[] first = iterator.key();
            iterator.seekToLast();
            byte[] last = iterator.key();
            byte[] pastLast = Arrays.copyOf(last, last.length + 1);
            batch.deleteRange(family, first, pastLast);
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
