package io.rafty.storage;

import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The state machine's keys in the {@code kv} column family of a {@link RocksStorage}, with the
 * applied index in {@code meta} under a reserved key. Each {@link #write} is one WriteBatch spanning
 * both families, so the applied index is exactly as durable as the changes it covers. Writes are
 * not synced: after a crash the node replays the (synced) log from the durable applied index.
 */
final class RocksKvStore implements KvStore {

    private final RocksStorage storage;
    private volatile long appliedIndex;

    RocksKvStore(RocksStorage storage) {
        this.storage = storage;
        this.appliedIndex = loadAppliedIndex();
    }

    @Override
    public long appliedIndex() {
        storage.ensureOpen();
        return appliedIndex;
    }

    @Override
    public KvEntry get(byte[] key) {
        storage.ensureOpen();
        try {
            byte[] value = storage.db().get(storage.kvFamily(), key);
            return value == null ? null : RocksRecords.decodeKvEntry(key.clone(), value);
        } catch (RocksDBException e) {
            throw storage.failure("reading a key", e);
        }
    }

    @Override
    public long compactRevision() {
        return 0;
    }

    @Override
    public Page list(byte[] prefix, byte[] after, int limit) {
        long revision = appliedIndex;
        return new Page(scan(prefix, after, limit), revision);
    }

    @Override
    public KvEntry getAt(byte[] key, long revision) {
        throw new UnsupportedOperationException("WIP: history on RocksDB");
    }

    @Override
    public Page listAt(byte[] prefix, byte[] after, int limit, long revision) {
        throw new UnsupportedOperationException("WIP: history on RocksDB");
    }

    @Override
    public HistoryPage history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        throw new UnsupportedOperationException("WIP: history on RocksDB");
    }

    @Override
    public int purgeHistory(int maxRecords) {
        return 0;
    }

    @Override
    public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        storage.ensureOpen();
        ScanRange range = new ScanRange(prefix, after, limit);
        List<KvEntry> found = new ArrayList<>();
        try (RocksIterator iterator = storage.db().newIterator(storage.kvFamily())) {
            for (iterator.seek(range.startKey()); iterator.isValid() && found.size() < range.limit(); iterator.next()) {
                byte[] key = iterator.key();
                if (!range.inPrefix(key)) {
                    break;
                }
                if (!range.excludes(key)) {
                    found.add(RocksRecords.decodeKvEntry(key, iterator.value()));
                }
            }
            iterator.status();
        } catch (RocksDBException e) {
            throw storage.failure("scanning keys", e);
        }
        return found;
    }

    @Override
    public synchronized void write(Map<Key, KvEntry> changes, List<Event> events, long compactRevision,
                                   long appliedIndex) {
        storage.ensureOpen();
        KvStoreRules.requireForward(this.appliedIndex, appliedIndex);
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<Key, KvEntry> change : changes.entrySet()) {
                byte[] key = change.getKey().bytes();
                if (change.getValue() == null) {
                    batch.delete(storage.kvFamily(), key);
                } else {
                    batch.put(storage.kvFamily(), key, RocksRecords.encodeKvValue(change.getValue()));
                }
            }
            batch.put(storage.metaFamily(), RocksRecords.APPLIED_INDEX_KEY, RocksRecords.indexKey(appliedIndex));
            storage.db().write(storage.bufferedWrites(), batch);
        } catch (RocksDBException e) {
            throw storage.failure("applying " + changes.size() + " changes up to index " + appliedIndex, e);
        }
        this.appliedIndex = appliedIndex;
    }

    /** Called by a snapshot install, which rewrote the kv records and applied index in its own batch. */
    synchronized void resetAppliedIndex(long index) {
        appliedIndex = index;
    }

    /** Does nothing: the database belongs to {@link RocksStorage}, which closes it. */
    @Override
    public void close() {
    }

    private long loadAppliedIndex() {
        try {
            byte[] bytes = storage.db().get(storage.metaFamily(), RocksRecords.APPLIED_INDEX_KEY);
            return bytes == null ? 0 : RocksRecords.decodeIndex(bytes);
        } catch (RocksDBException e) {
            throw storage.failure("reading the applied index", e);
        }
    }
}
