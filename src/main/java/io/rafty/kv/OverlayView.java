package io.rafty.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link KvView} of changes not yet stored, over a base view: a key in {@code changes} has the
 * state it maps to (null: deleted), every other key the base's. Scans merge the two in key order.
 */
final class OverlayView implements KvView {

    private final KvView base;
    private final Map<Key, KvEntry> changes;

    OverlayView(KvView base, Map<Key, KvEntry> changes) {
        this.base = base;
        this.changes = changes;
    }

    @Override
    public KvEntry get(byte[] key) {
        Key k = new Key(key);
        return changes.containsKey(k) ? changes.get(k) : base.get(key);
    }

    @Override
    public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        KeySelector selector = KeySelector.prefix(prefix);
        TreeMap<Key, KvEntry> merged = new TreeMap<>();
        for (Map.Entry<Key, KvEntry> change : changes.entrySet()) {
            byte[] key = change.getKey().bytes();
            if (selector.matches(key) && (after == null || Arrays.compareUnsigned(key, after) > 0)) {
                merged.put(change.getKey(), change.getValue());
            }
        }
        // Each changed key can hide at most one of the base's entries, so this many always suffice.
        int baseLimit = (int) Math.min(Integer.MAX_VALUE, (long) limit + merged.size());
        for (KvEntry entry : base.scan(prefix, after, baseLimit)) {
            Key key = new Key(entry.key());
            if (!merged.containsKey(key)) {
                // Not putIfAbsent: it would overwrite a deletion, which maps to null.
                merged.put(key, entry);
            }
        }
        List<KvEntry> found = new ArrayList<>();
        for (KvEntry entry : merged.values()) {
            if (found.size() >= limit) {
                break;
            }
            if (entry != null) {
                found.add(entry);
            }
        }
        return found;
    }
}
