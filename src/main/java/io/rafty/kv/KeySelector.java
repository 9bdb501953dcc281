package io.rafty.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * A set of keys: one exact key, every key that starts with a prefix (the empty prefix selects every
 * key), or every key in the half-open range {@code [bytes, end)} in unsigned-byte order (an empty
 * {@code end}: every key from {@code bytes} on; an {@code end} at or before {@code bytes}: no key).
 *
 * <p>Watches and history queries take a key or a prefix; transactions take all three forms.
 *
 * @param bytes  the key, the prefix, or the range's first key
 * @param prefix true for a prefix
 * @param end    the end of a range (exclusive; empty: no end), or null for a key or a prefix
 */
public record KeySelector(byte[] bytes, boolean prefix, byte[] end) {

    /** The three forms, for exhaustive switches. */
    public enum Kind { KEY, PREFIX, RANGE }

    private static final byte[] NO_END = new byte[0];

    public KeySelector {
        Objects.requireNonNull(bytes, "bytes");
        if (prefix && end != null) {
            throw new IllegalArgumentException("a prefix has no range end");
        }
        if (!prefix && end == null && bytes.length == 0) {
            throw new IllegalArgumentException("an exact key must not be empty");
        }
    }

    /** A key or a prefix. */
    public KeySelector(byte[] bytes, boolean prefix) {
        this(bytes, prefix, null);
    }

    public static KeySelector key(byte[] key) {
        return new KeySelector(key, false, null);
    }

    public static KeySelector prefix(byte[] prefix) {
        return new KeySelector(prefix, true, null);
    }

    /** The keys {@code [start, end)}; an empty {@code end} means every key from {@code start} on. */
    public static KeySelector range(byte[] start, byte[] end) {
        return new KeySelector(start, false, Objects.requireNonNull(end, "end"));
    }

    /** Every key from {@code start} on. */
    public static KeySelector from(byte[] start) {
        return range(start, NO_END);
    }

    public Kind kind() {
        return prefix ? Kind.PREFIX : end == null ? Kind.KEY : Kind.RANGE;
    }

    /** True for a prefix or a range: the selector may cover many keys. */
    public boolean many() {
        return kind() != Kind.KEY;
    }

    public boolean matches(byte[] key) {
        return switch (kind()) {
            case KEY -> Arrays.equals(bytes, key);
            case PREFIX -> key.length >= bytes.length && Arrays.equals(key, 0, bytes.length, bytes, 0, bytes.length);
            case RANGE -> Arrays.compareUnsigned(key, bytes) >= 0
                    && (end.length == 0 || Arrays.compareUnsigned(key, end) < 0);
        };
    }

    /** True when no key can match: a range whose end is at or before its start. */
    public boolean empty() {
        return kind() == Kind.RANGE && end.length != 0 && Arrays.compareUnsigned(end, bytes) <= 0;
    }

    /** The longest prefix every selected key shares: a scan under it sees every key selected. */
    public byte[] scanPrefix() {
        if (kind() != Kind.RANGE) {
            return bytes;
        }
        int common = 0;
        while (common < bytes.length && common < end.length && bytes[common] == end[common]) {
            common++;
        }
        return Arrays.copyOf(bytes, common);
    }

    /**
     * True when some key matches both selectors. Each selector is an interval of the key order (a key
     * {@code k} is {@code [k, k + "\0")}, a prefix {@code [p, prefixEnd(p))}), and two intervals overlap
     * when each starts before the other ends.
     */
    public boolean overlaps(KeySelector other) {
        if (empty() || other.empty()) {
            return false;
        }
        return before(bytes, other.upper()) && before(other.bytes, upper());
    }

    /** The first key after every selected one, or null when there is none (no upper bound). */
    private byte[] upper() {
        return switch (kind()) {
            case KEY -> Arrays.copyOf(bytes, bytes.length + 1);
            case PREFIX -> prefixEnd(bytes);
            case RANGE -> end.length == 0 ? null : end;
        };
    }

    private static boolean before(byte[] key, byte[] upper) {
        return upper == null || Arrays.compareUnsigned(key, upper) < 0;
    }

    /**
     * The first key after every key that starts with {@code prefix}: the last byte below 0xff
     * incremented and what follows it dropped; null when there is no such key (every byte is 0xff, or
     * the prefix is empty).
     */
    public static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return null;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeySelector that && prefix == that.prefix && Arrays.equals(bytes, that.bytes)
                && Arrays.equals(end, that.end);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Arrays.hashCode(bytes) + Arrays.hashCode(end)) + (prefix ? 1 : 0);
    }

    @Override
    public String toString() {
        return switch (kind()) {
            case KEY -> "key " + new Key(bytes);
            case PREFIX -> "prefix " + new Key(bytes);
            case RANGE -> "range [" + new Key(bytes) + ", " + (end.length == 0 ? "end" : new Key(end)) + ")";
        };
    }
}
