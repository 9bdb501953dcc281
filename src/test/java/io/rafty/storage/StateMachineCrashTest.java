package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.KeySelector;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.KvStore;
import io.rafty.raft.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * State-machine writes skip the WAL: a node killed after a snapshot's sync reopens with its state
 * machine exactly as of some applied index at or after the sync — every family from the same moment —
 * and replaying its log from there gives the state it had. Run in a child JVM that halts without
 * closing RocksDB, since an in-process close would flush the memtables.
 */
class StateMachineCrashTest {

    private static final int ENTRIES = 3_000;
    private static final int SYNC_AFTER = 1_200;

    @TempDir
    Path directory;

    @Test
    void aKilledNodeReopensAtAConsistentAppliedIndexNoOlderThanItsLastSyncAndReplaysTheRest() throws Exception {
        Path data = directory.resolve("data");
        List<String> output = runUntilHalt(data);
        assertEquals(List.of("synced " + SYNC_AFTER, "applied " + ENTRIES), output);
        try (RocksStorage storage = RocksStorage.open(data)) {
            KvStateMachine machine = new KvStateMachine(storage.kvStore());
            long reopened = machine.appliedIndex();
            assertTrue(reopened >= SYNC_AFTER && reopened <= ENTRIES, "reopened at " + reopened);
            assertSameState(reference(reopened), storage.kvStore(), reopened);
            assertEquals(ENTRIES, storage.logStore().lastIndex(), "the log is synced on every save");
            machine.apply(storage.logStore().entries());
            assertSameState(reference(ENTRIES), storage.kvStore(), ENTRIES);
        }
    }

    /** The in-memory store after entries 1..{@code through}, applied the same way. */
    private static InMemoryKvStore reference(long through) {
        InMemoryKvStore store = new InMemoryKvStore();
        KvStateMachine machine = new KvStateMachine(store);
        List<Entry> batch = new ArrayList<>();
        for (long index = 1; index <= through; index++) {
            batch.add(HaltingApplier.entry(index));
        }
        machine.apply(batch);
        return store;
    }

    private static void assertSameState(KvStore expected, KvStore actual, long applied) {
        assertEquals(applied, actual.appliedIndex());
        assertEquals(HistoryScript.describe(expected.scan(new byte[0], null, Integer.MAX_VALUE)),
                HistoryScript.describe(actual.scan(new byte[0], null, Integer.MAX_VALUE)), "current keys at " + applied);
        KeySelector all = KeySelector.prefix(new byte[0]);
        assertEquals(HistoryScript.describeEvents(expected.history(all, 1, applied, Integer.MAX_VALUE, true).events()),
                HistoryScript.describeEvents(actual.history(all, 1, applied, Integer.MAX_VALUE, true).events()),
                "history at " + applied);
    }

    private List<String> runUntilHalt(Path data) throws IOException, InterruptedException {
        Path log = directory.resolve("child.log");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), HaltingApplier.class.getName(),
                data.toString(), Integer.toString(ENTRIES), Integer.toString(SYNC_AFTER))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child finished");
        List<String> lines = Files.readAllLines(log);
        assertEquals(0, child.exitValue(), String.join("\n", lines));
        return lines.stream().filter(line -> line.startsWith("synced ") || line.startsWith("applied ")).toList();
    }
}
