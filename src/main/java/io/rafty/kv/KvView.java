package io.rafty.kv;

import java.util.List;

/**
 * A consistent state to evaluate a {@link Txn} against: the store plus the changes of the batch being
 * applied, or the store as of one revision for a read-only transaction.
 */
public interface KvView {

    /** The key's state, or null when absent. */
    KvEntry get(byte[] key);

    /** Entries whose key starts with {@code prefix}, in unsigned-byte key order, at most {@code limit}. */
    List<KvEntry> scan(byte[] prefix, int limit);

    /** The store as of {@code revision} (its history): what a read-only transaction reads. */
    static KvView at(KvStore store, long revision) {
        return new KvView() {
            @Override
            public KvEntry get(byte[] key) {
                return store.getAt(key, revision);
            }

            @Override
            public List<KvEntry> scan(byte[] prefix, int limit) {
                return store.listAt(prefix, null, limit, revision).entries();
            }
        };
    }
}
