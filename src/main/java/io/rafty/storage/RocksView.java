package io.rafty.storage;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * One consistent read of the state machine: a RocksDB snapshot, with the applied index and compact
 * revision read through it. A read that checks its revision against this view's bounds and then
 * iterates with {@link #iterator} cannot be torn by a concurrent write, purge or snapshot install:
 * it sees the database exactly as one moment left it. Close it (iterators first) to release the
 * snapshot, which otherwise pins old data in memory and on disk.
 */
final class RocksView implements AutoCloseable {

    private final RocksStorage storage;
    private final Snapshot snapshot;
    private final ReadOptions options;
    private final long appliedIndex;
    private final long compactRevision;

    RocksView(RocksStorage storage) {
        this.storage = storage;
        this.snapshot = storage.db().getSnapshot();
        this.options = new ReadOptions().setSnapshot(snapshot);
        try {
            this.appliedIndex = storage.readMetaIndex(options, RocksRecords.APPLIED_INDEX_KEY);
            this.compactRevision = storage.readMetaIndex(options, RocksRecords.COMPACT_REVISION_KEY);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    long appliedIndex() {
        return appliedIndex;
    }

    long compactRevision() {
        return compactRevision;
    }

    ReadOptions options() {
        return options;
    }

    /** An iterator over {@code family} as of this view; close it before the view. */
    RocksIterator iterator(ColumnFamilyHandle family) {
        storage.ensureOpen();
        return storage.db().newIterator(family, options);
    }

    @Override
    public void close() {
        options.close();
        // Releasing a snapshot of a closed database would touch freed native memory.
        if (!storage.isClosed()) {
            storage.db().releaseSnapshot(snapshot);
        }
    }
}
