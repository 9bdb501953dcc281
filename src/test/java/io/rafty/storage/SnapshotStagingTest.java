package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.KvEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The staged stream format of {@link ImageRecord}s: every kind survives it, damage fails cleanly. */
class SnapshotStagingTest {

    @TempDir
    Path directory;

    private static final SnapshotStaging.TransferId ID = new SnapshotStaging.TransferId(1, 2, 30, 2);
    private static final int CHUNK_BYTES = 1000;

    private static List<ImageRecord> records() {
        byte[] large = new byte[100_000];
        Arrays.fill(large, (byte) 0xA5);
        return List.of(
                new ImageRecord.Compaction(7),
                new ImageRecord.Current(new KvEntry(new byte[] {'k', 0, (byte) 0xFF}, new byte[0], 30, 12, 3)),
                new ImageRecord.Current(new KvEntry(new byte[] {'l'}, large, 29, 29, 1)),
                new ImageRecord.Current(new KvEntry(new byte[] {'n'}, new byte[] {4}, 28, 27, 2, 99)),
                new ImageRecord.Past(Event.put(new KvEntry(new byte[] {'k', 0, (byte) 0xFF}, new byte[] {1, 2}, 12, 12, 1),
                        null)),
                new ImageRecord.Past(Event.delete(new byte[] {'m'}, 20, null)),
                new ImageRecord.Deduped(new Dedup(new byte[] {'r', 0}, 25, 1025, new byte[] {9, 8, 7}, new byte[] {1, 0, 3})),
                new ImageRecord.Leased(new io.rafty.kv.Lease(99, 60, 1500)));
    }

    private static String describe(ImageRecord record) {
        if (record instanceof ImageRecord.Compaction compaction) {
            return "compaction " + compaction.compactRevision();
        }
        if (record instanceof ImageRecord.Current current) {
            return "current " + HistoryScript.describe(current.entry()) + " " + current.entry().value().length
                    + " lease " + current.entry().lease();
        }
        if (record instanceof ImageRecord.Leased leased) {
            return "lease " + leased.lease();
        }
        if (record instanceof ImageRecord.Deduped deduped) {
            Dedup dedup = deduped.dedup();
            return "dedup " + Arrays.toString(dedup.key()) + "@" + dedup.revision() + ".." + dedup.expiry() + " "
                    + Arrays.toString(dedup.fingerprint()) + " " + Arrays.toString(dedup.result());
        }
        return "past " + HistoryScript.describe(((ImageRecord.Past) record).event());
    }

    private static byte[] encode(List<ImageRecord> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        records.forEach(record -> out.writeBytes(SnapshotStaging.encode(record)));
        return out.toByteArray();
    }

    /** Stages {@code stream} in chunks, as a transfer would, and completes it. */
    private SnapshotStaging staged(byte[] stream) throws SnapshotStaging.OffsetMismatch {
        SnapshotStaging staging = new SnapshotStaging(directory.resolve("staged"));
        for (int offset = 0; offset < stream.length; offset += CHUNK_BYTES) {
            assertTrue(staging.accept(ID, offset, Arrays.copyOfRange(stream, offset,
                    Math.min(stream.length, offset + CHUNK_BYTES))));
        }
        CRC32 crc = new CRC32();
        crc.update(stream);
        assertTrue(staging.complete(ID, stream.length, crc.getValue()));
        return staging;
    }

    private static List<String> drain(Iterator<ImageRecord> records) {
        List<String> out = new ArrayList<>();
        records.forEachRemaining(record -> out.add(describe(record)));
        return out;
    }

    @Test
    void everyRecordKindSurvivesTheStream() throws Exception {
        List<ImageRecord> records = records();
        Iterator<ImageRecord> read = staged(encode(records)).read();
        assertEquals(records.stream().map(SnapshotStagingTest::describe).toList(), drain(read));
        assertFalse(read.hasNext());
    }

    @Test
    void truncatedStreamFailsAsTruncatedAfterTheWholeRecords() throws Exception {
        byte[] stream = encode(records());
        Iterator<ImageRecord> read = staged(Arrays.copyOf(stream, stream.length - 1)).read();
        List<String> seen = new ArrayList<>();
        UncheckedIOException failure = assertThrows(UncheckedIOException.class,
                () -> read.forEachRemaining(record -> seen.add(describe(record))));
        assertEquals("truncated staged snapshot", failure.getMessage());
        assertEquals(7, seen.size(), "the records before the cut are read");
        assertEquals(List.of(), descriptorsOn(directory.resolve("staged")), "the failed read closed the staged file");
        assertFalse(read.hasNext(), "a failed stream stays ended");
    }

    /** This process's open file descriptors that point at {@code file} (Linux's /proc). */
    private static List<String> descriptorsOn(Path file) throws IOException {
        Path target = file.toRealPath();
        List<String> found = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (Files.readSymbolicLink(fd).equals(target)) {
                        found.add(fd.getFileName().toString());
                    }
                } catch (IOException closedMeanwhile) {
                    // The descriptor of the listing itself, or one closed since: not the staged file.
                }
            }
        }
        return found;
    }

    @Test
    void unknownRecordKindIsCorrupt() throws Exception {
        byte[] stream = encode(List.of(new ImageRecord.Compaction(1)));
        byte[] damaged = Arrays.copyOf(stream, stream.length + 1);
        damaged[stream.length] = 9;
        Iterator<ImageRecord> read = staged(damaged).read();
        read.next();
        assertEquals("corrupt staged snapshot", assertThrows(UncheckedIOException.class, read::hasNext).getMessage());
    }

    @Test
    void unknownHistoryTypeIsCorrupt() throws Exception {
        byte[] stream = SnapshotStaging.encode(records().get(4));
        stream[1] = 7;
        UncheckedIOException failure = assertThrows(UncheckedIOException.class, () -> staged(stream).read().hasNext());
        assertEquals("corrupt staged snapshot", failure.getMessage());
        assertTrue(failure.getCause().getMessage().contains("unknown history record type 7"));
    }

    @Test
    void negativeOrHugeLengthIsCorruptBeforeAnythingIsAllocated() throws Exception {
        for (int length : new int[] {-1, Integer.MAX_VALUE}) {
            byte[] stream = ByteBuffer.allocate(1 + 4).put((byte) 2).putInt(length).array();
            UncheckedIOException failure = assertThrows(UncheckedIOException.class, () -> staged(stream).read().next());
            assertEquals("corrupt staged snapshot", failure.getMessage());
            assertTrue(failure.getCause().getMessage().contains("record length " + length + " out of range"));
            new SnapshotStaging(directory.resolve("staged")).clear();
        }
    }
}
