package io.rafty.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * The binary form of a {@link Command}, stored as the payload of a log entry. Every node decodes
 * the same bytes, so the format is part of the durable log: never change the meaning of an
 * existing version, add a new one instead.
 *
 * <pre>
 * version 1:
 *   u8   format version (1)
 *   u8   command type: 1 = put, 2 = delete, 3 = compact
 *   i64  revision                                   (compact only; nothing else follows)
 *   i32  key length, then the key bytes
 *   i32  value length, then the value bytes        (put only)
 *   u8   precondition flags (see FLAG_*)
 *   i32  prevValue length, then its bytes          (when FLAG_PREV_VALUE)
 *   i64  prevRevision                              (when FLAG_PREV_REVISION)
 * </pre>
 *
 * Integers are big-endian. Decoding checks every length against the bytes that remain, so a
 * corrupt or hostile payload fails with {@link IllegalArgumentException} instead of allocating
 * huge arrays or leaking buffer exceptions. Key and value size limits are the API layer's job;
 * the codec only guarantees structure.
 */
public final class CommandCodec {

    static final byte FORMAT_VERSION = 1;

    static final byte TYPE_PUT = 1;
    static final byte TYPE_DELETE = 2;
    static final byte TYPE_COMPACT = 3;

    static final int FLAG_PREV_VALUE = 1;
    static final int FLAG_PREV_REVISION = 1 << 1;
    static final int FLAG_PREV_EXIST = 1 << 2;
    /** The value of prevExist; meaningful only with {@link #FLAG_PREV_EXIST}. */
    static final int FLAG_PREV_EXIST_TRUE = 1 << 3;
    private static final int FLAGS_KNOWN = FLAG_PREV_VALUE | FLAG_PREV_REVISION | FLAG_PREV_EXIST | FLAG_PREV_EXIST_TRUE;

    private static final int HEADER_BYTES = 2;
    private static final int LENGTH_BYTES = Integer.BYTES;

    private CommandCodec() {
    }

    /** Encodes {@code command}; a null precondition is encoded as {@link Precondition#NONE}. */
    public static byte[] encode(Command command) {
        Objects.requireNonNull(command, "command");
        if (command instanceof Command.Compact compact) {
            return ByteBuffer.allocate(HEADER_BYTES + Long.BYTES).put(FORMAT_VERSION).put(TYPE_COMPACT)
                    .putLong(compact.revision()).array();
        }
        Command.KeyCommand keyCommand = (Command.KeyCommand) command;
        byte[] key = Objects.requireNonNull(keyCommand.key(), "key");
        Precondition precondition = Objects.requireNonNullElse(keyCommand.precondition(), Precondition.NONE);
        byte[] value = command instanceof Command.Put put ? Objects.requireNonNull(put.value(), "value") : null;

        ByteBuffer buffer = ByteBuffer.allocate(encodedSizeBytes(key, value, precondition));
        buffer.put(FORMAT_VERSION);
        buffer.put(command instanceof Command.Put ? TYPE_PUT : TYPE_DELETE);
        putBytes(buffer, key);
        if (value != null) {
            putBytes(buffer, value);
        }
        buffer.put((byte) flags(precondition));
        if (precondition.prevValue() != null) {
            putBytes(buffer, precondition.prevValue());
        }
        if (precondition.prevRevision() != null) {
            buffer.putLong(precondition.prevRevision());
        }
        return buffer.array();
    }

    /**
     * Decodes bytes produced by {@link #encode}.
     *
     * @throws IllegalArgumentException when the bytes are truncated, have trailing garbage, or use
     *                                  an unknown version, type or flag
     */
    public static Command decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        try {
            Command command = decodeFrom(buffer);
            if (buffer.hasRemaining()) {
                throw new IllegalArgumentException("malformed command: " + buffer.remaining() + " trailing bytes");
            }
            return command;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("malformed command: truncated after " + buffer.position()
                    + " of " + bytes.length + " bytes", e);
        }
    }

    private static Command decodeFrom(ByteBuffer buffer) {
        byte version = buffer.get();
        if (version != FORMAT_VERSION) {
            throw new IllegalArgumentException("unknown command format version " + version);
        }
        byte type = buffer.get();
        if (type == TYPE_COMPACT) {
            long revision = buffer.getLong();
            if (revision < 1) {
                throw new IllegalArgumentException("malformed command: compact revision " + revision);
            }
            return new Command.Compact(revision);
        }
        if (type != TYPE_PUT && type != TYPE_DELETE) {
            throw new IllegalArgumentException("unknown command type " + type);
        }
        byte[] key = getBytes(buffer, "key");
        byte[] value = type == TYPE_PUT ? getBytes(buffer, "value") : null;
        Precondition precondition = getPrecondition(buffer);
        return type == TYPE_PUT ? new Command.Put(key, value, precondition) : new Command.Delete(key, precondition);
    }

    private static Precondition getPrecondition(ByteBuffer buffer) {
        int flags = buffer.get() & 0xFF;
        if ((flags & ~FLAGS_KNOWN) != 0) {
            throw new IllegalArgumentException("unknown precondition flags 0x" + Integer.toHexString(flags));
        }
        if ((flags & FLAG_PREV_EXIST_TRUE) != 0 && (flags & FLAG_PREV_EXIST) == 0) {
            throw new IllegalArgumentException("precondition flags set prevExist's value without prevExist");
        }
        if (flags == 0) {
            return Precondition.NONE;
        }
        byte[] prevValue = (flags & FLAG_PREV_VALUE) != 0 ? getBytes(buffer, "prevValue") : null;
        Long prevRevision = (flags & FLAG_PREV_REVISION) != 0 ? buffer.getLong() : null;
        Boolean prevExist = (flags & FLAG_PREV_EXIST) != 0 ? (flags & FLAG_PREV_EXIST_TRUE) != 0 : null;
        return new Precondition(prevValue, prevRevision, prevExist);
    }

    private static int flags(Precondition precondition) {
        int flags = 0;
        if (precondition.prevValue() != null) {
            flags |= FLAG_PREV_VALUE;
        }
        if (precondition.prevRevision() != null) {
            flags |= FLAG_PREV_REVISION;
        }
        if (precondition.prevExist() != null) {
            flags |= FLAG_PREV_EXIST;
            if (precondition.prevExist()) {
                flags |= FLAG_PREV_EXIST_TRUE;
            }
        }
        return flags;
    }

    private static int encodedSizeBytes(byte[] key, byte[] value, Precondition precondition) {
        long size = HEADER_BYTES + LENGTH_BYTES + key.length + 1L;
        if (value != null) {
            size += LENGTH_BYTES + value.length;
        }
        if (precondition.prevValue() != null) {
            size += LENGTH_BYTES + precondition.prevValue().length;
        }
        if (precondition.prevRevision() != null) {
            size += Long.BYTES;
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("command too large to encode: " + size + " bytes");
        }
        return (int) size;
    }

    private static void putBytes(ByteBuffer buffer, byte[] bytes) {
        buffer.putInt(bytes.length);
        buffer.put(bytes);
    }

    private static byte[] getBytes(ByteBuffer buffer, String field) {
        int lengthBytes = buffer.getInt();
        if (lengthBytes < 0 || lengthBytes > buffer.remaining()) {
            throw new IllegalArgumentException("malformed command: " + field + " length " + lengthBytes
                    + " but " + buffer.remaining() + " bytes remain");
        }
        byte[] bytes = new byte[lengthBytes];
        buffer.get(bytes);
        return bytes;
    }
}
