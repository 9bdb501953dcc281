package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Precondition;
import io.rafty.raft.Entry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvStateMachineOnRocksTest {

    @TempDir
    Path directory;

    private static Entry put(long index, String key, String value) {
        Command command = new Command.Put(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8),
                Precondition.NONE);
        return Entry.command(1, index, CommandCodec.encode(command));
    }

    @Test
    void replayFromTheLogAfterRestartAppliesEachEntryOnce() {
        List<Entry> log = List.of(put(1, "a", "1"), put(2, "a", "2"), Entry.noop(2, 3));
        try (RocksStorage storage = RocksStorage.open(directory)) {
            storage.logStore().save(null, log);
            new KvStateMachine(storage.kvStore()).apply(log.subList(0, 2));
        }
        try (RocksStorage storage = RocksStorage.open(directory)) {
            KvStateMachine machine = new KvStateMachine(storage.kvStore());
            // The host replays the whole durable log; only entry 3 is new.
            assertTrue(machine.apply(storage.logStore().entries()).isEmpty());
            assertEquals(3, machine.appliedIndex());
            assertEquals(2, machine.get("a".getBytes(StandardCharsets.UTF_8)).version());
        }
    }
}
