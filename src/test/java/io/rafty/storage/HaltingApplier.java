package io.rafty.storage;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Precondition;
import io.rafty.raft.Entry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link StateMachineCrashTest}: logs and applies {@code entries} commands in
 * batches of {@link #BATCH}, syncs the state machine as a snapshot would after {@code syncAfter} of
 * them, applies the rest, and halts without closing anything, as a killed node would.
 */
final class HaltingApplier {

    static final int BATCH = 10;
    static final int KEYS = 50;

    private HaltingApplier() {
    }

    /** The command at {@code index}: a put of one of {@link #KEYS} keys, every seventh a delete. */
    static Entry entry(long index) {
        byte[] key = ("k" + index % KEYS).getBytes(StandardCharsets.UTF_8);
        Command command = index % 7 == 0 ? new Command.Delete(key, Precondition.NONE)
                : new Command.Put(key, ("v" + index).getBytes(StandardCharsets.UTF_8), Precondition.NONE);
        return Entry.command(1, index, CommandCodec.encode(command));
    }

    public static void main(String[] args) {
        Path directory = Path.of(args[0]);
        int entries = Integer.parseInt(args[1]);
        int syncAfter = Integer.parseInt(args[2]);
        RocksStorage storage = RocksStorage.open(directory);
        KvStateMachine machine = new KvStateMachine(storage.kvStore());
        for (int first = 1; first <= entries; first += BATCH) {
            List<Entry> batch = new ArrayList<>();
            for (int index = first; index < first + BATCH && index <= entries; index++) {
                batch.add(entry(index));
            }
            storage.logStore().save(null, batch);
            machine.apply(batch);
            if (machine.appliedIndex() == syncAfter) {
                System.out.println("synced " + storage.snapshotStore().syncStateMachine());
            }
        }
        System.out.println("applied " + machine.appliedIndex());
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
