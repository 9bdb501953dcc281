package io.rafty.storage;

import java.util.Arrays;

/**
 * The key range of a {@link io.rafty.kv.KvStore#scan}: keys that start with {@code prefix} and sort
 * strictly after {@code after}, in unsigned byte order (RocksDB's default bytewise comparator agrees).
 *
 * @param prefix the required key prefix; empty matches every key
 * @param after  the exclusive lower bound, or null
 * @param limit  the most entries to return
 */
record ScanRange(byte[] prefix, byte[] after, int limit) {

    private static final byte[] EMPTY = new byte[0];

    ScanRange {
        prefix = prefix == null ? EMPTY : prefix;
        if (limit < 0) {
            throw new IllegalArgumentException("scan limit must be >= 0, was " + limit);
        }
    }

    /** The first key the scan may start from (inclusive); skip it if {@link #excludes} says so. */
    byte[] startKey() {
        return after != null && Arrays.compareUnsigned(after, prefix) > 0 ? after : prefix;
    }

    /** True for the {@code after} key itself, which the scan must not return. */
    boolean excludes(byte[] key) {
        return after != null && Arrays.equals(key, after);
    }

    /** True while iteration in key order is still inside the prefix. */
    boolean inPrefix(byte[] key) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
