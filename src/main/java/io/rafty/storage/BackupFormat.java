package io.rafty.storage;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;

/**
 * The backup file ({@code GET /v1/snapshot}, {@code rafty snapshot save|restore}): a header, the
 * state-machine image in the very records a snapshot ships to a follower ({@link ImageRecord},
 * encoded by {@link SnapshotStaging#encode}), and a trailer whose checksum covers everything before it.
 * <pre>
 *   header   magic "RAFTYBAK" (8 bytes) · formatVersion:i32 (1) · revision:i64 · clusterId:i64 ·
 *            sourceNode:i32 · createdAtMs:i64
 *   records  kind:u8 (1..5, never 0) and its fields, as SnapshotStaging documents; the compaction record first
 *   trailer  0x00 (end of records) · recordCount:i64 · crc32c:u32 of every byte from the magic through recordCount
 * </pre>
 * All integers are big-endian. Nothing may follow the trailer. A stream that stops early — a dropped
 * connection, a full disk — lacks the trailer, so a reader can tell a complete backup from a truncated
 * one without any outside length; a flipped byte fails the checksum (or the record syntax first).
 */
public final class BackupFormat {

    static final byte[] MAGIC = "RAFTYBAK".getBytes(StandardCharsets.US_ASCII);
    public static final int FORMAT_VERSION = 1;
    static final int HEADER_BYTES = MAGIC.length + Integer.BYTES + Long.BYTES + Long.BYTES + Integer.BYTES + Long.BYTES;
    private static final int END_OF_RECORDS = 0;

    private BackupFormat() {
    }

    /**
     * What the header says.
     *
     * @param revision   the applied index the image reflects: every write with a revision at or below it is in
     *                   the backup, none above it
     * @param clusterId  the cluster it was taken from (0 if the node did not know yet); informational
     * @param sourceNode the node that streamed it; informational
     */
    public record Header(int formatVersion, long revision, long clusterId, int sourceNode, long createdAtMs) {
    }

    /** A verified backup: its header, how many records it holds and its size. */
    public record Summary(Header header, long records, long bytes, long crc32c) {
    }

    /** The backup is damaged, truncated, not a backup at all, or of a format this version does not read. */
    public static final class CorruptBackupException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        CorruptBackupException(String message) {
            super(message);
        }
    }

    /**
     * Produces a backup's bytes chunk by chunk from an image's records, never holding more than about
     * one chunk (plus one record) in memory. Not thread-safe: one caller at a time, in sequence.
     */
    public static final class Writer {

        private final Header header;
        private final Iterator<ImageRecord> records;
        private final CRC32C crc = new CRC32C();
        private long recordCount;
        private boolean headerWritten;
        private boolean finished;

        public Writer(Header header, Iterator<ImageRecord> records) {
            this.header = header;
            this.records = records;
        }

        /**
         * The next chunk: about {@code maxBytes} (a record larger than that travels whole), the header
         * in the first, the trailer in the last. Call while {@link #finished()} is false.
         */
        public byte[] nextChunk(int maxBytes) {
            if (finished) {
                throw new IllegalStateException("the backup is complete");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxBytes, 1 << 20) + 64);
            if (!headerWritten) {
                headerWritten = true;
                append(out, encodeHeader(header));
            }
            while (out.size() < maxBytes && records.hasNext()) {
                append(out, SnapshotStaging.encode(records.next()));
                recordCount++;
            }
            if (!records.hasNext()) {
                byte[] end = ByteBuffer.allocate(1 + Long.BYTES).put((byte) END_OF_RECORDS).putLong(recordCount)
                        .array();
                append(out, end);
                out.writeBytes(ByteBuffer.allocate(Integer.BYTES).putInt((int) crc.getValue()).array());
                finished = true;
            }
            return out.toByteArray();
        }

        public boolean finished() {
            return finished;
        }

        /** The checksum of the trailer; meaningful once {@link #finished()}. */
        public long crc32c() {
            return crc.getValue();
        }

        private void append(ByteArrayOutputStream out, byte[] bytes) {
            crc.update(bytes);
            out.writeBytes(bytes);
        }
    }

    static byte[] encodeHeader(Header header) {
        return ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(header.formatVersion()).putLong(header.revision())
                .putLong(header.clusterId()).putInt(header.sourceNode()).putLong(header.createdAtMs()).array();
    }

    /** Reads all of {@code file} and checks it; throws {@link CorruptBackupException} with the reason if it is not whole. */
    public static Summary verify(Path file) {
        try (Reader reader = open(file)) {
            while (reader.hasNext()) {
                reader.next();
            }
            return reader.summary();
        }
    }

    /**
     * Opens {@code file} for reading its records in order. The header is checked at once; the checksum
     * when the last record has been read ({@link Reader#hasNext()} throws then if it does not match), so
     * a caller that must not act on a damaged file verifies it first ({@link #verify}).
     */
    public static Reader open(Path file) {
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new CorruptBackupException("no such file: " + file);
        } catch (IOException e) {
            throw new CorruptBackupException("cannot read " + file + ": " + e.getMessage());
        }
        return new Reader(file, in);
    }

    /** The records of a backup file, checked as they are read. Close it. */
    public static final class Reader implements Iterator<ImageRecord>, AutoCloseable {

        private final Path file;
        private final CheckedInputStream checked;
        private final DataInputStream in;
        private final Header header;
        private ImageRecord next;
        private long records;
        private Summary summary;

        private Reader(Path file, InputStream raw) {
            this.file = file;
            this.checked = new CheckedInputStream(new BufferedInputStream(raw, 1 << 16), new CRC32C());
            this.in = new DataInputStream(checked);
            try {
                this.header = readHeader();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        public Header header() {
            return header;
        }

        /** The summary, once every record has been read and the trailer checked. */
        public Summary summary() {
            if (summary == null) {
                throw new IllegalStateException("not read to the end yet");
            }
            return summary;
        }

        private Header readHeader() {
            byte[] magic = new byte[MAGIC.length];
            try {
                in.readFully(magic);
                if (!Arrays.equals(magic, MAGIC)) {
                    throw corrupt("not a Rafty backup (no RAFTYBAK header)");
                }
                int version = in.readInt();
                if (version != FORMAT_VERSION) {
                    throw corrupt("backup format " + version + " is not readable by this version (it reads "
                            + FORMAT_VERSION + ")");
                }
                Header read = new Header(version, in.readLong(), in.readLong(), in.readInt(), in.readLong());
                if (read.revision() < 0) {
                    throw corrupt("negative revision " + read.revision() + " in the header");
                }
                return read;
            } catch (EOFException e) {
                throw corrupt("truncated: the file ends inside the header");
            } catch (IOException e) {
                throw corrupt("cannot read: " + e.getMessage());
            }
        }

        @Override
        public boolean hasNext() {
            if (next == null && summary == null) {
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
                    throw corrupt("truncated: the file ends after " + records
                            + " records without the trailer (an interrupted download?)");
                }
                if (kind == END_OF_RECORDS) {
                    readTrailer();
                    return null;
                }
                ImageRecord record = SnapshotStaging.readRecord(in, kind);
                if (records == 0 && !(record instanceof ImageRecord.Compaction)) {
                    throw corrupt("the first record is not the compact revision");
                }
                records++;
                return record;
            } catch (EOFException e) {
                throw corrupt("truncated: the file ends inside record " + (records + 1));
            } catch (IOException | IllegalArgumentException e) {
                throw corrupt("corrupt record " + (records + 1) + ": " + e.getMessage());
            }
        }

        private void readTrailer() throws IOException {
            long counted = in.readLong();
            long expected = checked.getChecksum().getValue();
            long stored = Integer.toUnsignedLong(in.readInt());
            if (stored != expected) {
                throw corrupt("checksum mismatch (trailer says " + Long.toHexString(stored) + ", content has "
                        + Long.toHexString(expected) + "): the file is damaged");
            }
            if (counted != records) {
                throw corrupt("the trailer counts " + counted + " records, the file holds " + records);
            }
            if (in.read() >= 0) {
                throw corrupt("unexpected bytes after the trailer");
            }
            summary = new Summary(header, records, Files.size(file), stored);
            close();
        }

        private CorruptBackupException corrupt(String why) {
            close();
            return new CorruptBackupException(file + ": " + why);
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // Read-only: nothing is lost if closing fails.
            }
        }
    }
}
