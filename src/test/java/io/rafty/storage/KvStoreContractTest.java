package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Dedup;
import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.Lease;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rules every {@link KvStore} keeps; run against each implementation by a subclass. */
abstract class KvStoreContractTest {

    protected KvStore store;

    /** A new, empty store. */
    protected abstract KvStore openEmpty();

    /** Releases whatever the last opened store holds. */
    protected abstract void closeAll();

    @BeforeEach
    void open() {
        store = openEmpty();
    }

    @AfterEach
    void close() {
        closeAll();
    }

    protected static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    protected static KvEntry entry(byte[] key, String value, long revision) {
        return new KvEntry(key, bytes(value), revision, revision, 1);
    }

    /** Writes each key with value = its text, at consecutive revisions, as one batch. */
    protected void putAll(long appliedIndex, byte[]... keys) {
        Map<Key, KvEntry> changes = new HashMap<>();
        for (int i = 0; i < keys.length; i++) {
            changes.put(new Key(keys[i]), entry(keys[i], "v" + i, appliedIndex));
        }
        store.write(changes, List.of(), 0, appliedIndex);
    }

    /** Deletes each key (a null change), as one batch. */
    protected void deleteAll(long appliedIndex, byte[]... keys) {
        Map<Key, KvEntry> changes = new HashMap<>();
        for (byte[] key : keys) {
            changes.put(new Key(key), null);
        }
        store.write(changes, List.of(), 0, appliedIndex);
    }

    private static List<String> hexKeys(List<KvEntry> entries) {
        return entries.stream().map(entry -> HexFormat.of().formatHex(entry.key())).toList();
    }

    private static List<String> textKeys(List<KvEntry> entries) {
        return entries.stream().map(entry -> new String(entry.key(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void emptyStoreHasNothingAppliedAndNoKeys() {
        assertEquals(0, store.appliedIndex());
        assertNull(store.get(bytes("a")));
        assertTrue(store.scan(new byte[0], null, 10).isEmpty());
    }

    @Test
    void writtenEntryReadsBackWithItsMetadata() {
        KvEntry written = new KvEntry(bytes("k"), bytes("value"), 9, 4, 3);
        store.write(Map.of(new Key(bytes("k")), written), List.of(), 0, 9);

        KvEntry read = store.get(bytes("k"));
        assertArrayEquals(bytes("value"), read.value());
        assertArrayEquals(bytes("k"), read.key());
        assertEquals(9, read.revision());
        assertEquals(4, read.createRevision());
        assertEquals(3, read.version());
    }

    @Test
    void emptyValueIsStoredAndDistinctFromAbsent() {
        store.write(Map.of(new Key(bytes("k")), new KvEntry(bytes("k"), new byte[0], 1, 1, 1)), List.of(), 0, 1);
        assertArrayEquals(new byte[0], store.get(bytes("k")).value());
    }

    @Test
    void nullChangeDeletesTheKey() {
        putAll(1, bytes("a"), bytes("b"));
        deleteAll(2, bytes("a"));
        assertNull(store.get(bytes("a")));
        assertEquals(List.of("b"), textKeys(store.scan(new byte[0], null, 10)));
    }

    @Test
    void appliedIndexMovesWithTheWrites() {
        putAll(3, bytes("a"));
        assertEquals(3, store.appliedIndex());
        store.write(Map.of(), List.of(), 0, 5);
        assertEquals(5, store.appliedIndex());
    }

    @Test
    void listCarriesTheAppliedIndexItsEntriesWereReadAt() {
        putAll(3, bytes("a"), bytes("b"));
        store.write(Map.of(), List.of(), 0, 7);
        KvStore.Page page = store.list(new byte[0], null, 10);
        assertEquals(7, page.revision());
        assertEquals(List.of("a", "b"), textKeys(page.entries()));
    }

    @Test
    void writeThatWouldRewindTheAppliedIndexChangesNothing() {
        putAll(5, bytes("a"));
        Map<Key, KvEntry> rewind = Map.of(new Key(bytes("b")), entry(bytes("b"), "x", 4));
        assertThrows(IllegalArgumentException.class, () -> store.write(rewind, List.of(), 0, 4));
        assertEquals(5, store.appliedIndex());
        assertNull(store.get(bytes("b")));
    }

    @Test
    void scanIsInUnsignedByteOrder() {
        byte[] high = {(byte) 0x80};
        byte[] highest = {(byte) 0xFF};
        byte[] low = {0x01};
        byte[] middle = {0x7F};
        putAll(1, highest, low, high, middle);
        assertEquals(List.of("01", "7f", "80", "ff"), hexKeys(store.scan(new byte[0], null, 10)));
    }

    @Test
    void scanKeepsToThePrefix() {
        putAll(1, bytes("a"), bytes("a/1"), bytes("a/2"), bytes("a0"), bytes("b/1"));
        assertEquals(List.of("a/1", "a/2"), textKeys(store.scan(bytes("a/"), null, 10)));
    }

    @Test
    void scanWithHighBytePrefixStopsAtItsEnd() {
        byte[] prefix = {(byte) 0xFE};
        putAll(1, new byte[] {(byte) 0xFD, 0x01}, new byte[] {(byte) 0xFE}, new byte[] {(byte) 0xFE, (byte) 0x90},
                new byte[] {(byte) 0xFF});
        assertEquals(List.of("fe", "fe90"), hexKeys(store.scan(prefix, null, 10)));
    }

    @Test
    void scanStartsStrictlyAfterTheAfterKey() {
        putAll(1, bytes("a/1"), bytes("a/2"), bytes("a/3"));
        assertEquals(List.of("a/2", "a/3"), textKeys(store.scan(bytes("a/"), bytes("a/1"), 10)));
        assertEquals(List.of("a/2", "a/3"), textKeys(store.scan(bytes("a/"), bytes("a/10"), 10)));
    }

    @Test
    void scanAfterAKeyBeforeThePrefixStartsAtThePrefix() {
        putAll(1, bytes("a/1"), bytes("b/1"), bytes("b/2"));
        assertEquals(List.of("b/1", "b/2"), textKeys(store.scan(bytes("b/"), bytes("a/1"), 10)));
    }

    @Test
    void scanAfterAKeyPastThePrefixFindsNothing() {
        putAll(1, bytes("a/1"), bytes("b/1"));
        assertTrue(store.scan(bytes("a/"), bytes("b"), 10).isEmpty());
    }

    @Test
    void scanReturnsAtMostLimitEntries() {
        putAll(1, bytes("k1"), bytes("k2"), bytes("k3"));
        assertEquals(List.of("k1", "k2"), textKeys(store.scan(bytes("k"), null, 2)));
        assertTrue(store.scan(bytes("k"), null, 0).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> store.scan(bytes("k"), null, -1));
    }

    @Test
    void paginationByAfterVisitsEveryKeyOnce() {
        putAll(1, bytes("p1"), bytes("p2"), bytes("p3"), bytes("p4"), bytes("p5"));
        List<KvEntry> page = store.scan(bytes("p"), null, 2);
        StringBuilder visited = new StringBuilder();
        while (!page.isEmpty()) {
            page.forEach(entry -> visited.append(new String(entry.key(), StandardCharsets.UTF_8)).append(' '));
            page = store.scan(bytes("p"), page.get(page.size() - 1).key(), 2);
        }
        assertEquals("p1 p2 p3 p4 p5 ", visited.toString());
    }

    // ----- the idempotency table

    private static Dedup dedup(String key, long revision, String result) {
        return new Dedup(bytes(key), revision, revision + 4, bytes("fp-" + key), bytes(result));
    }

    @Test
    void idempotencyEntriesAreWrittenWithTheBatchAndReplacedByKey() {
        assertNull(store.dedup(bytes("retry-1")));
        store.write(Map.of(), List.of(), List.of(dedup("retry-1", 3, "first"), dedup("retry-2", 3, "second")), 0, 3);
        assertEquals(3, store.dedup(bytes("retry-1")).revision());
        assertArrayEquals(bytes("first"), store.dedup(bytes("retry-1")).result());
        assertArrayEquals(bytes("fp-retry-1"), store.dedup(bytes("retry-1")).fingerprint());
        store.write(Map.of(), List.of(), List.of(dedup("retry-1", 9, "again")), 0, 9);
        assertEquals(9, store.dedup(bytes("retry-1")).revision());
        assertArrayEquals(bytes("again"), store.dedup(bytes("retry-1")).result());
        assertNull(store.dedup(bytes("retry-3")));
    }

    @Test
    void thePurgeRemovesIdempotencyEntriesWhoseWindowHasPassedOnly() {
        // Windows of 4 revisions: a at 2 (until 6), b at 5 (until 9).
        store.write(Map.of(), List.of(), List.of(dedup("a", 2, "x"), dedup("b", 5, "y")), 0, 5);
        store.write(Map.of(), List.of(), List.of(dedup("a", 7, "z")), 0, 7);
        store.write(Map.of(), List.of(), List.of(), 0, 9);
        while (store.purgeHistory(1) > 0) {
            // one record per step, until nothing is left to remove
        }
        assertNull(store.dedup(bytes("b")), "its window ended at 9, the applied index");
        assertEquals(7, store.dedup(bytes("a")).revision(), "re-recorded at 7 (until 11): its first window does not "
                + "count");
        assertEquals(11, store.dedup(bytes("a")).expiry());
    }

    // ----- leases

    @Test
    void leasesAndTheirKeysAreWrittenWithTheBatch() {
        store.write(new KvStore.Batch(Map.of(new Key(bytes("a")), new KvEntry(bytes("a"), bytes("1"), 2, 2, 1, 7)),
                List.of(), List.of(), Map.of(7L, new Lease(7, 30, Lease.NO_CHECKPOINT), 9L,
                new Lease(9, 5, 1200)), List.of(new KvStore.Attachment(7, bytes("a"), true),
                new KvStore.Attachment(7, bytes("b"), true)), 0, 2));
        assertEquals(7, store.get(bytes("a")).lease(), "the key's lease is stored with it");
        assertEquals(30, store.lease(7).ttlSeconds());
        assertEquals(1200, store.lease(9).remainingMs());
        assertEquals(List.of(7L, 9L), store.leases().stream().map(Lease::id).toList());
        assertEquals(List.of("a", "b"), store.leaseKeys(7, 10).stream().map(k -> new String(k, StandardCharsets.UTF_8))
                .toList());
        assertEquals(1, store.leaseKeys(7, 1).size());
        java.util.Map<Long, Lease> removed = new HashMap<>();
        removed.put(9L, null);
        store.write(new KvStore.Batch(Map.of(), List.of(), List.of(), removed,
                List.of(new KvStore.Attachment(7, bytes("a"), false)), 0, 3));
        assertNull(store.lease(9));
        assertEquals(1, store.leaseKeys(7, 10).size());
        assertEquals(0, store.leaseKeys(9, 10).size());
    }
}
