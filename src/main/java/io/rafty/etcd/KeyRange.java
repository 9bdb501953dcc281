package io.rafty.etcd;

import com.google.protobuf.ByteString;
import io.rafty.kv.KeySelector;
import java.util.Arrays;

/**
 * The keys of an etcd request, by etcd's conventions for {@code key} and {@code range_end}: no
 * range_end is the one key; a range_end is the half-open range {@code [key, range_end)}; range_end
 * {@code "\0"} is every key from {@code key} on; key and range_end both {@code "\0"} is every key. A
 * prefix is the range up to the prefix's end ({@link #prefixEnd}), which is how clients ask for one.
 *
 * @param start the first key (inclusive)
 * @param end   the end (exclusive); null: only {@code start}; empty: no end
 */
public record KeyRange(byte[] start, byte[] end) {

    private static final byte[] NO_END = new byte[0];

    /**
     * The range a request names.
     *
     * @throws io.grpc.StatusRuntimeException {@link EtcdErrors#EMPTY_KEY} when {@code key} is empty
     */
    public static KeyRange of(ByteString key, ByteString rangeEnd) {
        if (key.isEmpty()) {
            throw EtcdErrors.EMPTY_KEY;
        }
        byte[] start = key.toByteArray();
        if (rangeEnd.isEmpty()) {
            return new KeyRange(start, null);
        }
        if (rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0) {
            // "\0" as the start too means every key: the empty key does not exist, so "from the first key".
            return new KeyRange(start.length == 1 && start[0] == 0 ? new byte[0] : start, NO_END);
        }
        return new KeyRange(start, rangeEnd.toByteArray());
    }

    public boolean single() {
        return end == null;
    }

    /** True when {@code key} is in the range. */
    public boolean contains(byte[] key) {
        if (end == null) {
            return Arrays.equals(start, key);
        }
        return Arrays.compareUnsigned(key, start) >= 0 && (end.length == 0 || Arrays.compareUnsigned(key, end) < 0);
    }

    /** True when no key in the range sorts at or after {@code key}'s successors, i.e. a scan may stop. */
    public boolean endsBefore(byte[] key) {
        return end == null ? Arrays.compareUnsigned(key, start) > 0
                : end.length != 0 && Arrays.compareUnsigned(key, end) >= 0;
    }

    /** The longest prefix every key of the range shares: a scan under it sees the whole range. */
    public byte[] scanPrefix() {
        if (end == null) {
            return start;
        }
        if (end.length == 0) {
            return new byte[0];
        }
        int common = 0;
        while (common < start.length && common < end.length && start[common] == end[common]) {
            common++;
        }
        return Arrays.copyOf(start, common);
    }

    /**
     * The range as one of Rafty's selectors: one key; a prefix when the range is exactly the keys that
     * start with {@code start} (how clients ask for a prefix, and "every key"); otherwise the range.
     */
    public KeySelector selector() {
        if (end == null) {
            return KeySelector.key(start);
        }
        if (end.length == 0) {
            // From a key of 0xff bytes on is the prefix of that key too (it has no prefix end).
            return start.length == 0 || prefixEnd(start) == null ? KeySelector.prefix(start) : KeySelector.from(start);
        }
        byte[] prefixEnd = prefixEnd(start);
        return prefixEnd != null && Arrays.equals(prefixEnd, end) ? KeySelector.prefix(start)
                : KeySelector.range(start, end);
    }

    /**
     * The first key after every key that starts with {@code prefix}: the last byte below 0xff
     * incremented and what follows it dropped; null when every byte is 0xff (no such key).
     */
    public static byte[] prefixEnd(byte[] prefix) {
        return KeySelector.prefixEnd(prefix);
    }
}
