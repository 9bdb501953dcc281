package io.rafty.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The stored form of a write's {@link KvResult}, kept in the idempotency table so that a retry is
 * answered exactly as the first attempt was. Stored state, like {@link CommandCodec}: never change the
 * meaning of a tag, add one. Only what an answer shows is kept (a transaction's events and changes
 * are not: a replay changes nothing).
 *
 * <pre>
 *   u8 tag: 1 written, 2 deleted, 3 not found, 4 compare failed, 5 transaction, 6 invalid transaction,
 *   7 lease granted, 8 lease exists, 9 lease not found, 10 lease revoked, 11 transaction key not found,
 *   12 transaction revision unavailable
 *   then, by tag: 1 entry, opt entry (prev) · 2 bytes key, i64 revision, entry (prev) · 3 bytes key ·
 *   4 bytes key, opt entry (current) · 5 u8 succeeded, i32 count, each op: u8 1 put (entry, opt entry) |
 *   2 delete (i32 n, n entries) | 3 get (i32 n, n entries, u8 more) | 4 nested transaction (u8 succeeded,
 *   i32 count, each op as here) · 6 bytes problem (UTF-8) ·
 *   7 i64 id, i64 ttlSeconds · 8 i64 id · 9 i64 id, u8 0 | u8 1 bytes key · 10 i64 id, i32 n, n times bytes key ·
 *   11 bytes key · 12 u8 reason (0 compacted, 1 future), i64 revision, i64 compactRevision, i64 currentRevision
 *   entry: bytes key, bytes value, i64 revision, i64 createRevision, i64 version, i64 lease;
 *   opt: u8 0 | u8 1 entry
 * </pre>
 */
public final class ResultCodec {

    private static final int WRITTEN = 1;
    private static final int DELETED = 2;
    private static final int NOT_FOUND = 3;
    private static final int COMPARE_FAILED = 4;
    private static final int TXN = 5;
    private static final int TXN_INVALID = 6;
    private static final int LEASE_GRANTED = 7;
    private static final int LEASE_EXISTS = 8;
    private static final int LEASE_NOT_FOUND = 9;
    private static final int LEASE_REVOKED = 10;
    private static final int TXN_KEY_NOT_FOUND = 11;
    private static final int TXN_REVISION_UNAVAILABLE = 12;
    private static final int OP_PUT = 1;
    private static final int OP_DELETE = 2;
    private static final int OP_GET = 3;
    private static final int OP_TXN = 4;

    private ResultCodec() {
    }

    /** Whether results of this kind can be stored: the answers of client writes. */
    public static boolean storable(KvResult result) {
        return result instanceof KvResult.Written || result instanceof KvResult.Deleted
                || result instanceof KvResult.NotFound || result instanceof KvResult.CompareFailed
                || result instanceof KvResult.TxnDone || result instanceof KvResult.TxnInvalid
                || result instanceof KvResult.LeaseGranted || result instanceof KvResult.LeaseExists
                || result instanceof KvResult.LeaseNotFound || result instanceof KvResult.LeaseRevoked
                || result instanceof KvResult.TxnKeyNotFound || result instanceof KvResult.TxnRevisionUnavailable;
    }

    public static byte[] encode(KvResult result) {
        Out out = new Out();
        if (result instanceof KvResult.Written written) {
            out.writeByte(WRITTEN);
            entry(out, written.entry());
            optional(out, written.prev());
        } else if (result instanceof KvResult.Deleted deleted) {
            out.writeByte(DELETED);
            bytes(out, deleted.key());
            out.writeLong(deleted.revision());
            entry(out, deleted.prev());
        } else if (result instanceof KvResult.NotFound notFound) {
            out.writeByte(NOT_FOUND);
            bytes(out, notFound.key());
        } else if (result instanceof KvResult.CompareFailed failed) {
            out.writeByte(COMPARE_FAILED);
            bytes(out, failed.key());
            optional(out, failed.current());
        } else if (result instanceof KvResult.TxnDone done) {
            out.writeByte(TXN);
            out.writeBoolean(done.outcome().succeeded());
            out.writeInt(done.outcome().results().size());
            for (TxnRunner.OpResult op : done.outcome().results()) {
                opResult(out, op);
            }
        } else if (result instanceof KvResult.TxnInvalid invalid) {
            out.writeByte(TXN_INVALID);
            bytes(out, invalid.problem().getBytes(StandardCharsets.UTF_8));
        } else if (result instanceof KvResult.LeaseGranted granted) {
            out.writeByte(LEASE_GRANTED);
            out.writeLong(granted.lease().id());
            out.writeLong(granted.lease().ttlSeconds());
        } else if (result instanceof KvResult.LeaseExists exists) {
            out.writeByte(LEASE_EXISTS);
            out.writeLong(exists.id());
        } else if (result instanceof KvResult.LeaseNotFound missing) {
            out.writeByte(LEASE_NOT_FOUND);
            out.writeLong(missing.id());
            out.writeBoolean(missing.key() != null);
            if (missing.key() != null) {
                bytes(out, missing.key());
            }
        } else if (result instanceof KvResult.LeaseRevoked revoked) {
            out.writeByte(LEASE_REVOKED);
            out.writeLong(revoked.id());
            out.writeInt(revoked.deletes().size());
            for (Event delete : revoked.deletes()) {
                bytes(out, delete.key());
            }
        } else if (result instanceof KvResult.TxnKeyNotFound missing) {
            out.writeByte(TXN_KEY_NOT_FOUND);
            bytes(out, missing.key());
        } else if (result instanceof KvResult.TxnRevisionUnavailable unavailable) {
            out.writeByte(TXN_REVISION_UNAVAILABLE);
            out.writeByte(unavailable.reason().ordinal());
            out.writeLong(unavailable.revision());
            out.writeLong(unavailable.compactRevision());
            out.writeLong(unavailable.currentRevision());
        } else {
            throw new IllegalArgumentException("not the result of a client write: " + result);
        }
        return out.toByteArray();
    }

    private static void opResult(Out out, TxnRunner.OpResult op) {
        if (op instanceof TxnRunner.OpResult.Put put) {
            out.writeByte(OP_PUT);
            entry(out, put.entry());
            optional(out, put.prev());
        } else if (op instanceof TxnRunner.OpResult.Delete delete) {
            out.writeByte(OP_DELETE);
            entries(out, delete.deleted());
        } else if (op instanceof TxnRunner.OpResult.Get get) {
            out.writeByte(OP_GET);
            entries(out, get.entries());
            out.writeBoolean(get.more());
        } else {
            TxnRunner.OpResult.Txn nested = (TxnRunner.OpResult.Txn) op;
            out.writeByte(OP_TXN);
            out.writeBoolean(nested.succeeded());
            out.writeInt(nested.results().size());
            for (TxnRunner.OpResult inner : nested.results()) {
                opResult(out, inner);
            }
        }
    }

    /**
     * Decodes what {@link #encode} wrote, as the result of the write applied at {@code index}.
     *
     * @throws IllegalArgumentException when the bytes are not a stored result
     */
    public static KvResult decode(byte[] stored, long index) {
        ByteBuffer in = ByteBuffer.wrap(stored);
        try {
            int tag = (in.get() & 0xFF);
            KvResult result = switch (tag) {
                case WRITTEN -> new KvResult.Written(index, entry(in), optional(in));
                case DELETED -> new KvResult.Deleted(index, bytes(in), in.getLong(), entry(in));
                case NOT_FOUND -> new KvResult.NotFound(index, bytes(in));
                case COMPARE_FAILED -> new KvResult.CompareFailed(index, bytes(in), optional(in));
                case TXN -> {
                    boolean succeeded = readBoolean(in);
                    int count = count(in);
                    List<TxnRunner.OpResult> results = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        results.add(opResult(in, 1));
                    }
                    yield new KvResult.TxnDone(index, new TxnRunner.Outcome(succeeded, results, List.of(), Map.of()));
                }
                case TXN_INVALID -> new KvResult.TxnInvalid(index, new String(bytes(in), StandardCharsets.UTF_8));
                case LEASE_GRANTED -> new KvResult.LeaseGranted(index, lease(in.getLong(), in.getLong()));
                case LEASE_EXISTS -> new KvResult.LeaseExists(index, in.getLong());
                case LEASE_NOT_FOUND -> new KvResult.LeaseNotFound(index, in.getLong(), readBoolean(in) ? bytes(in) : null);
                case LEASE_REVOKED -> {
                    long id = in.getLong();
                    int count = count(in);
                    List<Event> deletes = new ArrayList<>(count);
                    for (int i = 0; i < count; i++) {
                        deletes.add(Event.delete(bytes(in), index, null));
                    }
                    yield new KvResult.LeaseRevoked(index, id, deletes);
                }
                case TXN_KEY_NOT_FOUND -> new KvResult.TxnKeyNotFound(index, bytes(in));
                case TXN_REVISION_UNAVAILABLE -> {
                    int reason = in.get() & 0xFF;
                    if (reason >= RevisionUnavailableException.Reason.values().length) {
                        throw new IllegalArgumentException("malformed stored result: revision reason " + reason);
                    }
                    yield new KvResult.TxnRevisionUnavailable(index, RevisionUnavailableException.Reason.values()[reason],
                            in.getLong(), in.getLong(), in.getLong());
                }
                default -> throw new IllegalArgumentException("unknown stored result tag " + tag);
            };
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("stored result has " + in.remaining() + " trailing bytes");
            }
            return result;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("malformed stored result: truncated", e);
        }
    }

    /** One op's result, {@code depth} transactions deep (1: the outer one's). */
    private static TxnRunner.OpResult opResult(ByteBuffer in, int depth) {
        int tag = (in.get() & 0xFF);
        return switch (tag) {
            case OP_PUT -> new TxnRunner.OpResult.Put(entry(in), optional(in));
            case OP_DELETE -> new TxnRunner.OpResult.Delete(entries(in));
            case OP_GET -> new TxnRunner.OpResult.Get(entries(in), readBoolean(in));
            case OP_TXN -> {
                if (depth >= Txn.MAX_NESTING_DEPTH) {
                    throw new IllegalArgumentException("malformed stored result: transactions nested too deep");
                }
                boolean succeeded = readBoolean(in);
                int count = count(in);
                List<TxnRunner.OpResult> results = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    results.add(opResult(in, depth + 1));
                }
                yield new TxnRunner.OpResult.Txn(succeeded, results);
            }
            default -> throw new IllegalArgumentException("unknown stored op result tag " + tag);
        };
    }

    private static void entry(Out out, KvEntry entry) {
        bytes(out, entry.key());
        bytes(out, entry.value());
        out.writeLong(entry.revision());
        out.writeLong(entry.createRevision());
        out.writeLong(entry.version());
        out.writeLong(entry.lease());
    }

    private static KvEntry entry(ByteBuffer in) {
        return new KvEntry(bytes(in), bytes(in), in.getLong(), in.getLong(), in.getLong(), in.getLong());
    }

    private static void optional(Out out, KvEntry entry) {
        out.writeBoolean(entry != null);
        if (entry != null) {
            entry(out, entry);
        }
    }

    private static KvEntry optional(ByteBuffer in) {
        return readBoolean(in) ? entry(in) : null;
    }

    private static void entries(Out out, List<KvEntry> entries) {
        out.writeInt(entries.size());
        for (KvEntry entry : entries) {
            entry(out, entry);
        }
    }

    private static List<KvEntry> entries(ByteBuffer in) {
        int count = count(in);
        List<KvEntry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            entries.add(entry(in));
        }
        return entries;
    }

    private static int count(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0 || count > in.remaining()) {
            throw new IllegalArgumentException("malformed stored result: count " + count + " out of range");
        }
        return count;
    }

    private static void bytes(Out out, byte[] bytes) {
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] bytes(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("malformed stored result: length " + length + " out of range");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return bytes;
    }

    private static Lease lease(long id, long ttlSeconds) {
        try {
            return new Lease(id, ttlSeconds, Lease.NO_CHECKPOINT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed stored result: " + e.getMessage(), e);
        }
    }

    private static boolean readBoolean(ByteBuffer in) {
        return in.get() != 0;
    }

    /** A growing big-endian byte sink, the few writes this codec needs. */
    private static final class Out {
        private byte[] bytes = new byte[64];
        private int size;

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        void writeByte(int value) {
            ensure(1);
            bytes[size++] = (byte) value;
        }

        void writeBoolean(boolean value) {
            writeByte(value ? 1 : 0);
        }

        void writeInt(int value) {
            ensure(Integer.BYTES);
            ByteBuffer.wrap(bytes, size, Integer.BYTES).putInt(value);
            size += Integer.BYTES;
        }

        void writeLong(long value) {
            ensure(Long.BYTES);
            ByteBuffer.wrap(bytes, size, Long.BYTES).putLong(value);
            size += Long.BYTES;
        }

        void write(byte[] value) {
            ensure(value.length);
            System.arraycopy(value, 0, bytes, size, value.length);
            size += value.length;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }
}
