package io.rafty.jmh;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Precondition;
import io.rafty.raft.Entry;
import io.rafty.storage.RocksStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state machine's share of a write, on RocksDB as a node runs it: {@code batch} committed puts of
 * 256-byte values over 1 000 keys applied in one {@link KvStateMachine#apply} (a read of each key, then
 * one write batch). Reported per entry. Written against the API both before and after the history, so
 * the same file measures either build.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@OperationsPerInvocation(StateMachineApplyBenchmark.OPS)
public class StateMachineApplyBenchmark {

    static final int OPS = 1024;
    private static final int KEYS = 1000;

    @Param({"1", "64"})
    int batch;

    private Path directory;
    private RocksStorage storage;
    private KvStateMachine machine;
    private byte[][] payloads;
    private long index;

    @Setup(Level.Trial)
    public void open() throws IOException {
        directory = Files.createTempDirectory("rafty-apply-bench");
        storage = RocksStorage.open(directory);
        machine = new KvStateMachine(storage.kvStore());
        Random random = new Random(1);
        payloads = new byte[KEYS][];
        for (int key = 0; key < KEYS; key++) {
            byte[] value = new byte[256];
            random.nextBytes(value);
            payloads[key] = CommandCodec.encode(new Command.Put(("bench/" + key).getBytes(StandardCharsets.UTF_8),
                    value, Precondition.NONE));
        }
    }

    @Benchmark
    public int apply() {
        int results = 0;
        for (int done = 0; done < OPS; done += batch) {
            List<Entry> entries = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                index++;
                entries.add(Entry.command(1, index, payloads[(int) (index % KEYS)]));
            }
            results += machine.apply(entries).size();
        }
        return results;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        storage.close();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
