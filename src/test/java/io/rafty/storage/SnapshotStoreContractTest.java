package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.SnapshotMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot images and installs, against RocksDB and the in-memory twin. */
abstract class SnapshotStoreContractTest {

    protected LogStore log;
    protected KvStore kv;
    protected SnapshotStore snapshots;

    protected abstract void openEmpty();

    protected abstract void reopen();

    protected abstract void closeAll();

    @AfterEach
    void close() {
        closeAll();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KvEntry entry(String key, String value, long revision) {
        return new KvEntry(bytes(key), bytes(value), revision, revision, 1);
    }

    private void write(long applied, KvEntry... entries) {
        Map<Key, KvEntry> changes = new LinkedHashMap<>();
        for (KvEntry e : entries) {
            changes.put(new Key(e.key()), e);
        }
        kv.write(changes, List.of(), 0, applied);
    }

    /** The current entries of an image (its compaction and history records left out). */
    private static List<KvEntry> drain(Iterator<ImageRecord> it) {
        List<KvEntry> out = new ArrayList<>();
        it.forEachRemaining(record -> {
            if (record instanceof ImageRecord.Current current) {
                out.add(current.entry());
            }
        });
        return out;
    }

    private static Iterator<ImageRecord> image(KvEntry... entries) {
        List<ImageRecord> records = new ArrayList<>();
        records.add(new ImageRecord.Compaction(0));
        for (KvEntry entry : entries) {
            records.add(new ImageRecord.Current(entry));
        }
        return records.iterator();
    }

    @Test
    void imageIsAConsistentPointInTimeView() {
        openEmpty();
        write(3, entry("a", "1", 2), entry("b", "2", 3));
        try (SnapshotStore.StateImage image = snapshots.openImage()) {
            write(4, entry("c", "3", 4));
            assertEquals(3, image.appliedIndex());
            List<KvEntry> seen = drain(image.records());
            assertEquals(2, seen.size(), "the later write is not in the image");
            assertArrayEquals(bytes("a"), seen.get(0).key());
        }
    }

    @Test
    void installReplacesStateMachineAndLogTogether() {
        openEmpty();
        log.save(new HardState(1, 1, 2), List.of(Entry.command(1, 1, bytes("x")), Entry.command(1, 2, bytes("y"))));
        write(2, entry("old", "gone", 2));
        Membership members = Membership.ofVoters(Set.of(1, 2, 3));
        snapshots.install(new SnapshotMeta(50, 4, members), image(entry("k1", "v1", 40), entry("k2", "v2", 50)));
        reopen();
        assertNull(kv.get(bytes("old")));
        assertArrayEquals(bytes("v2"), kv.get(bytes("k2")).value());
        assertEquals(50, kv.appliedIndex());
        assertEquals(50, log.logStartIndex());
        assertEquals(4, log.logStartTerm());
        assertEquals(List.of(), log.entries());
        assertEquals(members, log.membership());
        log.save(null, List.of(Entry.command(4, 51, bytes("next"))));
        assertEquals(51, log.lastIndex());
    }

    @Test
    void syncReportsTheAppliedIndex() {
        openEmpty();
        write(7, entry("a", "1", 7));
        assertEquals(7, snapshots.syncStateMachine());
    }

    static final class Rocks extends SnapshotStoreContractTest {
        @TempDir
        Path directory;
        private RocksStorage storage;

        @Override
        protected void openEmpty() {
            storage = RocksStorage.open(directory);
            bind();
        }

        @Override
        protected void reopen() {
            storage.close();
            storage = RocksStorage.open(directory);
            bind();
        }

        private void bind() {
            log = storage.logStore();
            kv = storage.kvStore();
            snapshots = storage.snapshotStore();
        }

        @Override
        protected void closeAll() {
            storage.close();
        }
    }

    static final class InMemory extends SnapshotStoreContractTest {
        private InMemoryLogStore memoryLog;
        private InMemoryKvStore memoryKv;

        @Override
        protected void openEmpty() {
            memoryLog = new InMemoryLogStore();
            memoryKv = new InMemoryKvStore();
            bind();
        }

        @Override
        protected void reopen() {
            memoryLog = memoryLog.reopen();
            bind();
        }

        private void bind() {
            log = memoryLog;
            kv = memoryKv;
            snapshots = new InMemorySnapshotStore(memoryLog, memoryKv);
        }

        @Override
        protected void closeAll() {
        }
    }
}
