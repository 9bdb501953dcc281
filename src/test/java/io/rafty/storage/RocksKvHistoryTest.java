package io.rafty.storage;

import static io.rafty.storage.HistoryScript.ALL;
import static io.rafty.storage.HistoryScript.bytes;
import static io.rafty.storage.HistoryScript.describe;
import static io.rafty.storage.HistoryScript.describeEvents;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Precondition;
import io.rafty.raft.Entry;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.RevisionUnavailableException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/** The history contract on RocksDB, plus what only a durable store has: reopening and migration. */
class RocksKvHistoryTest extends KvHistoryContractTest {

    @TempDir
    Path directory;

    @TempDir
    Path oldDirectory;

    private RocksStorage storage;

    @Override
    protected KvStore openEmpty() {
        storage = RocksStorage.open(directory);
        return storage.kvStore();
    }

    @Override
    protected void closeAll() {
        storage.close();
    }

    @Override
    protected long historyRecordCount() {
        return ((RocksKvStore) store).historyRecordCount();
    }

    private void reopen(Path path) {
        storage.close();
        storage = RocksStorage.open(path);
        store = storage.kvStore();
        script.rebind(store);
    }

    /**
     * A read at the head races the writes of its key: the current entry answers only when it was written
     * at or before the revision asked, else the history does; either way the answer is the key's state at
     * that revision, as the script recorded it.
     */
    @Test
    void aReadAtTheHeadWhileItsKeyIsRewrittenAnswersWithTheStateAtItsRevision() throws Exception {
        script.put("hot", "0");
        record Read(long revision, KvEntry entry) {
        }
        List<Read> reads = new ArrayList<>();
        AtomicBoolean written = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 1; i <= 600; i++) {
                    script.put("hot", Integer.toString(i));
                    if (i % 4 == 0) {
                        script.delete("hot");
                    }
                }
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                written.set(true);
            }
        }, "history-writer");
        writer.start();
        while (!written.get()) {
            long revision = store.appliedIndex();
            reads.add(new Read(revision, store.getAt(bytes("hot"), revision)));
        }
        writer.join();
        assertNull(failure.get());
        assertTrue(reads.size() > 1, "the reader ran beside the writer");
        for (Read read : reads) {
            List<KvEntry> expected = script.stateAt(read.revision(), bytes("hot"));
            assertEquals(HistoryScript.describe(expected),
                    HistoryScript.describe(read.entry() == null ? List.of() : List.of(read.entry())),
                    "getAt hot @" + read.revision());
        }
    }

    @Test
    void historyCompactionAndPurgeProgressSurviveReopen() {
        writeScript();
        script.compact(14);                                          // 19
        List<String> answers = script.answers(store, 14, 19);
        long toPurge = script.events.stream().filter(event -> event.revision() < 14).count();
        assertEquals(2, store.purgeHistory(2));

        reopen(directory);

        assertEquals(14, store.compactRevision());
        assertEquals(19, store.appliedIndex());
        assertEquals(answers, script.answers(store, 14, 19));
        assertEquals(toPurge - 2, HistoryScript.purgeAll(store, 3), "the purge goes on where it stopped");
        assertEquals(answers, script.answers(store, 14, 19));
        assertEquals(script.recordsKeptAfterPurge(14), historyRecordCount());
        script.put("a", "after-reopen");                             // 20
        assertEquals(List.of("put a=after-reopen@20/c18/v2 prev a=5@18/c18/v1"),
                store.history(KeySelector.key(bytes("a")), 20, 20, ALL, true).events().stream()
                        .map(HistoryScript::describe).toList());
    }

    /** Writes kv records and an applied index into {@code path} exactly as the version before the history did. */
    private static void writePreHistoryStore(Path path, List<KvEntry> entries, long appliedIndex) throws RocksDBException {
        RocksDB.loadLibrary();
        List<ColumnFamilyDescriptor> families = new ArrayList<>();
        for (String name : List.of("default", "log", "meta", "kv")) {
            families.add(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.US_ASCII)));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
             RocksDB db = RocksDB.open(options, path.toString(), families, handles);
             WriteBatch batch = new WriteBatch();
             WriteOptions synced = new WriteOptions().setSync(true)) {
            for (KvEntry entry : entries) {
                batch.put(handles.get(3), entry.key(), RocksRecords.encodeKvValue(entry));
            }
            batch.put(handles.get(2), RocksRecords.APPLIED_INDEX_KEY, RocksRecords.indexKey(appliedIndex));
            db.write(synced, batch);
            handles.forEach(ColumnFamilyHandle::close);
        }
    }

    /** Collects what {@link RocksKvStore} logs while open. */
    private static final class Captured extends Handler implements AutoCloseable {
        private final Logger logger = Logger.getLogger(RocksKvStore.class.getName());
        final List<LogRecord> records = new ArrayList<>();

        Captured() {
            logger.addHandler(this);
        }

        @Override
        public synchronized void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }

    @Test
    void storeFromBeforeTheHistoryGetsAHistoryStartingAtItsAppliedIndex() throws RocksDBException {
        // One key more than a migration batch, so the seeding takes two batches.
        int keys = RocksKvStore.MIGRATION_BATCH_KEYS + 1;
        long applied = keys + 5L;
        List<KvEntry> entries = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            entries.add(new KvEntry(bytes(String.format("k%06d", i)), bytes("v" + i), i + 1, 1, i + 1));
        }
        entries.add(new KvEntry(bytes("last"), bytes("at-applied"), applied, 3, 2));
        writePreHistoryStore(oldDirectory, entries, applied);

        try (Captured log = new Captured()) {
            reopen(oldDirectory);
            assertEquals(1, log.records.size(), "one line when migrating");
            assertEquals(Level.INFO, log.records.get(0).getLevel());
            assertTrue(log.records.get(0).getMessage().contains("predates the history: seeded it with " + (keys + 1)
                    + " current keys"), log.records.get(0).getMessage());
        }

        assertEquals(applied, store.appliedIndex());
        assertEquals(applied, store.compactRevision(), "the history starts at the applied index");
        KvStore.Page current = store.list(new byte[0], null, ALL);
        assertEquals(keys + 1, current.entries().size());
        assertEquals(describe(current.entries()), describe(store.listAt(new byte[0], null, ALL, applied).entries()));
        assertEquals("k000007=v7@8/c1/v8", describe(store.getAt(bytes("k000007"), applied)));
        RevisionUnavailableException compacted = assertThrows(RevisionUnavailableException.class,
                () -> store.getAt(bytes("k000007"), applied - 1));
        assertEquals("COMPACTED requested " + (applied - 1) + " compact " + applied + " current " + applied,
                describe(compacted));
        String atApplied = "[put last=at-applied@" + applied + "/c3/v2]";
        assertEquals(atApplied, describeEvents(store.history(KeySelector.prefix(new byte[0]), applied, applied, ALL,
                false).events()), "only the change at the applied index is history");
        assertEquals(atApplied, describeEvents(store.history(KeySelector.key(bytes("last")), applied, applied, ALL,
                false).events()));
        assertEquals(keys + 1, historyRecordCount(), "one record per key");
        assertEquals(0, store.purgeHistory(ALL), "nothing below the compact revision waits for the purge");

        // Writes go on, and their previous state is the seeded one.
        new KvStateMachine(store).apply(List.of(Entry.command(1, applied + 1, CommandCodec.encode(
                new Command.Put(bytes("k000007"), bytes("new"), Precondition.NONE)))));
        assertEquals("[put k000007=new@" + (applied + 1) + "/c1/v9 prev k000007=v7@8/c1/v8]",
                describeEvents(store.history(KeySelector.key(bytes("k000007")), applied, applied + 1, ALL, true)
                        .events()));

        try (Captured log = new Captured()) {
            reopen(oldDirectory);
            assertEquals(List.of(), log.records, "migrated once");
        }
        assertEquals(applied, store.compactRevision());
        assertEquals(keys + 2, historyRecordCount());
    }

    @Test
    void freshStoreIsMarkedAndNeverMigrated() throws RocksDBException {
        assertArrayEquals(new byte[] {RocksRecords.HISTORY_FORMAT},
                storage.db().get(storage.metaFamily(), RocksRecords.HISTORY_FORMAT_KEY));
        script.put("a", "1");
        try (Captured log = new Captured()) {
            reopen(directory);
            assertEquals(List.of(), log.records);
        }
        assertEquals(0, store.compactRevision());
        assertEquals("a=1@1/c1/v1", describe(store.getAt(bytes("a"), 1)));
        assertEquals(1, historyRecordCount());
    }

    @Test
    void storeWithAnUnknownHistoryFormatIsRefused() throws RocksDBException {
        storage.db().put(storage.metaFamily(), RocksRecords.HISTORY_FORMAT_KEY, new byte[] {9});
        storage.close();
        StorageException refused = assertThrows(StorageException.class, () -> RocksStorage.open(directory));
        assertTrue(refused.getMessage().contains("history format [9]"), refused.getMessage());
        storage = RocksStorage.open(oldDirectory);
    }
}
