package io.rafty.storage;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.KvEntry;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.zip.CRC32;

/**
 * A snapshot arriving from the leader in chunks, staged in a file next to the database until it is
 * complete, verified and installed. One transfer at a time: a chunk of a different transfer (another
 * leader, term or index) starting at offset 0 replaces the staged one, unless the staged one is
 * complete and waiting to be installed or declined: then it is refused until {@link #clear()}. Chunks may be re-sent (a lost
 * acknowledgement): a chunk at an offset already held is accepted without rewriting, which is what
 * makes a transfer resumable.
 *
 * <p>The stream format is a sequence of {@link ImageRecord}s, each a kind byte and its fields:
 * <pre>
 *   1 compaction   compactRevision:i64
 *   2 current      entry
 *   3 past         type:u8 (1 put, 2 delete) entry
 *   entry = keyLength:i32 key revision:i64 createRevision:i64 version:i64 valueLength:i32 value
 * </pre>
 * Blocking: call from a worker thread. Synchronized: chunks may arrive on any thread.
 */
public final class SnapshotStaging {

    /** Identifies one transfer. */
    public record TransferId(int leaderId, long term, long index, long snapshotTerm) {
    }

    /** Thrown when a chunk does not continue the staged stream; the sender restarts at {@code expectedOffset}. */
    public static final class OffsetMismatch extends Exception {

        private static final long serialVersionUID = 1L;
        private final long expectedOffset;

        OffsetMismatch(long expectedOffset) {
            super("expected offset " + expectedOffset, null, false, false);
            this.expectedOffset = expectedOffset;
        }

        public long expectedOffset() {
            return expectedOffset;
        }
    }

    private final Path file;
    private TransferId current;
    private long bytesStaged;
    private final CRC32 checksum = new CRC32();
    private boolean complete;

    public SnapshotStaging(Path file) {
        this.file = file;
    }

    /**
     * Appends {@code chunk} at {@code offset} of transfer {@code id}.
     *
     * @return true when the chunk is new data, false when it was already staged
     */
    public synchronized boolean accept(TransferId id, long offset, byte[] chunk) throws OffsetMismatch {
        if (!id.equals(current)) {
            if (complete) {
                // A complete snapshot is waiting for the node to install or decline it; replacing
                // it now would pull the file from under the install. The sender retries later.
                throw new OffsetMismatch(0);
            }
            if (offset != 0) {
                throw new OffsetMismatch(0);
            }
            reset(id);
        }
        if (offset + chunk.length <= bytesStaged) {
            return false;
        }
        if (offset != bytesStaged) {
            throw new OffsetMismatch(bytesStaged);
        }
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            out.write(chunk);
        } catch (IOException e) {
            throw new StorageException("staging a snapshot chunk in " + file + " failed: " + e.getMessage(), e);
        }
        checksum.update(chunk);
        bytesStaged += chunk.length;
        complete = false;
        return true;
    }

    /** Marks the staged transfer complete when its size and CRC-32 match what the leader sent. */
    public synchronized boolean complete(TransferId id, long totalBytes, long crc32) {
        complete = id.equals(current) && totalBytes == bytesStaged && crc32 == checksum.getValue();
        return complete;
    }

    /** The complete, verified transfer whose index is {@code index}, or null. */
    public synchronized TransferId completed(long index) {
        return complete && current != null && current.index() == index ? current : null;
    }

    /** Reads the staged records, in order. The caller drains the iterator before calling {@link #clear()}. */
    public synchronized Iterator<ImageRecord> read() {
        try {
            InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            return new RecordIterator(new DataInputStream(in));
        } catch (IOException e) {
            throw new StorageException("reading the staged snapshot " + file + " failed: " + e.getMessage(), e);
        }
    }

    public synchronized void clear() {
        reset(null);
    }

    /** Clears the staging area if it holds transfer {@code id}; another transfer staged since is kept. */
    public synchronized void discard(TransferId id) {
        if (id.equals(current)) {
            reset(null);
        }
    }

    private void reset(TransferId id) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new StorageException("removing the staged snapshot " + file + " failed: " + e.getMessage(), e);
        }
        current = id;
        bytesStaged = 0;
        checksum.reset();
        complete = false;
    }

    private static final byte COMPACTION = 1;
    private static final byte CURRENT = 2;
    private static final byte PAST = 3;
    private static final byte DEDUPED = 4;
    private static final byte LEASED = 5;
    private static final byte AUTHORIZED = 6;
    private static final byte PUT = 1;
    private static final byte DELETE = 2;
    private static final int ENTRY_HEADER_BYTES = 4 + 24 + 4;

    /** Encodes one record in the stream format. */
    public static byte[] encode(ImageRecord record) {
        if (record instanceof ImageRecord.Compaction compaction) {
            return ByteBuffer.allocate(1 + Long.BYTES).put(COMPACTION).putLong(compaction.compactRevision()).array();
        }
        if (record instanceof ImageRecord.Current current) {
            KvEntry entry = current.entry();
            return putEntry(ByteBuffer.allocate(1 + entryBytes(entry)).put(CURRENT), entry).array();
        }
        if (record instanceof ImageRecord.Leased leased) {
            return ByteBuffer.allocate(1 + 3 * Long.BYTES).put(LEASED).putLong(leased.lease().id())
                    .putLong(leased.lease().ttlSeconds()).putLong(leased.lease().remainingMs()).array();
        }
        if (record instanceof ImageRecord.Authorized authorized) {
            byte[] table = authorized.auth().encode();
            return ByteBuffer.allocate(1 + 4 + table.length).put(AUTHORIZED).putInt(table.length).put(table).array();
        }
        if (record instanceof ImageRecord.Deduped deduped) {
            Dedup dedup = deduped.dedup();
            return ByteBuffer.allocate(1 + 3 * 4 + 2 * Long.BYTES + dedup.key().length + dedup.fingerprint().length
                    + dedup.result().length).put(DEDUPED)
                    .putInt(dedup.key().length).put(dedup.key()).putLong(dedup.revision()).putLong(dedup.expiry())
                    .putInt(dedup.fingerprint().length).put(dedup.fingerprint())
                    .putInt(dedup.result().length).put(dedup.result()).array();
        }
        Event event = ((ImageRecord.Past) record).event();
        KvEntry entry = event.entry();
        return putEntry(ByteBuffer.allocate(2 + entryBytes(entry))
                .put(PAST).put(event.type() == Event.Type.PUT ? PUT : DELETE), entry).array();
    }

    /** A leased entry has its version's top bit set and its lease after the version (versions never reach 2^63). */
    private static ByteBuffer putEntry(ByteBuffer buffer, KvEntry entry) {
        buffer.putInt(entry.key().length).put(entry.key())
                .putLong(entry.revision()).putLong(entry.createRevision());
        if (entry.lease() != 0) {
            buffer.putLong(entry.version() | Long.MIN_VALUE).putLong(entry.lease());
        } else {
            buffer.putLong(entry.version());
        }
        return buffer.putInt(entry.value().length).put(entry.value());
    }

    private static int entryBytes(KvEntry entry) {
        return ENTRY_HEADER_BYTES + entry.key().length + entry.value().length + (entry.lease() != 0 ? Long.BYTES : 0);
    }

    /**
     * Reads the fields of one record whose kind byte ({@code kind}, already read) is not the end of the
     * stream; the backup format ({@link BackupFormat}) frames the same records.
     *
     * @throws IOException on an unknown kind or a malformed field; {@link EOFException} when the stream ends
     *                     inside the record
     */
    static ImageRecord readRecord(DataInputStream in, int kind) throws IOException {
        switch (kind) {
            case COMPACTION:
                return new ImageRecord.Compaction(in.readLong());
            case CURRENT:
                return new ImageRecord.Current(readEntry(in));
            case PAST:
                int type = in.readUnsignedByte();
                if (type != PUT && type != DELETE) {
                    throw new IOException("unknown history record type " + type);
                }
                return new ImageRecord.Past(new Event(type == PUT ? Event.Type.PUT : Event.Type.DELETE,
                        readEntry(in), null));
            case LEASED:
                try {
                    return new ImageRecord.Leased(new io.rafty.kv.Lease(in.readLong(), in.readLong(),
                            in.readLong()));
                } catch (IllegalArgumentException e) {
                    throw new IOException("corrupt lease record: " + e.getMessage());
                }
            case DEDUPED:
                byte[] key = readBytes(in, in.readInt());
                long revision = in.readLong();
                long expiry = in.readLong();
                return new ImageRecord.Deduped(new Dedup(key, revision, expiry, readBytes(in, in.readInt()),
                        readBytes(in, in.readInt())));
            case AUTHORIZED:
                try {
                    return new ImageRecord.Authorized(io.rafty.kv.AuthState.decode(readBytes(in, in.readInt())));
                } catch (IllegalArgumentException e) {
                    throw new IOException("corrupt auth record: " + e.getMessage());
                }
            default:
                throw new IOException("unknown record kind " + kind);
        }
    }

    private static final class RecordIterator implements Iterator<ImageRecord> {
        private final DataInputStream in;
        private ImageRecord next;
        private boolean done;

        RecordIterator(DataInputStream in) {
            this.in = in;
        }

        @Override
        public boolean hasNext() {
            if (next == null && !done) {
                next = readOne();
            }
            return next != null;
        }

        @Override
        public ImageRecord next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ImageRecord out = next;
            next = null;
            return out;
        }

        private ImageRecord readOne() {
            try {
                int kind = in.read();
                if (kind < 0) {
                    done = true;
                    in.close();
                    return null;
                }
                return readRecord(in, kind);
            } catch (EOFException e) {
                throw failed("truncated staged snapshot", e);
            } catch (IOException e) {
                throw failed("corrupt staged snapshot", e);
            }
        }

        /** A damaged stream ends the iteration: the file is closed at once, not left to the collector. */
        private UncheckedIOException failed(String what, IOException cause) {
            done = true;
            try {
                in.close();
            } catch (IOException closing) {
                cause.addSuppressed(closing);
            }
            return new UncheckedIOException(what, cause);
        }
    }

    private static KvEntry readEntry(DataInputStream in) throws IOException {
        byte[] key = readBytes(in, in.readInt());
        long revision = in.readLong();
        long createRevision = in.readLong();
        long version = in.readLong();
        long lease = 0;
        if (version < 0) {
            version &= Long.MAX_VALUE;
            lease = in.readLong();
        }
        byte[] value = readBytes(in, in.readInt());
        return new KvEntry(key, value, revision, createRevision, version, lease);
    }

    private static byte[] readBytes(DataInputStream in, int length) throws IOException {
        if (length < 0 || length > (64 << 20)) {
            throw new IOException("record length " + length + " out of range");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
