package io.rafty.kv;

import java.util.List;
import java.util.Map;

/**
 * The state machine's storage: the keys, their metadata, and the applied index, which always
 * moves together with the writes it covers. Implementations may block (RocksDB): call them from a
 * worker thread, never an event loop.
 */
public interface KvStore extends AutoCloseable {

    /** The index of the last log entry whose effects are stored here (0 when empty). */
    long appliedIndex();

    /** The entry for {@code key}, or null when absent. */
    KvEntry get(byte[] key);

    /**
     * Entries whose key starts with {@code prefix} and sorts strictly after {@code after} (when not
     * null), in unsigned-byte key order, at most {@code limit} of them.
     */
    List<KvEntry> scan(byte[] prefix, byte[] after, int limit);

    /**
     * Stores {@code changes} (a null value deletes the key) and sets the applied index to
     * {@code appliedIndex}, atomically: after a crash either all of it is visible or none.
     * Keys are compared by content ({@link Key}).
     */
    void write(Map<Key, KvEntry> changes, long appliedIndex);

    @Override
    void close();
}
