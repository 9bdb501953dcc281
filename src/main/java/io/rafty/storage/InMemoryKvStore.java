package io.rafty.storage;

import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The in-memory twin of {@link RocksKvStore}, for tests and the simulator. Nothing survives the
 * process; after a simulated crash the simulator starts a fresh one and replays the log, which is
 * exactly what a node does when RocksDB lost its unsynced state-machine writes.
 * Synchronized so that concurrent readers see whole batches, as they would with RocksDB.
 */
public final class InMemoryKvStore implements KvStore {

    private final NavigableMap<Key, KvEntry> entries = new TreeMap<>();
    private long appliedIndex;

    @Override
    public synchronized long appliedIndex() {
        return appliedIndex;
    }

    @Override
    public synchronized KvEntry get(byte[] key) {
        return entries.get(new Key(key));
    }

    @Override
    public synchronized List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        ScanRange range = new ScanRange(prefix, after, limit);
        List<KvEntry> found = new ArrayList<>();
        for (Map.Entry<Key, KvEntry> entry : entries.tailMap(new Key(range.startKey()), true).entrySet()) {
            byte[] key = entry.getKey().bytes();
            if (found.size() >= range.limit() || !range.inPrefix(key)) {
                break;
            }
            if (!range.excludes(key)) {
                found.add(entry.getValue());
            }
        }
        return found;
    }

    @Override
    public synchronized void write(Map<Key, KvEntry> changes, long appliedIndex) {
        KvStoreRules.requireForward(this.appliedIndex, appliedIndex);
        changes.forEach((key, entry) -> {
            if (entry == null) {
                entries.remove(key);
            } else {
                entries.put(key, entry);
            }
        });
        this.appliedIndex = appliedIndex;
    }

    /** Replaces every entry and the applied index (see {@link InMemorySnapshotStore}). */
    synchronized void replaceAll(List<KvEntry> all, long appliedIndex) {
        entries.clear();
        for (KvEntry entry : all) {
            entries.put(new Key(entry.key()), entry);
        }
        this.appliedIndex = appliedIndex;
    }

    /**
     * An independent copy of this store as it is now. The simulator keeps one as what a crash leaves
     * of the state machine: RocksDB writes the state machine's batches unsynced, so a power cut loses
     * those after its last sync, and the node replays them from the log.
     */
    public synchronized InMemoryKvStore copy() {
        InMemoryKvStore copy = new InMemoryKvStore();
        copy.entries.putAll(entries);
        copy.appliedIndex = appliedIndex;
        return copy;
    }

    /** A copy of every entry in key order. */
    synchronized List<KvEntry> copyAll() {
        return new ArrayList<>(entries.values());
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}
