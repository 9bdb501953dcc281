package io.rafty.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * The keys a watch or a history query is about: one exact key, or every key that starts with a
 * prefix (the empty prefix selects every key).
 *
 * @param bytes  the key or the prefix
 * @param prefix true for a prefix
 */
public record KeySelector(byte[] bytes, boolean prefix) {

    public KeySelector {
        Objects.requireNonNull(bytes, "bytes");
        if (!prefix && bytes.length == 0) {
            throw new IllegalArgumentException("an exact key must not be empty");
        }
    }

    public static KeySelector key(byte[] key) {
        return new KeySelector(key, false);
    }

    public static KeySelector prefix(byte[] prefix) {
        return new KeySelector(prefix, true);
    }

    public boolean matches(byte[] key) {
        if (!prefix) {
            return Arrays.equals(bytes, key);
        }
        return key.length >= bytes.length && Arrays.equals(key, 0, bytes.length, bytes, 0, bytes.length);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeySelector that && prefix == that.prefix && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(bytes) + (prefix ? 1 : 0);
    }

    @Override
    public String toString() {
        return (prefix ? "prefix " : "key ") + new Key(bytes);
    }
}
