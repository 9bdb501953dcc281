package io.rafty.kv;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The entries the state machine stored most recently, so that a write to a key written a moment ago does
 * not read the key back from the store first. Every put and delete reads the key's current entry (its
 * version, create revision and the {@code prev} of its event); on RocksDB that is a memtable search that
 * grows with the memtable, on every node, for every write.
 *
 * <p>Only stored state is kept: an entry enters when its batch has been written (or when the store answered
 * a read of it), a deletion takes it out, and the oldest written leave first once the entries' bytes pass
 * the bound ({@code -Drafty.kv.recentWritesMb}, default 16; 0 turns the cache off). The cache is valid for
 * one store state only: it notes the applied index its last batch left and the store's
 * {@link KvStore#installs() install count}, and {@link #validate} empties it when either moved behind its
 * back (a snapshot install, a store rolled back to its last sync). Not thread-safe: the applying thread
 * only, as {@link KvStateMachine#apply} is.
 */
public final class RecentWrites {

    /** The bound in bytes, from {@code -Drafty.kv.recentWritesMb} (default 16 MiB). */
    public static final long DEFAULT_MAX_BYTES = Math.max(0, Long.getLong("rafty.kv.recentWritesMb", 16)) << 20;

    /** What an entry costs beyond its key and value bytes: the map node, the Key, the KvEntry and arrays. */
    static final int ENTRY_OVERHEAD_BYTES = 128;

    private final long maxBytes;
    /** In the order they were last stored: the eldest first. */
    private final LinkedHashMap<Key, KvEntry> entries = new LinkedHashMap<>();
    private long bytes;
    private long installs = -1;
    private long appliedIndex = -1;

    public RecentWrites(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** A cache bounded by {@link #DEFAULT_MAX_BYTES}. */
    public static RecentWrites withDefaultBound() {
        return new RecentWrites(DEFAULT_MAX_BYTES);
    }

    /**
     * Empties the cache unless the store is as this cache last left it: the same install count, and the
     * applied index of the last batch stored through this cache.
     */
    void validate(long storeInstalls, long storeAppliedIndex) {
        if (storeInstalls != installs || storeAppliedIndex != appliedIndex) {
            entries.clear();
            bytes = 0;
            installs = storeInstalls;
            appliedIndex = storeAppliedIndex;
        }
    }

    /** The stored entry of {@code key} when the cache holds it, else null (absent, or not cached). */
    KvEntry get(Key key) {
        return entries.get(key);
    }

    /** The store answered {@code entry} (not null) for its key: it is the stored state. */
    void read(Key key, KvEntry entry) {
        if (!entries.containsKey(key)) {
            put(key, entry);
        }
    }

    /** A batch with these {@code changes} (null: deleted) was stored, through {@code appliedIndex}. */
    void stored(Map<Key, KvEntry> changes, long appliedIndex) {
        for (Map.Entry<Key, KvEntry> change : changes.entrySet()) {
            KvEntry old = entries.remove(change.getKey());
            if (old != null) {
                bytes -= cost(old);
            }
            if (change.getValue() != null) {
                put(change.getKey(), change.getValue());
            }
        }
        this.appliedIndex = appliedIndex;
    }

    /** How many entries are held (for tests). */
    int size() {
        return entries.size();
    }

    /** Their bytes as counted against the bound (for tests). */
    long bytes() {
        return bytes;
    }

    private void put(Key key, KvEntry entry) {
        long cost = cost(entry);
        if (cost > maxBytes) {
            return;
        }
        entries.put(key, entry);
        bytes += cost;
        Iterator<KvEntry> eldest = entries.values().iterator();
        while (bytes > maxBytes) {
            bytes -= cost(eldest.next());
            eldest.remove();
        }
    }

    private static long cost(KvEntry entry) {
        return (long) entry.key().length + entry.value().length + ENTRY_OVERHEAD_BYTES;
    }
}
