package io.rafty.storage;

import io.rafty.kv.KvEntry;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

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
 * meta  "logStart"                                        value  index (8) | term (8) of the last compacted entry
 * kv    key   user key bytes                              value  revision (8) | createRevision (8) | version (8) | value
 * </pre>
 *
 * The hard state is one record rather than three keys: it is always written whole, and one record
 * cannot be half-updated. The applied index lives in {@code meta}, outside the user key space, and
 * is written in the same WriteBatch as the {@code kv} changes it covers.
 */
final class RocksRecords {

    static final byte[] HARD_STATE_KEY = "hardState".getBytes(StandardCharsets.US_ASCII);
    static final byte[] MEMBERSHIP_KEY = "membership".getBytes(StandardCharsets.US_ASCII);
    static final byte[] APPLIED_INDEX_KEY = "appliedIndex".getBytes(StandardCharsets.US_ASCII);
    /** The index and term of the last entry removed by compaction or replaced by a snapshot. */
    static final byte[] LOG_START_KEY = "logStart".getBytes(StandardCharsets.US_ASCII);
    /** A random id drawn when the storage was created: a replaced disk shows up as a new id. */
    static final byte[] STORAGE_ID_KEY = "storageId".getBytes(StandardCharsets.US_ASCII);

    private static final byte HARD_STATE_VERSION_1 = 1;
    private static final byte HARD_STATE_VERSION = 2;
    private static final int HARD_STATE_V1_BYTES = 1 + Long.BYTES + Integer.BYTES + Long.BYTES;
    private static final int HARD_STATE_BYTES = HARD_STATE_V1_BYTES + Long.BYTES;
    private static final int LOG_HEADER_BYTES = Long.BYTES + 1;
    private static final int KV_HEADER_BYTES = 3 * Long.BYTES;

    private RocksRecords() {
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

    static byte[] encodeKvValue(KvEntry entry) {
        return ByteBuffer.allocate(KV_HEADER_BYTES + entry.value().length)
                .putLong(entry.revision())
                .putLong(entry.createRevision())
                .putLong(entry.version())
                .put(entry.value())
                .array();
    }

    static KvEntry decodeKvEntry(byte[] key, byte[] value) {
        if (value.length < KV_HEADER_BYTES) {
            throw new StorageException("corrupt kv record (" + value.length + " bytes)");
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        long revision = buffer.getLong();
        long createRevision = buffer.getLong();
        long version = buffer.getLong();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new KvEntry(key, bytes, revision, createRevision, version);
    }

    static Membership decodeMembership(byte[] bytes) {
        try {
            return Membership.decode(bytes);
        } catch (IllegalArgumentException | BufferUnderflowException e) {
            throw new StorageException("corrupt membership record: " + e, e);
        }
    }
}
