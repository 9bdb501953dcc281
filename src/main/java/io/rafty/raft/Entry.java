package io.rafty.raft;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One log entry. The payload is owned by the entry once created: callers must not mutate it.
 *
 * @param term    the leader's term when the entry was appended
 * @param index   its position in the log, starting at 1
 * @param type    what the payload means
 * @param payload the bytes to replicate; empty for a no-op, never null
 */
public record Entry(long term, long index, EntryType type, byte[] payload) {

    private static final byte[] EMPTY = new byte[0];

    public Entry {
        Objects.requireNonNull(type, "type");
        if (term < 1) {
            throw new IllegalArgumentException("entry term must be >= 1, was " + term);
        }
        if (index < 1) {
            throw new IllegalArgumentException("entry index must be >= 1, was " + index);
        }
        payload = payload == null ? EMPTY : payload;
    }

    public static Entry noop(long term, long index) {
        return new Entry(term, index, EntryType.NOOP, EMPTY);
    }

    /**
     * The no-op a leader appends when it takes office, carrying {@code clusterId} when it is the first
     * leader of a new cluster (0: an ordinary, empty no-op). The first such entry to commit names the
     * cluster for good.
     */
    public static Entry noop(long term, long index, long clusterId) {
        if (clusterId == 0) {
            return noop(term, index);
        }
        return new Entry(term, index, EntryType.NOOP, ByteBuffer.allocate(Long.BYTES).putLong(clusterId).array());
    }

    /** The cluster id this entry founds, or 0 when it is not a cluster's founding no-op. */
    public long clusterId() {
        if (type != EntryType.NOOP || payload.length != Long.BYTES) {
            return 0;
        }
        return ByteBuffer.wrap(payload).getLong();
    }

    public static Entry command(long term, long index, byte[] payload) {
        return new Entry(term, index, EntryType.COMMAND, payload);
    }

    /** The approximate size on the wire, used for per-message byte limits. */
    public int sizeBytes() {
        return payload.length + 24;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Entry that
                && term == that.term
                && index == that.index
                && type == that.type
                && Arrays.equals(payload, that.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(term, index, type, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Entry[" + index + "@" + term + " " + type + " " + payload.length + "B]";
    }
}
