package io.rafty.kv;

import java.util.Arrays;

/** Key bytes with content equality and unsigned lexicographic order, for maps and sorting. */
public record Key(byte[] bytes) implements Comparable<Key> {

    @Override
    public boolean equals(Object other) {
        return other instanceof Key that && Arrays.equals(bytes, that.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public int compareTo(Key other) {
        return Arrays.compareUnsigned(bytes, other.bytes);
    }

    @Override
    public String toString() {
        return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
    }
}
