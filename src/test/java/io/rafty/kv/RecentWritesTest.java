package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.rafty.raft.Entry;
import io.rafty.storage.InMemoryKvStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecentWritesTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Key key(String s) {
        return new Key(bytes(s));
    }

    private static KvEntry entry(String key, int valueBytes, long revision) {
        return new KvEntry(bytes(key), new byte[valueBytes], revision, revision, 1);
    }

    private static Map<Key, KvEntry> changes(KvEntry... entries) {
        Map<Key, KvEntry> changes = new LinkedHashMap<>();
        for (KvEntry entry : entries) {
            changes.put(new Key(entry.key()), entry);
        }
        return changes;
    }

    private static long cost(int valueBytes) {
        return 1 + valueBytes + RecentWrites.ENTRY_OVERHEAD_BYTES;
    }

    @Test
    void theEldestWrittenLeaveFirstOnceTheBytesPassTheBound() {
        RecentWrites recent = new RecentWrites(3 * cost(100));
        recent.validate(0, 0);
        recent.stored(changes(entry("a", 100, 1), entry("b", 100, 1), entry("c", 100, 1)), 1);
        assertEquals(3, recent.size());
        // Writing a again makes it the youngest: b is now the eldest.
        recent.stored(changes(entry("a", 100, 2)), 2);
        recent.stored(changes(entry("d", 100, 3)), 3);
        assertNull(recent.get(key("b")));
        assertEquals(2, recent.get(key("a")).revision());
        assertEquals(3, recent.size());
        assertEquals(3 * cost(100), recent.bytes());
    }

    @Test
    void anEntryLargerThanTheBoundIsNotKeptAndADeletionTakesOneOut() {
        RecentWrites recent = new RecentWrites(cost(100));
        recent.validate(0, 0);
        recent.stored(changes(entry("a", 100, 1)), 1);
        recent.stored(changes(entry("b", 101, 2)), 2);
        assertNull(recent.get(key("b")));
        assertEquals(1, recent.size());
        Map<Key, KvEntry> delete = new LinkedHashMap<>();
        delete.put(key("a"), null);
        recent.stored(delete, 3);
        assertNull(recent.get(key("a")));
        assertEquals(0, recent.bytes());
    }

    @Test
    void anotherInstallCountOrAppliedIndexEmptiesIt() {
        RecentWrites recent = new RecentWrites(1 << 20);
        recent.validate(0, 0);
        recent.stored(changes(entry("a", 1, 1)), 1);
        recent.validate(0, 1);
        assertEquals(1, recent.size(), "the store is as the cache left it");
        recent.validate(1, 1);
        assertEquals(0, recent.size(), "an install at the same index");
        recent.stored(changes(entry("a", 1, 2)), 2);
        recent.validate(1, 1);
        assertEquals(0, recent.size(), "a store rolled back to an earlier applied index");
    }

    @Test
    void aNegativeBoundIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RecentWrites(-1));
    }

    /** The point of the cache: a key written again is read from the store once, not once per write. */
    @Test
    void aKeyWrittenAgainIsNotReadFromTheStore() {
        List<String> reads = new ArrayList<>();
        KvStore store = countingGets(reads);
        KvStateMachine machine = new KvStateMachine(store, Set.of(), new RecentWrites(1 << 20));
        long index = 0;
        for (int round = 0; round < 3; round++) {
            List<Entry> batch = new ArrayList<>();
            for (String k : List.of("a", "b")) {
                batch.add(Entry.command(1, ++index, CommandCodec.encode(new Command.Put(bytes(k), bytes("v" + index),
                        Precondition.NONE))));
            }
            machine.apply(batch);
        }
        assertEquals(List.of("a", "b"), reads);
        assertEquals(3, machine.get(bytes("a")).version());
        KvResult.Written last = (KvResult.Written) machine.apply(List.of(Entry.command(1, ++index,
                CommandCodec.encode(new Command.Put(bytes("a"), bytes("w"), Precondition.NONE))))).get(0);
        assertEquals(4, last.entry().version());
        assertEquals("v5", new String(last.prev().value(), StandardCharsets.UTF_8));
        assertNull(machine.get(bytes("c")));
    }

    /** With the cache off every write reads its key. */
    @Test
    void aZeroBoundReadsEveryTime() {
        List<String> reads = new ArrayList<>();
        KvStore store = countingGets(reads);
        KvStateMachine machine = new KvStateMachine(store, Set.of(), new RecentWrites(0));
        for (long index = 1; index <= 3; index++) {
            machine.apply(List.of(Entry.command(1, index, CommandCodec.encode(new Command.Put(bytes("a"), bytes("v"),
                    Precondition.NONE)))));
        }
        assertEquals(List.of("a", "a", "a"), reads);
    }

    /** An in-memory store that records every key read through {@code get}. */
    private static KvStore countingGets(List<String> reads) {
        return new ForwardingKvStore(new InMemoryKvStore()) {
            @Override
            public KvEntry get(byte[] key) {
                reads.add(new String(key, StandardCharsets.UTF_8));
                return delegate.get(key);
            }
        };
    }
}
