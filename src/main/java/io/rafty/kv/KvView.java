package io.rafty.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A consistent state to evaluate a {@link Txn} against: the store plus the changes of the batch being
 * applied, or the store as of one revision for a read-only transaction.
 */
public interface KvView {

    /** Entries one step of {@link #select} asks for at a time, so a narrow range never reads far past its end. */
    int SELECT_PAGE_ENTRIES = 256;

    /** The key's state, or null when absent. */
    KvEntry get(byte[] key);

    /**
     * Entries whose key starts with {@code prefix} and sorts strictly after {@code after} (when not null),
     * in unsigned-byte key order, at most {@code limit}.
     */
    List<KvEntry> scan(byte[] prefix, byte[] after, int limit);

    /** Entries whose key starts with {@code prefix}, in unsigned-byte key order, at most {@code limit}. */
    default List<KvEntry> scan(byte[] prefix, int limit) {
        return scan(prefix, null, limit);
    }

    /**
     * The entries {@code keys} selects, in key order, at most {@code limit}. A range is read under its
     * {@link KeySelector#scanPrefix() scan prefix} from its first key, a page at a time, until a key at or
     * past its end: the cost follows the keys in the range, not the keys under the scan prefix.
     */
    default List<KvEntry> select(KeySelector keys, int limit) {
        List<KvEntry> found = new ArrayList<>();
        if (limit < 1 || keys.empty()) {
            return found;
        }
        switch (keys.kind()) {
            case KEY -> {
                KvEntry entry = get(keys.bytes());
                if (entry != null) {
                    found.add(entry);
                }
            }
            case PREFIX -> found.addAll(scan(keys.bytes(), limit));
            case RANGE -> {
                byte[] prefix = keys.scanPrefix();
                byte[] after = null;
                if (!Arrays.equals(prefix, keys.bytes())) {
                    // The scan is exclusive of its cursor: the first key itself is looked up on its own.
                    KvEntry first = get(keys.bytes());
                    if (first != null) {
                        found.add(first);
                    }
                    after = keys.bytes();
                }
                while (found.size() < limit) {
                    int asked = Math.min(limit - found.size(), SELECT_PAGE_ENTRIES);
                    List<KvEntry> page = scan(prefix, after, asked);
                    for (KvEntry entry : page) {
                        if (!keys.matches(entry.key())) {
                            return found;
                        }
                        found.add(entry);
                    }
                    if (page.size() < asked) {
                        break;
                    }
                    after = page.get(page.size() - 1).key();
                }
            }
        }
        return found;
    }

    /** The store as of {@code revision} (its history): what a read-only transaction reads. */
    static KvView at(KvStore store, long revision) {
        return new KvView() {
            @Override
            public KvEntry get(byte[] key) {
                return store.getAt(key, revision);
            }

            @Override
            public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
                return store.listAt(prefix, after, limit, revision).entries();
            }
        };
    }
}
