package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.Lease;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup file's contract: what a RocksDB store holds survives save and restore; damage is detected. */
class BackupRestoreTest {

    private static final long REVISION = 9;

    @TempDir
    Path dir;

    private Path backup;

    @BeforeEach
    void writeBackup() throws IOException {
        backup = dir.resolve("b.snapshot");
        try (RocksStorage source = RocksStorage.open(dir.resolve("source"))) {
            fill(source.kvStore());
            try (SnapshotStore.StateImage image = source.snapshotStore().openImage()) {
                write(image, backup, 64);
            }
        }
    }

    /**
     * Revisions 1..9: a leased key overwritten, a key put then deleted, a third put, a lease, an
     * idempotency entry, compaction at 3 (so "a"@1 is gone, "a"@2 is kept as the state at 3) and applied index 9.
     */
    private static void fill(KvStore kv) {
        KvEntry a1 = entry("a", "v1", 1, 1, 1, 7);
        KvEntry a2 = entry("a", "v2", 2, 1, 2, 7);
        KvEntry b4 = entry("b", "x", 4, 4, 1, 0);
        KvEntry c6 = entry("c", "y", 6, 6, 1, 0);
        KvEntry a8 = entry("a", "v3", 8, 1, 3, 7);
        kv.write(new KvStore.Batch(Map.of(key("a"), a1), List.of(Event.put(a1, null)), List.of(),
                Map.of(7L, new Lease(7, 60, 45_000)), List.of(new KvStore.Attachment(7, bytes("a"), true)), 0, 1));
        kv.write(new KvStore.Batch(Map.of(key("a"), a2), List.of(Event.put(a2, a1)), List.of(), Map.of(), List.of(), 0, 2));
        kv.write(new KvStore.Batch(Map.of(key("b"), b4), List.of(Event.put(b4, null)), List.of(), Map.of(), List.of(), 0, 4));
        Map<Key, KvEntry> deleteB = new HashMap<>();
        deleteB.put(key("b"), null);
        kv.write(new KvStore.Batch(deleteB, List.of(Event.delete(bytes("b"), 5, b4)),
                List.of(new Dedup(bytes("idem-1"), 5, 1_000_005, bytes("fp"), bytes("result"))), Map.of(), List.of(), 0, 5));
        kv.write(new KvStore.Batch(Map.of(key("c"), c6), List.of(Event.put(c6, null)), List.of(), Map.of(), List.of(), 3, 6));
        kv.write(new KvStore.Batch(Map.of(key("a"), a8), List.of(Event.put(a8, a2)), List.of(), Map.of(), List.of(), 3,
                REVISION));
    }

    static void write(SnapshotStore.StateImage image, Path file, int chunkBytes) throws IOException {
        BackupFormat.Writer writer = new BackupFormat.Writer(new BackupFormat.Header(BackupFormat.FORMAT_VERSION,
                image.appliedIndex(), 42, 1, 1_700_000_000_000L), image.records());
        try (OutputStream out = Files.newOutputStream(file)) {
            while (!writer.finished()) {
                out.write(writer.nextChunk(chunkBytes));
            }
        }
    }

    @Test
    void restoredStoreHoldsEveryKeyRevisionLeaseHistoryRecordAndTheCompactRevision() throws IOException {
        Path restored = dir.resolve("restored");
        Restore.Result result = Restore.restore(backup, restored, 4, Map.of(5, "http://127.0.0.1:5005"));
        assertEquals(REVISION, result.backup().header().revision());
        try (RocksStorage storage = RocksStorage.open(restored)) {
            KvStore kv = storage.kvStore();
            assertEquals(REVISION, kv.appliedIndex());
            assertEquals(3, kv.compactRevision());
            assertEntry(entry("a", "v3", 8, 1, 3, 7), kv.get(bytes("a")));
            assertNull(kv.get(bytes("b")));
            assertEntry(entry("c", "y", 6, 6, 1, 0), kv.get(bytes("c")));
            // The same revisions: past reads and history from the compact revision on.
            assertEntry(entry("a", "v2", 2, 1, 2, 7), kv.getAt(bytes("a"), 3));
            assertEntry(entry("b", "x", 4, 4, 1, 0), kv.getAt(bytes("b"), 4));
            assertNull(kv.getAt(bytes("b"), 5));
            assertThrows(RevisionUnavailableException.class, () -> kv.getAt(bytes("a"), 1));
            List<Event> history = kv.history(KeySelector.prefix(new byte[0]), 3, REVISION, 100, false).events();
            assertEquals(List.of(4L, 5L, 6L, 8L), history.stream().map(Event::revision).toList());
            assertEquals(Event.Type.DELETE, history.get(1).type());
            assertEquals(List.of(new Lease(7, 60, 45_000)), kv.leases());
            assertEquals(List.of("a"), kv.leaseKeys(7, 10).stream().map(BackupRestoreTest::text).toList());
            Dedup dedup = kv.dedup(bytes("idem-1"));
            assertEquals(5, dedup.revision());
            assertArrayEquals(bytes("result"), dedup.result());
            // The log starts at R, so the next entry (and every new revision) is above it.
            LogStore log = storage.logStore();
            assertEquals(REVISION, log.logStartIndex());
            assertEquals(REVISION, log.lastIndex());
            assertEquals(new HardState(Restore.RESTORED_TERM, HardState.NO_VOTE, REVISION, 0), log.hardState());
            Membership membership = log.membership();
            assertEquals(Set.of(4), membership.voters());
            assertEquals(Set.of(5), membership.learners());
            assertEquals(Set.of(5), membership.autoPromote());
            assertFalse(membership.bindsStorage(), "no storage binding of the old cluster may survive");
            assertEquals(result.storageId(), log.storageId());
        }
    }

    @Test
    void aRestoredNodeGetsAFreshStorageIdEachTime() {
        long first = Restore.restore(backup, dir.resolve("one"), 1, Map.of()).storageId();
        long second = Restore.restore(backup, dir.resolve("two"), 1, Map.of()).storageId();
        assertNotEquals(first, second);
    }

    @Test
    void theImageOfARestoredStoreIsTheBackedUpImage() throws IOException {
        Path restored = dir.resolve("restored");
        Restore.restore(backup, restored, 1, Map.of());
        Path again = dir.resolve("again.snapshot");
        try (RocksStorage storage = RocksStorage.open(restored);
             SnapshotStore.StateImage image = storage.snapshotStore().openImage()) {
            write(image, again, 1 << 20);
        }
        assertEquals(records(backup), records(again));
    }

    @Test
    void verifyCountsRecordsAndReadsTheHeader() {
        BackupFormat.Summary summary = BackupFormat.verify(backup);
        // compaction + 2 current (a, c) + history (a@1, not purged yet, a@2, a@8, b@4, b@5, c@6) + 1 dedup + 1 lease
        assertEquals(11, summary.records());
        assertEquals(REVISION, summary.header().revision());
        assertEquals(42, summary.header().clusterId());
    }

    @Test
    void everyFlippedByteIsDetected() throws IOException {
        byte[] original = Files.readAllBytes(backup);
        Path damaged = dir.resolve("damaged");
        for (int i = 0; i < original.length; i++) {
            byte[] copy = original.clone();
            copy[i] ^= 0x10;
            Files.write(damaged, copy);
            int at = i;
            assertThrows(BackupFormat.CorruptBackupException.class, () -> BackupFormat.verify(damaged),
                    () -> "a flipped byte at offset " + at + " of " + original.length + " went unnoticed");
        }
    }

    @Test
    void everyTruncationIsDetected() throws IOException {
        byte[] original = Files.readAllBytes(backup);
        Path cut = dir.resolve("cut");
        for (int length = 0; length < original.length; length++) {
            Files.write(cut, java.util.Arrays.copyOf(original, length));
            int at = length;
            assertThrows(BackupFormat.CorruptBackupException.class, () -> BackupFormat.verify(cut),
                    () -> "a file cut at " + at + " of " + original.length + " bytes went unnoticed");
        }
        Files.write(cut, concat(original, new byte[] {1}));
        assertThrows(BackupFormat.CorruptBackupException.class, () -> BackupFormat.verify(cut));
    }

    @Test
    void restoreRefusesADamagedFileAndWritesNothing() throws IOException {
        byte[] bytes = Files.readAllBytes(backup);
        bytes[bytes.length / 2] ^= 1;
        Path damaged = dir.resolve("damaged");
        Files.write(damaged, bytes);
        Path target = dir.resolve("target");
        assertThrows(BackupFormat.CorruptBackupException.class, () -> Restore.restore(damaged, target, 1, Map.of()));
        assertFalse(Files.exists(target));
        try (var siblings = Files.list(dir)) {
            assertTrue(siblings.noneMatch(p -> p.getFileName().toString().contains(".restoring-")));
        }
    }

    @Test
    void restoreRefusesANonEmptyDirectoryAndBadArguments() throws IOException {
        Path used = Files.createDirectories(dir.resolve("used"));
        Files.writeString(used.resolve("CURRENT"), "x");
        Restore.RefusedException nonEmpty = assertThrows(Restore.RefusedException.class,
                () -> Restore.restore(backup, used, 1, Map.of()));
        assertTrue(nonEmpty.getMessage().contains("not empty"), nonEmpty.getMessage());
        assertThrows(Restore.RefusedException.class, () -> Restore.restore(backup, dir.resolve("x"), 0, Map.of()));
        assertThrows(Restore.RefusedException.class,
                () -> Restore.restore(backup, dir.resolve("y"), 2, Map.of(2, "http://127.0.0.1:1")));
        // An empty directory is fine: it is where the operator wants the node's storage.
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Restore.restore(backup, empty, 1, Map.of());
        assertTrue(Files.exists(empty.resolve("CURRENT")));
    }

    private static List<String> records(Path file) {
        List<String> out = new ArrayList<>();
        try (BackupFormat.Reader reader = BackupFormat.open(file)) {
            while (reader.hasNext()) {
                out.add(java.util.HexFormat.of().formatHex(SnapshotStaging.encode(reader.next())));
            }
        }
        return out;
    }

    private static void assertEntry(KvEntry expected, KvEntry actual) {
        assertEquals(text(expected.key()) + "=" + text(expected.value()) + " r" + expected.revision() + " c"
                        + expected.createRevision() + " v" + expected.version() + " l" + expected.lease(),
                actual == null ? null : text(actual.key()) + "=" + text(actual.value()) + " r" + actual.revision()
                        + " c" + actual.createRevision() + " v" + actual.version() + " l" + actual.lease());
    }

    private static KvEntry entry(String key, String value, long revision, long created, long version, long lease) {
        return new KvEntry(bytes(key), bytes(value), revision, created, version, lease);
    }

    private static Key key(String key) {
        return new Key(bytes(key));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
