package io.rafty.storage;

import io.rafty.kv.Event;
import io.rafty.kv.KvEntry;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The byte layout of every record in the node's RocksDB (DESIGN.md §3). Integers are big-endian, so
 * log keys iterate in index order under RocksDB's default bytewise comparator. Decoding failures
 * mean the files on disk are damaged, so they surface as {@link StorageException}.
 *
 * <pre>
 * log   key   index (8)                                   value  term (8) | type code (1) | payload
 * meta  "hardState"                                       value  version=2 (1) | term (8) | votedFor (4) | commit (8)
 *                                                                | clusterId (8)   (version 1, without it, is still read)
 * meta  "storageId"                                       value  id (8), drawn when the storage was created
 * meta  "membership"                                      value  Membership.encode()
 * meta  "appliedIndex"                                    value  index (8)
 * meta  "compactRevision"                                 value  revision (8); absent = 0
 * meta  "historyFormat"                                   value  1 (1): the history families are in use (see below)
 * meta  "logStart"                                        value  index (8) | term (8) of the last compacted entry
 * kv    key   user key bytes                              value  revision (8) | createRevision (8) | version (8) | value
 * history key esc(user key) | 00 01 | revision (8)        value  type (1: 1 put, 2 delete) | createRevision (8)
 *                                                                | version (8) | value   (a delete: 2 | 0 | 0, no value)
 * changes key revision (8) | esc(user key) | 00 01        value  empty
 * </pre>
 *
 * The hard state is one record rather than three keys: it is always written whole, and one record
 * cannot be half-updated. The applied index lives in {@code meta}, outside the user key space, and
 * is written in the same WriteBatch as the {@code kv} changes it covers.
 *
 * <p><b>History keys.</b> {@code esc} doubles as an order-preserving, prefix-preserving code: each
 * {@code 00} byte of the user key becomes {@code 00 FF}, every other byte stays, and {@code 00 01}
 * ends the key. So escaped keys sort exactly as the user keys do (unsigned bytes, a key before its
 * extensions), every record of one key sits together in revision order, {@code esc(P)} is a byte
 * prefix of the record keys of exactly the user keys that start with {@code P} (prefix scans need no
 * decoding), and {@code esc(K) | 00 02} sorts after every record of {@code K} and before the next key.
 * A seek-for-prev to {@code esc(K) | 00 01 | R} lands on the newest record of {@code K} at or below
 * {@code R}, if it has one. The {@code changes} family indexes the same records by revision (a
 * revision's keys in key order); its key is the history key with the revision moved to the front.
 * History queries over a prefix walk it, and the purge takes its records below the compact revision
 * as its to-do list, deleting each once it is handled.
 */
final class RocksRecords {

    static final byte[] HARD_STATE_KEY = "hardState".getBytes(StandardCharsets.US_ASCII);
    static final byte[] MEMBERSHIP_KEY = "membership".getBytes(StandardCharsets.US_ASCII);
    static final byte[] APPLIED_INDEX_KEY = "appliedIndex".getBytes(StandardCharsets.US_ASCII);
    /** Revisions below it are compacted; written in the batch that applies the compaction. */
    static final byte[] COMPACT_REVISION_KEY = "compactRevision".getBytes(StandardCharsets.US_ASCII);
    /** Present once the history families are in use; a store without it was written before they existed. */
    static final byte[] HISTORY_FORMAT_KEY = "historyFormat".getBytes(StandardCharsets.US_ASCII);
    static final byte HISTORY_FORMAT = 1;
    /** The index and term of the last entry removed by compaction or replaced by a snapshot. */
    static final byte[] LOG_START_KEY = "logStart".getBytes(StandardCharsets.US_ASCII);
    /** A random id drawn when the storage was created: a replaced disk shows up as a new id. */
    /** The auth table ({@link io.rafty.kv.AuthState#encode}), in the meta family; absent until auth is first used. */
    static final byte[] AUTH_KEY = "auth".getBytes(StandardCharsets.US_ASCII);
    static final byte[] STORAGE_ID_KEY = "storageId".getBytes(StandardCharsets.US_ASCII);

    private static final byte HARD_STATE_VERSION_1 = 1;
    private static final byte HARD_STATE_VERSION = 2;
    private static final int HARD_STATE_V1_BYTES = 1 + Long.BYTES + Integer.BYTES + Long.BYTES;
    private static final int HARD_STATE_BYTES = HARD_STATE_V1_BYTES + Long.BYTES;
    private static final int LOG_HEADER_BYTES = Long.BYTES + 1;
    private static final int KV_HEADER_BYTES = 3 * Long.BYTES;

    static final byte HISTORY_PUT = 1;
    static final byte HISTORY_DELETE = 2;
    /** A put of a key attached to a lease: the header, then the lease, then the value. */
    static final byte HISTORY_PUT_LEASED = 3;
    private static final int HISTORY_HEADER_BYTES = 1 + 2 * Long.BYTES;
    /** Every delete record has the same value: it carries no createRevision, version or value. */
    private static final byte[] HISTORY_DELETE_VALUE = deleteValue();
    private static final byte ESCAPE = 0x00;
    private static final byte ESCAPED_ZERO = (byte) 0xFF;
    private static final byte TERMINATOR_END = 0x01;
    private static final byte PAST_TERMINATOR_END = 0x02;
    private static final int TERMINATOR_BYTES = 2;
    private static final byte[] NO_BYTES = new byte[0];
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private RocksRecords() {
    }

    // ----- the idempotency table (family dedup) -------------------------------------------------
    //   00 | idempotency key              -> i64 revision | i64 expiry | i32 n | fingerprint (n) | stored result
    //   01 | i64 expiry | idempotency key  -> empty: the purge's index, by the end of each entry's window

    static final byte DEDUP_ENTRY = 0;
    static final byte DEDUP_BY_REVISION = 1;

    static byte[] dedupKey(byte[] key) {
        byte[] out = new byte[1 + key.length];
        out[0] = DEDUP_ENTRY;
        System.arraycopy(key, 0, out, 1, key.length);
        return out;
    }

    static byte[] dedupIndexKey(long revision, byte[] key) {
        byte[] out = new byte[1 + Long.BYTES + key.length];
        out[0] = DEDUP_BY_REVISION;
        LONG.set(out, 1, revision);
        System.arraycopy(key, 0, out, 1 + Long.BYTES, key.length);
        return out;
    }

    static long dedupIndexRevision(byte[] indexKey) {
        if (indexKey.length < 1 + Long.BYTES || indexKey[0] != DEDUP_BY_REVISION) {
            throw new StorageException("corrupt idempotency index record (" + indexKey.length + " bytes)");
        }
        return (long) LONG.get(indexKey, 1);
    }

    static byte[] dedupIndexUserKey(byte[] indexKey) {
        return java.util.Arrays.copyOfRange(indexKey, 1 + Long.BYTES, indexKey.length);
    }

    static byte[] encodeDedupValue(io.rafty.kv.Dedup dedup) {
        int head = 2 * Long.BYTES + Integer.BYTES;
        byte[] out = new byte[head + dedup.fingerprint().length + dedup.result().length];
        LONG.set(out, 0, dedup.revision());
        LONG.set(out, Long.BYTES, dedup.expiry());
        java.nio.ByteBuffer.wrap(out, 2 * Long.BYTES, Integer.BYTES).putInt(dedup.fingerprint().length);
        System.arraycopy(dedup.fingerprint(), 0, out, head, dedup.fingerprint().length);
        System.arraycopy(dedup.result(), 0, out, head + dedup.fingerprint().length, dedup.result().length);
        return out;
    }

    static io.rafty.kv.Dedup decodeDedup(byte[] key, byte[] value) {
        int head = 2 * Long.BYTES + Integer.BYTES;
        if (value.length < head) {
            throw new StorageException("corrupt idempotency record (" + value.length + " bytes)");
        }
        long revision = (long) LONG.get(value, 0);
        long expiry = (long) LONG.get(value, Long.BYTES);
        int fingerprintBytes = java.nio.ByteBuffer.wrap(value, 2 * Long.BYTES, Integer.BYTES).getInt();
        int resultStart = head + fingerprintBytes;
        if (fingerprintBytes < 0 || resultStart > value.length) {
            throw new StorageException("corrupt idempotency record: fingerprint of " + fingerprintBytes + " bytes");
        }
        return new io.rafty.kv.Dedup(key, revision, expiry,
                java.util.Arrays.copyOfRange(value, head, resultStart),
                java.util.Arrays.copyOfRange(value, resultStart, value.length));
    }

    // ----- leases (family lease) -----------------------------------------------------------------
    //   00 | i64 id            -> i64 ttlSeconds | i64 remainingMs
    //   01 | i64 id | user key -> empty: the key is attached to the lease

    static final byte LEASE_ENTRY = 0;
    static final byte LEASE_KEY = 1;

    static byte[] leaseKey(long id) {
        byte[] out = new byte[1 + Long.BYTES];
        out[0] = LEASE_ENTRY;
        LONG.set(out, 1, id);
        return out;
    }

    static byte[] leaseAttachmentKey(long id, byte[] key) {
        byte[] out = new byte[1 + Long.BYTES + key.length];
        out[0] = LEASE_KEY;
        LONG.set(out, 1, id);
        System.arraycopy(key, 0, out, 1 + Long.BYTES, key.length);
        return out;
    }

    static byte[] encodeLease(io.rafty.kv.Lease lease) {
        byte[] out = new byte[2 * Long.BYTES];
        LONG.set(out, 0, lease.ttlSeconds());
        LONG.set(out, Long.BYTES, lease.remainingMs());
        return out;
    }

    static io.rafty.kv.Lease decodeLease(byte[] key, byte[] value) {
        if (key.length != 1 + Long.BYTES || key[0] != LEASE_ENTRY || value.length != 2 * Long.BYTES) {
            throw new StorageException("corrupt lease record (" + key.length + "/" + value.length + " bytes)");
        }
        return new io.rafty.kv.Lease((long) LONG.get(key, 1), (long) LONG.get(value, 0),
                (long) LONG.get(value, Long.BYTES));
    }

    static byte[] indexKey(long index) {
        return ByteBuffer.allocate(Long.BYTES).putLong(index).array();
    }

    static long decodeIndex(byte[] bytes) {
        if (bytes.length != Long.BYTES) {
            throw new StorageException("corrupt index record: " + bytes.length + " bytes, expected " + Long.BYTES);
        }
        return ByteBuffer.wrap(bytes).getLong();
    }

    static byte[] encodeLogValue(Entry entry) {
        return ByteBuffer.allocate(LOG_HEADER_BYTES + entry.payload().length)
                .putLong(entry.term())
                .put(entry.type().code())
                .put(entry.payload())
                .array();
    }

    static Entry decodeLogEntry(byte[] key, byte[] value) {
        long index = decodeIndex(key);
        if (value.length < LOG_HEADER_BYTES) {
            throw new StorageException("corrupt log entry " + index + ": " + value.length + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        long term = buffer.getLong();
        byte typeCode = buffer.get();
        byte[] payload = new byte[buffer.remaining()];
        buffer.get(payload);
        try {
            return new Entry(term, index, EntryType.fromCode(typeCode), payload);
        } catch (IllegalArgumentException e) {
            throw new StorageException("corrupt log entry " + index + ": " + e.getMessage(), e);
        }
    }

    static byte[] encodeLogStart(long index, long term) {
        return ByteBuffer.allocate(2 * Long.BYTES).putLong(index).putLong(term).array();
    }

    /** Returns {index, term}. */
    static long[] decodeLogStart(byte[] bytes) {
        if (bytes.length != 2 * Long.BYTES) {
            throw new StorageException("corrupt log start record (" + bytes.length + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new long[] {buffer.getLong(), buffer.getLong()};
    }

    static byte[] encodeHardState(HardState hardState) {
        return ByteBuffer.allocate(HARD_STATE_BYTES)
                .put(HARD_STATE_VERSION)
                .putLong(hardState.term())
                .putInt(hardState.votedFor())
                .putLong(hardState.commit())
                .putLong(hardState.clusterId())
                .array();
    }

    static HardState decodeHardState(byte[] bytes) {
        boolean v1 = bytes.length == HARD_STATE_V1_BYTES && bytes[0] == HARD_STATE_VERSION_1;
        boolean v2 = bytes.length == HARD_STATE_BYTES && bytes[0] == HARD_STATE_VERSION;
        if (!v1 && !v2) {
            throw new StorageException("corrupt hard state record (" + bytes.length + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        try {
            long term = buffer.getLong();
            int votedFor = buffer.getInt();
            long commit = buffer.getLong();
            if (v1) {
                return new HardState(term, votedFor, commit);
            }
            return new HardState(term, votedFor, commit, buffer.getLong());
        } catch (IllegalArgumentException e) {
            throw new StorageException("corrupt hard state record: " + e.getMessage(), e);
        }
    }

    /**
     * {@code revision | createRevision | version | value}; a key attached to a lease has the version's
     * top bit set and its lease after the header ({@code | lease | value}). Versions never reach 2^63,
     * so records written before leases existed read unchanged.
     */
    static byte[] encodeKvValue(KvEntry entry) {
        boolean leased = entry.lease() != 0;
        ByteBuffer buffer = ByteBuffer.allocate(KV_HEADER_BYTES + (leased ? Long.BYTES : 0) + entry.value().length)
                .putLong(entry.revision())
                .putLong(entry.createRevision())
                .putLong(leased ? entry.version() | Long.MIN_VALUE : entry.version());
        if (leased) {
            buffer.putLong(entry.lease());
        }
        return buffer.put(entry.value()).array();
    }

    static KvEntry decodeKvEntry(byte[] key, byte[] value) {
        if (value.length < KV_HEADER_BYTES) {
            throw new StorageException("corrupt kv record (" + value.length + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        long revision = buffer.getLong();
        long createRevision = buffer.getLong();
        long version = buffer.getLong();
        long lease = 0;
        if (version < 0) {
            if (buffer.remaining() < Long.BYTES) {
                throw new StorageException("corrupt kv record: a lease flag without a lease");
            }
            version &= Long.MAX_VALUE;
            lease = buffer.getLong();
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new KvEntry(key, bytes, revision, createRevision, version, lease);
    }

    /** {@code esc(key) | 00 01 | revision}: the history record of {@code key} at {@code revision}. */
    static byte[] historyKey(byte[] key, long revision) {
        int at = escapedLength(key);
        byte[] record = new byte[at + TERMINATOR_BYTES + Long.BYTES];
        escapeInto(key, record, at);
        record[at] = ESCAPE;
        record[at + 1] = TERMINATOR_END;
        LONG.set(record, at + TERMINATOR_BYTES, revision);
        return record;
    }

    /** {@code esc(prefix)}, without the terminator: a byte prefix of the records of every key starting with it. */
    static byte[] escapedPrefix(byte[] prefix) {
        int length = escapedLength(prefix);
        byte[] escaped = new byte[length];
        escapeInto(prefix, escaped, length);
        return escaped;
    }

    /** The revision of a history record key. */
    static long historyRevision(byte[] historyKey) {
        return (long) LONG.get(historyKey, historyKey.length - Long.BYTES);
    }

    /** A copy of a history record key with another revision: the same key's record at {@code revision}. */
    static byte[] withRevision(byte[] historyKey, long revision) {
        byte[] record = historyKey.clone();
        LONG.set(record, record.length - Long.BYTES, revision);
        return record;
    }

    /** True when two history record keys are of the same user key. */
    static boolean sameKey(byte[] historyKey, byte[] other) {
        int keyPart = historyKey.length - Long.BYTES;
        return other.length == historyKey.length && Arrays.equals(historyKey, 0, keyPart, other, 0, keyPart);
    }

    /** How many leading bytes of a history record key name its user key: {@code esc(key) | 00 01}. */
    static int keyPartLength(byte[] historyKey) {
        return historyKey.length - Long.BYTES;
    }

    /** The user key of a history record key. */
    static byte[] historyUserKey(byte[] historyKey) {
        return unescape(historyKey, 0, historyKey.length - Long.BYTES - TERMINATOR_BYTES);
    }

    /** {@code esc(key) | 00 02}: after every record of the history key's user key, before the next key's. */
    static byte[] pastKeyRecords(byte[] historyKey) {
        byte[] past = Arrays.copyOf(historyKey, keyPartLength(historyKey));
        past[past.length - 1] = PAST_TERMINATOR_END;
        return past;
    }

    /** The {@code changes} key of a history record key: its revision moved to the front. */
    static byte[] changeKey(byte[] historyKey) {
        int keyPart = keyPartLength(historyKey);
        byte[] change = new byte[historyKey.length];
        System.arraycopy(historyKey, keyPart, change, 0, Long.BYTES);
        System.arraycopy(historyKey, 0, change, Long.BYTES, keyPart);
        return change;
    }

    /** The history record key a {@code changes} key points to. */
    static byte[] historyKeyOfChange(byte[] changeKey) {
        requireChangeKey(changeKey);
        int keyPart = changeKey.length - Long.BYTES;
        byte[] history = new byte[changeKey.length];
        System.arraycopy(changeKey, Long.BYTES, history, 0, keyPart);
        System.arraycopy(changeKey, 0, history, keyPart, Long.BYTES);
        return history;
    }

    /** The revision of a {@code changes} key. */
    static long changeRevision(byte[] changeKey) {
        requireChangeKey(changeKey);
        return (long) LONG.get(changeKey, 0);
    }

    /** True when {@code bytes} has {@code prefix} at {@code offset}. */
    static boolean hasPrefixAt(byte[] bytes, int offset, byte[] prefix, int prefixLength) {
        return bytes.length - offset >= prefixLength
                && Arrays.equals(bytes, offset, offset + prefixLength, prefix, 0, prefixLength);
    }

    /** The value of a history record: the event without its key and revision (both in the record key). */
    static byte[] encodeHistoryValue(Event event) {
        if (event.type() == Event.Type.DELETE) {
            return HISTORY_DELETE_VALUE;
        }
        KvEntry entry = event.entry();
        byte[] value = entry.value();
        int head = entry.lease() != 0 ? HISTORY_HEADER_BYTES + Long.BYTES : HISTORY_HEADER_BYTES;
        byte[] record = new byte[head + value.length];
        record[0] = entry.lease() != 0 ? HISTORY_PUT_LEASED : HISTORY_PUT;
        LONG.set(record, 1, entry.createRevision());
        LONG.set(record, 1 + Long.BYTES, entry.version());
        if (entry.lease() != 0) {
            LONG.set(record, HISTORY_HEADER_BYTES, entry.lease());
        }
        System.arraycopy(value, 0, record, head, value.length);
        return record;
    }

    /** The event of a history record, without {@code prev}. */
    static Event decodeHistoryEvent(byte[] key, long revision, byte[] value) {
        if (value.length < HISTORY_HEADER_BYTES) {
            throw new StorageException("corrupt history record at revision " + revision + " (" + value.length
                    + " bytes)");
        }
        if (value[0] == HISTORY_DELETE) {
            return Event.delete(key, revision, null);
        }
        boolean leased = value[0] == HISTORY_PUT_LEASED;
        if (value[0] != HISTORY_PUT && !leased) {
            throw new StorageException("corrupt history record at revision " + revision + ": type " + value[0]);
        }
        if (leased && value.length < HISTORY_HEADER_BYTES + Long.BYTES) {
            throw new StorageException("corrupt history record at revision " + revision + ": no lease");
        }
        long createRevision = (long) LONG.get(value, 1);
        long version = (long) LONG.get(value, 1 + Long.BYTES);
        long lease = leased ? (long) LONG.get(value, HISTORY_HEADER_BYTES) : 0;
        byte[] bytes = Arrays.copyOfRange(value, leased ? HISTORY_HEADER_BYTES + Long.BYTES : HISTORY_HEADER_BYTES,
                value.length);
        return Event.put(new KvEntry(key, bytes, revision, createRevision, version, lease), null);
    }

    /** True when the history record value is a delete (reads only its first byte). */
    static boolean isHistoryDelete(byte[] value) {
        return value.length > 0 && value[0] == HISTORY_DELETE;
    }

    private static byte[] deleteValue() {
        byte[] value = new byte[HISTORY_HEADER_BYTES];
        value[0] = HISTORY_DELETE;
        return value;
    }

    private static int escapedLength(byte[] key) {
        int length = key.length;
        for (byte b : key) {
            if (b == ESCAPE) {
                length++;
            }
        }
        return length;
    }

    /** Writes {@code esc(key)}, {@code escapedLength} bytes, at the start of {@code out}. */
    private static void escapeInto(byte[] key, byte[] out, int escapedLength) {
        if (escapedLength == key.length) {
            // The common case: no zero bytes, so the key is its own code.
            System.arraycopy(key, 0, out, 0, key.length);
            return;
        }
        int at = 0;
        for (byte b : key) {
            out[at++] = b;
            if (b == ESCAPE) {
                out[at++] = ESCAPED_ZERO;
            }
        }
    }

    private static byte[] unescape(byte[] escaped, int from, int to) {
        if (to < from || to + TERMINATOR_BYTES > escaped.length || escaped[to] != ESCAPE
                || escaped[to + 1] != TERMINATOR_END) {
            throw new StorageException("corrupt history key (" + escaped.length + " bytes): no key terminator");
        }
        int zeros = 0;
        for (int i = from; i < to; i++) {
            if (escaped[i] == ESCAPE) {
                if (i + 1 >= to || escaped[i + 1] != ESCAPED_ZERO) {
                    throw new StorageException("corrupt history key (" + escaped.length + " bytes): bad escape");
                }
                zeros++;
                i++;
            }
        }
        if (zeros == 0) {
            return from == to ? NO_BYTES : Arrays.copyOfRange(escaped, from, to);
        }
        byte[] key = new byte[to - from - zeros];
        int at = 0;
        for (int i = from; i < to; i++) {
            key[at++] = escaped[i];
            if (escaped[i] == ESCAPE) {
                i++;
            }
        }
        return key;
    }

    private static void requireChangeKey(byte[] changeKey) {
        if (changeKey.length < Long.BYTES + TERMINATOR_BYTES) {
            throw new StorageException("corrupt changes record key (" + changeKey.length + " bytes)");
        }
    }

    static Membership decodeMembership(byte[] bytes) {
        try {
            return Membership.decode(bytes);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new StorageException("corrupt membership record: " + e, e);
        }
    }
}
