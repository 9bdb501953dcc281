package io.rafty.storage;

import static io.rafty.storage.HistoryScript.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rafty.kv.KvStore;
import io.rafty.raft.Membership;
import io.rafty.raft.SnapshotMeta;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator runs the in-memory twin and production runs RocksDB, and a snapshot from either
 * may end up in the other's format through the same records: each twin's image, installed in the
 * other, answers every query as its source does.
 */
class HistoryImageInteropTest {

    @TempDir
    Path directory;

    private RocksStorage rocks;
    private InMemoryLogStore memoryLog;
    private InMemoryKvStore memoryKv;
    private InMemorySnapshotStore memorySnapshots;

    @BeforeEach
    void open() {
        rocks = RocksStorage.open(directory);
        memoryLog = new InMemoryLogStore();
        memoryKv = new InMemoryKvStore();
        memorySnapshots = new InMemorySnapshotStore(memoryLog, memoryKv);
    }

    @AfterEach
    void close() {
        rocks.close();
    }

    private static HistoryScript history(KvStore store) {
        HistoryScript script = new HistoryScript(store);
        for (int i = 1; i <= 12; i++) {
            if (i % 4 == 0) {
                script.delete("k/" + i % 3);
            } else {
                script.put("k/" + i % 3, "v" + i);
            }
        }
        script.transaction("k/0", "t", "k/1", null, "m", "t");     // 13
        script.put(new byte[] {'k', '/', 0, (byte) 0xFF}, bytes("x")); // 14
        script.compact(6);                                          // 15
        store.purgeHistory(4);
        return script;
    }

    private static void transfer(SnapshotStore from, SnapshotStore to) {
        try (SnapshotStore.StateImage image = from.openImage()) {
            to.install(new SnapshotMeta(image.appliedIndex(), 1, Membership.ofVoters(Set.of(1))), image.records());
        }
    }

    @Test
    void rocksImageInstalledInTheInMemoryTwinAnswersTheSame() {
        HistoryScript script = history(rocks.kvStore());
        List<String> answers = script.answers(rocks.kvStore(), 6, 15);
        transfer(rocks.snapshotStore(), memorySnapshots);
        assertEquals(answers, script.answers(memoryKv, 6, 15));
        HistoryScript.purgeAll(memoryKv, 3);
        HistoryScript.purgeAll(rocks.kvStore(), 3);
        assertEquals(answers, script.answers(memoryKv, 6, 15));
        assertEquals(((RocksKvStore) rocks.kvStore()).historyRecordCount(), memoryKv.historyRecordCount());
    }

    @Test
    void inMemoryImageInstalledInRocksAnswersTheSame() {
        HistoryScript script = history(memoryKv);
        List<String> answers = script.answers(memoryKv, 6, 15);
        transfer(memorySnapshots, rocks.snapshotStore());
        assertEquals(answers, script.answers(rocks.kvStore(), 6, 15));
        HistoryScript.purgeAll(rocks.kvStore(), 3);
        HistoryScript.purgeAll(memoryKv, 3);
        assertEquals(answers, script.answers(rocks.kvStore(), 6, 15));
        assertEquals(memoryKv.historyRecordCount(), ((RocksKvStore) rocks.kvStore()).historyRecordCount());
    }
}
