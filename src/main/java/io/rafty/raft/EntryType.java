package io.rafty.raft;

/**
 * What a log entry carries. The type is part of the durable log format, so membership changes and
 * snapshots can be added without rewriting old logs; codes are stable and never reused.
 */
public enum EntryType {
    /** An opaque command for the replicated state machine (see {@code io.rafty.kv}). */
    COMMAND((byte) 1),
    /** The empty entry a new leader appends to commit everything before its term (Raft §8). */
    NOOP((byte) 2),
    /** A membership change; the payload is an encoded {@link Membership}. */
    CONFIGURATION((byte) 3);

    private final byte code;

    EntryType(byte code) {
        this.code = code;
    }

    public byte code() {
        return code;
    }

    public static EntryType fromCode(byte code) {
        for (EntryType type : values()) {
            if (type.code == code) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown entry type code " + code);
    }
}
