package io.rafty.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
 *   i64  lease                                     (put only, when FLAG_LEASE)
 *
 * a transaction (type 4) instead has, after the two header bytes:
 *   i32  compare count, then each compare:
 *          bytes key, u8 target (Txn.Target ordinal), u8 operator (Txn.Operator ordinal),
 *          bytes value (target VALUE) or i64 number (the other targets)
 *   i32  success op count, then each op; i32 failure op count, then each op. An op:
 *          u8 op type: 1 put, 2 delete key, 3 delete prefix, 4 get key, 5 get prefix
 *          bytes key (or prefix)
 *          bytes value, i64 lease                  (put)
 *          i32 limit, positive                     (get)
 * ("bytes" is an i32 length, then that many bytes.)
 *
 * a transaction in the second format (type 9), for what the first cannot say: compares over a range,
 * deletes and gets over a range, gets at a revision, puts that keep a key's value or lease, and nested
 * transactions. A transaction the first format can say is always encoded in it (so its bytes, and an
 * idempotency fingerprint made of them, stay what they were). After the two header bytes, a body:
 *   i32  compare count, then each compare:
 *          u8 flags (1: over a range), bytes key, u8 target, u8 operator, bytes value (target VALUE) or
 *          i64 number (the other targets), bytes range end (flag 1; empty: no end)
 *   i32  success op count, then each op; i32 failure op count, then each op. An op:
 *          u8 op type: 1 to 5 as in the first format, and
 *          6 delete range: bytes start, bytes end
 *          7 get: u8 keys (0 key, 1 prefix, 2 range), bytes key (or prefix, or start), bytes end (range),
 *            i32 limit (positive), i64 revision (0: the current state)
 *          8 put keeping: bytes key, bytes value, i64 lease, u8 flags (1 keep the value, 2 keep the lease)
 *          9 nested transaction: a body, at most Txn.MAX_NESTING_DEPTH deep in all
 *
 * an idempotent write (type 5) has: bytes idempotency key, i64 window in revisions (positive), bytes
 * the write's own encoding (a put, a delete or a transaction)
 *
 * leases: grant (type 6) i64 id, i64 ttlSeconds · revoke (type 7) i64 id · checkpoint (type 8) i32 n, then
 * n times i64 id, i64 ttlSeconds, i64 remainingMs
 *
 * an auth change (type 10): u8 change (1 enable, 2 put user, 3 delete user, 4 put role, 5 delete role), then
 *   enable: bytes root password hash, bytes signing key · put user: bytes name, u8 flags (1 has a password hash,
 *   2 has roles), bytes hash (flag 1), i32 n then n times bytes role (flag 2) · delete user, delete role: bytes
 *   name · put role: bytes name, i32 n then n times (bytes prefix, u8 access ordinal). Strings are UTF-8.
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
    static final byte TYPE_TXN = 4;
    static final byte TYPE_IDEMPOTENT = 5;
    static final byte TYPE_LEASE_GRANT = 6;
    static final byte TYPE_LEASE_REVOKE = 7;
    static final byte TYPE_LEASE_CHECKPOINT = 8;
    static final byte TYPE_TXN_SECOND_FORMAT = 9;
    static final byte TYPE_AUTH = 10;

    private static final byte OP_PUT = 1;
    private static final byte OP_DELETE_KEY = 2;
    private static final byte OP_DELETE_PREFIX = 3;
    private static final byte OP_GET_KEY = 4;
    private static final byte OP_GET_PREFIX = 5;
    private static final byte OP_DELETE_RANGE = 6;
    private static final byte OP_GET = 7;
    private static final byte OP_PUT_KEEPING = 8;
    private static final byte OP_TXN = 9;
    private static final byte COMPARE_OVER_RANGE = 1;
    private static final byte GET_KEY = 0;
    private static final byte GET_PREFIX = 1;
    private static final byte GET_RANGE = 2;
    private static final int PUT_KEEPS_VALUE = 1;
    private static final int PUT_KEEPS_LEASE = 2;
    private static final Txn.Target[] TARGETS = Txn.Target.values();
    private static final Txn.Operator[] OPERATORS = Txn.Operator.values();

    static final int FLAG_PREV_VALUE = 1;
    static final int FLAG_PREV_REVISION = 1 << 1;
    static final int FLAG_PREV_EXIST = 1 << 2;
    /** The value of prevExist; meaningful only with {@link #FLAG_PREV_EXIST}. */
    static final int FLAG_PREV_EXIST_TRUE = 1 << 3;
    /** A put attached to a lease: its id follows the precondition's fields. */
    static final int FLAG_LEASE = 1 << 4;
    private static final int FLAGS_KNOWN = FLAG_PREV_VALUE | FLAG_PREV_REVISION | FLAG_PREV_EXIST | FLAG_PREV_EXIST_TRUE
            | FLAG_LEASE;

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
        if (command instanceof Command.Transaction transaction) {
            return firstFormat(transaction.txn()) ? encodeTxn(transaction.txn()) : encodeTxnSecondFormat(transaction.txn());
        }
        if (command instanceof Command.LeaseGrant grant) {
            return ByteBuffer.allocate(HEADER_BYTES + 2 * Long.BYTES).put(FORMAT_VERSION).put(TYPE_LEASE_GRANT)
                    .putLong(grant.id()).putLong(grant.ttlSeconds()).array();
        }
        if (command instanceof Command.LeaseRevoke revoke) {
            return ByteBuffer.allocate(HEADER_BYTES + Long.BYTES).put(FORMAT_VERSION).put(TYPE_LEASE_REVOKE)
                    .putLong(revoke.id()).array();
        }
        if (command instanceof Command.LeaseCheckpoint checkpoint) {
            ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + Integer.BYTES
                    + 3 * Long.BYTES * checkpoint.remaining().size()).put(FORMAT_VERSION).put(TYPE_LEASE_CHECKPOINT);
            buffer.putInt(checkpoint.remaining().size());
            for (Lease lease : checkpoint.remaining()) {
                buffer.putLong(lease.id()).putLong(lease.ttlSeconds()).putLong(lease.remainingMs());
            }
            return buffer.array();
        }
        if (command instanceof Command.Auth auth) {
            return AuthCodec.encode(auth.change());
        }
        if (command instanceof Command.Idempotent idempotent) {
            byte[] write = encode(idempotent.write());
            ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + 2 * LENGTH_BYTES + Long.BYTES
                    + idempotent.key().length + write.length).put(FORMAT_VERSION).put(TYPE_IDEMPOTENT);
            putBytes(buffer, idempotent.key());
            buffer.putLong(idempotent.windowRevisions());
            putBytes(buffer, write);
            return buffer.array();
        }
        Command.KeyCommand keyCommand = (Command.KeyCommand) command;
        byte[] key = Objects.requireNonNull(keyCommand.key(), "key");
        Precondition precondition = Objects.requireNonNullElse(keyCommand.precondition(), Precondition.NONE);
        byte[] value = command instanceof Command.Put put ? Objects.requireNonNull(put.value(), "value") : null;

        long lease = command instanceof Command.Put put ? put.lease() : 0;
        ByteBuffer buffer = ByteBuffer.allocate(encodedSizeBytes(key, value, precondition)
                + (lease != 0 ? Long.BYTES : 0));
        buffer.put(FORMAT_VERSION);
        buffer.put(command instanceof Command.Put ? TYPE_PUT : TYPE_DELETE);
        putBytes(buffer, key);
        if (value != null) {
            putBytes(buffer, value);
        }
        buffer.put((byte) (flags(precondition) | (lease != 0 ? FLAG_LEASE : 0)));
        if (precondition.prevValue() != null) {
            putBytes(buffer, precondition.prevValue());
        }
        if (precondition.prevRevision() != null) {
            buffer.putLong(precondition.prevRevision());
        }
        if (lease != 0) {
            buffer.putLong(lease);
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
        if (type == TYPE_TXN) {
            return new Command.Transaction(decodeTxn(buffer));
        }
        if (type == TYPE_TXN_SECOND_FORMAT) {
            Txn txn = decodeBody(buffer, 1);
            if (firstFormat(txn)) {
                // Every transaction has one encoding: one the first format can say is never in the second.
                throw new IllegalArgumentException("malformed command: a first-format transaction in the second format");
            }
            return new Command.Transaction(txn);
        }
        try {
            if (type == TYPE_LEASE_GRANT) {
                return new Command.LeaseGrant(buffer.getLong(), buffer.getLong());
            }
            if (type == TYPE_LEASE_REVOKE) {
                return new Command.LeaseRevoke(buffer.getLong());
            }
            if (type == TYPE_LEASE_CHECKPOINT) {
                int count = buffer.getInt();
                if (count < 0 || count > buffer.remaining() / (3 * Long.BYTES)) {
                    throw new IllegalArgumentException("malformed command: checkpoint of " + count + " leases");
                }
                List<Lease> leases = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    leases.add(new Lease(buffer.getLong(), buffer.getLong(), buffer.getLong()));
                }
                return new Command.LeaseCheckpoint(leases);
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed lease command: " + e.getMessage(), e);
        }
        if (type == TYPE_AUTH) {
            return new Command.Auth(AuthCodec.decode(buffer));
        }
        if (type == TYPE_IDEMPOTENT) {
            byte[] key = getBytes(buffer, "idempotency key");
            long window = buffer.getLong();
            if (window < 1) {
                throw new IllegalArgumentException("malformed command: idempotency window " + window);
            }
            Command write = decode(getBytes(buffer, "idempotent write"));
            if (!(write instanceof Command.KeyCommand || write instanceof Command.Transaction
                    || write instanceof Command.LeaseGrant || write instanceof Command.LeaseRevoke)) {
                throw new IllegalArgumentException("malformed command: an idempotent " + write.kind());
            }
            return new Command.Idempotent(key, window, write);
        }
        if (type != TYPE_PUT && type != TYPE_DELETE) {
            throw new IllegalArgumentException("unknown command type " + type);
        }
        byte[] key = getBytes(buffer, "key");
        byte[] value = type == TYPE_PUT ? getBytes(buffer, "value") : null;
        int flags = buffer.hasRemaining() ? buffer.get(buffer.position()) & 0xFF : 0;
        Precondition precondition = getPrecondition(buffer);
        long lease = 0;
        if ((flags & FLAG_LEASE) != 0) {
            if (type != TYPE_PUT) {
                throw new IllegalArgumentException("malformed command: a lease on a delete");
            }
            lease = buffer.getLong();
            if (lease == 0) {
                throw new IllegalArgumentException("malformed command: lease flag with lease 0");
            }
        }
        return type == TYPE_PUT ? new Command.Put(key, value, precondition, lease) : new Command.Delete(key, precondition);
    }

    private static byte[] encodeTxn(Txn txn) {
        long size = HEADER_BYTES + 3L * Integer.BYTES;
        for (Txn.Compare compare : txn.compares()) {
            size += LENGTH_BYTES + compare.key().length + 2
                    + (compare.target() == Txn.Target.VALUE ? LENGTH_BYTES + compare.value().length : Long.BYTES);
        }
        for (Txn.Op op : txn.success()) {
            size += opSizeBytes(op);
        }
        for (Txn.Op op : txn.failure()) {
            size += opSizeBytes(op);
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("transaction too large to encode: " + size + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size).put(FORMAT_VERSION).put(TYPE_TXN);
        buffer.putInt(txn.compares().size());
        for (Txn.Compare compare : txn.compares()) {
            putBytes(buffer, compare.key());
            buffer.put((byte) compare.target().ordinal()).put((byte) compare.operator().ordinal());
            if (compare.target() == Txn.Target.VALUE) {
                putBytes(buffer, compare.value());
            } else {
                buffer.putLong(compare.number());
            }
        }
        putOps(buffer, txn.success());
        putOps(buffer, txn.failure());
        return buffer.array();
    }

    private static long opSizeBytes(Txn.Op op) {
        return switch (op.kind()) {
            case PUT -> 1L + 2 * LENGTH_BYTES + ((Txn.Put) op).key().length + ((Txn.Put) op).value().length + Long.BYTES;
            case DELETE -> 1L + LENGTH_BYTES + ((Txn.Delete) op).keys().bytes().length;
            case GET -> 1L + LENGTH_BYTES + ((Txn.Get) op).keys().bytes().length + Integer.BYTES;
            case TXN -> throw new IllegalArgumentException("the first transaction format has no nested transactions");
        };
    }

    private static void putOps(ByteBuffer buffer, List<Txn.Op> ops) {
        buffer.putInt(ops.size());
        for (Txn.Op op : ops) {
            switch (op.kind()) {
                case PUT -> {
                    Txn.Put put = (Txn.Put) op;
                    buffer.put(OP_PUT);
                    putBytes(buffer, put.key());
                    putBytes(buffer, put.value());
                    buffer.putLong(put.lease());
                }
                case DELETE -> {
                    KeySelector keys = ((Txn.Delete) op).keys();
                    buffer.put(keys.prefix() ? OP_DELETE_PREFIX : OP_DELETE_KEY);
                    putBytes(buffer, keys.bytes());
                }
                case GET -> {
                    KeySelector keys = ((Txn.Get) op).keys();
                    buffer.put(keys.prefix() ? OP_GET_PREFIX : OP_GET_KEY);
                    putBytes(buffer, keys.bytes());
                    buffer.putInt(((Txn.Get) op).limit());
                }
                case TXN -> throw new IllegalArgumentException("the first transaction format has no nested transactions");
            }
        }
    }

    private static Txn decodeTxn(ByteBuffer buffer) {
        // Every compare and op takes at least five bytes, so a count is checked against what remains
        // before anything is allocated for it.
        int compareCount = count(buffer, "compare");
        List<Txn.Compare> compares = new ArrayList<>(compareCount);
        for (int i = 0; i < compareCount; i++) {
            byte[] key = getBytes(buffer, "compare key");
            Txn.Target target = ordinal(TARGETS, buffer.get(), "compare target");
            Txn.Operator operator = ordinal(OPERATORS, buffer.get(), "compare operator");
            compares.add(target == Txn.Target.VALUE
                    ? Txn.Compare.value(key, operator, getBytes(buffer, "compare value"))
                    : Txn.Compare.number(key, target, operator, buffer.getLong()));
        }
        List<Txn.Op> success = getOps(buffer);
        List<Txn.Op> failure = getOps(buffer);
        return new Txn(compares, success, failure);
    }

    private static List<Txn.Op> getOps(ByteBuffer buffer) {
        int opCount = count(buffer, "op");
        List<Txn.Op> ops = new ArrayList<>(opCount);
        for (int i = 0; i < opCount; i++) {
            byte opType = buffer.get();
            byte[] key = getBytes(buffer, "op key");
            ops.add(switch (opType) {
                case OP_PUT -> new Txn.Put(nonEmpty(key), getBytes(buffer, "op value"), buffer.getLong());
                case OP_DELETE_KEY -> new Txn.Delete(KeySelector.key(nonEmpty(key)));
                case OP_DELETE_PREFIX -> new Txn.Delete(KeySelector.prefix(key));
                case OP_GET_KEY, OP_GET_PREFIX -> {
                    int limit = buffer.getInt();
                    if (limit < 1) {
                        throw new IllegalArgumentException("malformed command: get limit " + limit);
                    }
                    yield new Txn.Get(opType == OP_GET_KEY ? KeySelector.key(nonEmpty(key)) : KeySelector.prefix(key),
                            limit);
                }
                default -> throw new IllegalArgumentException("unknown transaction op type " + opType);
            });
        }
        return ops;
    }

    // ----- transactions in the second format ------------------------------------------------------

    /** True when the first transaction format can say {@code txn}: no ranges, revisions, kept values or nesting. */
    static boolean firstFormat(Txn txn) {
        for (Txn.Compare compare : txn.compares()) {
            if (compare.ranged()) {
                return false;
            }
        }
        return firstFormat(txn.success()) && firstFormat(txn.failure());
    }

    private static boolean firstFormat(List<Txn.Op> ops) {
        for (Txn.Op op : ops) {
            boolean fits = switch (op.kind()) {
                case PUT -> !((Txn.Put) op).ignoreValue() && !((Txn.Put) op).ignoreLease();
                case DELETE -> ((Txn.Delete) op).keys().kind() != KeySelector.Kind.RANGE;
                case GET -> ((Txn.Get) op).keys().kind() != KeySelector.Kind.RANGE && ((Txn.Get) op).revision() == 0;
                case TXN -> false;
            };
            if (!fits) {
                return false;
            }
        }
        return true;
    }

    private static byte[] encodeTxnSecondFormat(Txn txn) {
        long size = HEADER_BYTES + bodySizeBytes(txn);
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("transaction too large to encode: " + size + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size).put(FORMAT_VERSION).put(TYPE_TXN_SECOND_FORMAT);
        putBody(buffer, txn);
        return buffer.array();
    }

    private static long bodySizeBytes(Txn txn) {
        long size = 3L * Integer.BYTES;
        for (Txn.Compare compare : txn.compares()) {
            size += 1 + LENGTH_BYTES + compare.key().length + 2
                    + (compare.target() == Txn.Target.VALUE ? LENGTH_BYTES + compare.value().length : Long.BYTES)
                    + (compare.ranged() ? LENGTH_BYTES + compare.rangeEnd().length : 0);
        }
        for (List<Txn.Op> ops : List.of(txn.success(), txn.failure())) {
            for (Txn.Op op : ops) {
                size += secondFormatOpSizeBytes(op);
            }
        }
        return size;
    }

    private static long secondFormatOpSizeBytes(Txn.Op op) {
        return switch (op.kind()) {
            case PUT -> {
                Txn.Put put = (Txn.Put) op;
                yield 1L + 2 * LENGTH_BYTES + put.key().length + put.value().length + Long.BYTES
                        + (put.ignoreValue() || put.ignoreLease() ? 1 : 0);
            }
            case DELETE -> {
                KeySelector keys = ((Txn.Delete) op).keys();
                yield 1L + LENGTH_BYTES + keys.bytes().length
                        + (keys.kind() == KeySelector.Kind.RANGE ? LENGTH_BYTES + keys.end().length : 0);
            }
            case GET -> {
                Txn.Get get = (Txn.Get) op;
                long base = 1L + LENGTH_BYTES + get.keys().bytes().length + Integer.BYTES;
                yield get.keys().kind() != KeySelector.Kind.RANGE && get.revision() == 0 ? base
                        : base + 1 + Long.BYTES
                        + (get.keys().kind() == KeySelector.Kind.RANGE ? LENGTH_BYTES + get.keys().end().length : 0);
            }
            case TXN -> 1L + bodySizeBytes(((Txn.Nested) op).txn());
        };
    }

    private static void putBody(ByteBuffer buffer, Txn txn) {
        buffer.putInt(txn.compares().size());
        for (Txn.Compare compare : txn.compares()) {
            buffer.put(compare.ranged() ? COMPARE_OVER_RANGE : 0);
            putBytes(buffer, compare.key());
            buffer.put((byte) compare.target().ordinal()).put((byte) compare.operator().ordinal());
            if (compare.target() == Txn.Target.VALUE) {
                putBytes(buffer, compare.value());
            } else {
                buffer.putLong(compare.number());
            }
            if (compare.ranged()) {
                putBytes(buffer, compare.rangeEnd());
            }
        }
        putSecondFormatOps(buffer, txn.success());
        putSecondFormatOps(buffer, txn.failure());
    }

    private static void putSecondFormatOps(ByteBuffer buffer, List<Txn.Op> ops) {
        buffer.putInt(ops.size());
        for (Txn.Op op : ops) {
            switch (op.kind()) {
                case PUT -> {
                    Txn.Put put = (Txn.Put) op;
                    boolean keeps = put.ignoreValue() || put.ignoreLease();
                    buffer.put(keeps ? OP_PUT_KEEPING : OP_PUT);
                    putBytes(buffer, put.key());
                    putBytes(buffer, put.value());
                    buffer.putLong(put.lease());
                    if (keeps) {
                        buffer.put((byte) ((put.ignoreValue() ? PUT_KEEPS_VALUE : 0)
                                | (put.ignoreLease() ? PUT_KEEPS_LEASE : 0)));
                    }
                }
                case DELETE -> {
                    KeySelector keys = ((Txn.Delete) op).keys();
                    buffer.put(switch (keys.kind()) {
                        case KEY -> OP_DELETE_KEY;
                        case PREFIX -> OP_DELETE_PREFIX;
                        case RANGE -> OP_DELETE_RANGE;
                    });
                    putBytes(buffer, keys.bytes());
                    if (keys.kind() == KeySelector.Kind.RANGE) {
                        putBytes(buffer, keys.end());
                    }
                }
                case GET -> {
                    Txn.Get get = (Txn.Get) op;
                    KeySelector keys = get.keys();
                    if (keys.kind() != KeySelector.Kind.RANGE && get.revision() == 0) {
                        buffer.put(keys.prefix() ? OP_GET_PREFIX : OP_GET_KEY);
                        putBytes(buffer, keys.bytes());
                        buffer.putInt(get.limit());
                    } else {
                        buffer.put(OP_GET);
                        buffer.put(switch (keys.kind()) {
                            case KEY -> GET_KEY;
                            case PREFIX -> GET_PREFIX;
                            case RANGE -> GET_RANGE;
                        });
                        putBytes(buffer, keys.bytes());
                        if (keys.kind() == KeySelector.Kind.RANGE) {
                            putBytes(buffer, keys.end());
                        }
                        buffer.putInt(get.limit());
                        buffer.putLong(get.revision());
                    }
                }
                case TXN -> {
                    buffer.put(OP_TXN);
                    putBody(buffer, ((Txn.Nested) op).txn());
                }
            }
        }
    }

    /** A body in the second format, {@code depth} deep (1: the outer transaction). */
    private static Txn decodeBody(ByteBuffer buffer, int depth) {
        if (depth > Txn.MAX_NESTING_DEPTH) {
            throw new IllegalArgumentException("malformed command: transactions nested deeper than "
                    + Txn.MAX_NESTING_DEPTH);
        }
        int compareCount = count(buffer, "compare");
        List<Txn.Compare> compares = new ArrayList<>(compareCount);
        for (int i = 0; i < compareCount; i++) {
            byte flags = buffer.get();
            if (flags != 0 && flags != COMPARE_OVER_RANGE) {
                throw new IllegalArgumentException("unknown compare flags " + flags);
            }
            byte[] key = getBytes(buffer, "compare key");
            Txn.Target target = ordinal(TARGETS, buffer.get(), "compare target");
            Txn.Operator operator = ordinal(OPERATORS, buffer.get(), "compare operator");
            Txn.Compare compare = target == Txn.Target.VALUE
                    ? Txn.Compare.value(key, operator, getBytes(buffer, "compare value"))
                    : Txn.Compare.number(key, target, operator, buffer.getLong());
            compares.add(flags == COMPARE_OVER_RANGE ? compare.overRange(getBytes(buffer, "compare range end"))
                    : compare);
        }
        List<Txn.Op> success = getSecondFormatOps(buffer, depth);
        List<Txn.Op> failure = getSecondFormatOps(buffer, depth);
        return new Txn(compares, success, failure);
    }

    private static List<Txn.Op> getSecondFormatOps(ByteBuffer buffer, int depth) {
        int opCount = count(buffer, "op");
        List<Txn.Op> ops = new ArrayList<>(opCount);
        for (int i = 0; i < opCount; i++) {
            byte opType = buffer.get();
            ops.add(switch (opType) {
                case OP_PUT -> new Txn.Put(nonEmpty(getBytes(buffer, "op key")), getBytes(buffer, "op value"),
                        buffer.getLong());
                case OP_PUT_KEEPING -> {
                    byte[] key = nonEmpty(getBytes(buffer, "op key"));
                    byte[] value = getBytes(buffer, "op value");
                    long lease = buffer.getLong();
                    int flags = buffer.get();
                    if (flags == 0 || (flags & ~(PUT_KEEPS_VALUE | PUT_KEEPS_LEASE)) != 0) {
                        throw new IllegalArgumentException("malformed command: put flags " + flags);
                    }
                    yield new Txn.Put(key, value, lease, (flags & PUT_KEEPS_VALUE) != 0, (flags & PUT_KEEPS_LEASE) != 0);
                }
                case OP_DELETE_KEY -> new Txn.Delete(KeySelector.key(nonEmpty(getBytes(buffer, "op key"))));
                case OP_DELETE_PREFIX -> new Txn.Delete(KeySelector.prefix(getBytes(buffer, "op prefix")));
                case OP_DELETE_RANGE -> new Txn.Delete(KeySelector.range(getBytes(buffer, "op start"),
                        getBytes(buffer, "op end")));
                case OP_GET_KEY, OP_GET_PREFIX -> {
                    byte[] key = getBytes(buffer, "op key");
                    yield new Txn.Get(opType == OP_GET_KEY ? KeySelector.key(nonEmpty(key)) : KeySelector.prefix(key),
                            limit(buffer.getInt()));
                }
                case OP_GET -> {
                    byte form = buffer.get();
                    byte[] key = getBytes(buffer, "op key");
                    KeySelector keys = switch (form) {
                        case GET_KEY -> KeySelector.key(nonEmpty(key));
                        case GET_PREFIX -> KeySelector.prefix(key);
                        case GET_RANGE -> KeySelector.range(key, getBytes(buffer, "op end"));
                        default -> throw new IllegalArgumentException("unknown get keys form " + form);
                    };
                    int limit = limit(buffer.getInt());
                    long revision = buffer.getLong();
                    if (revision < 0) {
                        throw new IllegalArgumentException("malformed command: get revision " + revision);
                    }
                    yield new Txn.Get(keys, limit, revision);
                }
                case OP_TXN -> new Txn.Nested(decodeBody(buffer, depth + 1));
                default -> throw new IllegalArgumentException("unknown transaction op type " + opType);
            });
        }
        return ops;
    }

    private static int limit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("malformed command: get limit " + limit);
        }
        return limit;
    }

    private static int count(ByteBuffer buffer, String what) {
        int count = buffer.getInt();
        if (count < 0 || count > buffer.remaining() / 5) {
            throw new IllegalArgumentException("malformed command: " + what + " count " + count + " but "
                    + buffer.remaining() + " bytes remain");
        }
        return count;
    }

    private static <E> E ordinal(E[] values, byte ordinal, String what) {
        if (ordinal < 0 || ordinal >= values.length) {
            throw new IllegalArgumentException("unknown " + what + " " + ordinal);
        }
        return values[ordinal];
    }

    private static byte[] nonEmpty(byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("malformed command: an empty key");
        }
        return key;
    }

    private static Precondition getPrecondition(ByteBuffer buffer) {
        int flags = buffer.get() & 0xFF;
        if ((flags & ~FLAGS_KNOWN) != 0) {
            throw new IllegalArgumentException("unknown precondition flags 0x" + Integer.toHexString(flags));
        }
        if ((flags & FLAG_PREV_EXIST_TRUE) != 0 && (flags & FLAG_PREV_EXIST) == 0) {
            throw new IllegalArgumentException("precondition flags set prevExist's value without prevExist");
        }
        flags &= ~FLAG_LEASE;
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

    static void putBytes(ByteBuffer buffer, byte[] bytes) {
        buffer.putInt(bytes.length);
        buffer.put(bytes);
    }

    static byte[] getBytes(ByteBuffer buffer, String field) {
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
