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
import java.util.SplittableRandom;
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
 * What a write costs the state machine once the store is large: {@code keys} keys (the 5 M-key run's
 * {@code bench/NNN} keys, 256-byte values) are applied first, as a node's preload would, history kept;
 * then each measured apply is one batch of 64 puts to random existing keys, so every put reads its key
 * from RocksDB before writing it (the {@code RecentWrites} cache holds only a sliver of 5 M keys). The
 * RocksDB settings come from the {@code -Drafty.rocksdb.*} properties of the forked JVM, which is how
 * the settings were compared (BENCHMARKS.md, issue 19). {@code get} measures the read alone.
 *
 * <p>Slow to set up (5 M puts, about a minute on two cores) and needs ~2 GB of disk in the temporary
 * directory; run it on its own, not with the quick benchmarks.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LargeStoreApplyBenchmark {

    static final int BATCH = 64;
    private static final int VALUE_BYTES = 256;

    @Param({"5000000"})
    int keys;

    private Path directory;
    private RocksStorage storage;
    private KvStateMachine machine;
    private byte[] value;
    private SplittableRandom random;
    private long index;

    @Setup(Level.Trial)
    public void open() throws IOException {
        directory = Files.createTempDirectory("rafty-large-store-bench");
        storage = RocksStorage.open(directory);
        machine = new KvStateMachine(storage.kvStore());
        // The load generator's value: the same 256 letters in every write.
        SplittableRandom letters = new SplittableRandom(42);
        value = new byte[VALUE_BYTES];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) ('a' + letters.nextInt(26));
        }
        random = new SplittableRandom(7);
        // Every key once, in a random order as the generator's 64 clients write them.
        int[] order = new int[keys];
        for (int i = 0; i < keys; i++) {
            order[i] = i;
        }
        for (int i = keys - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        for (int done = 0; done < keys; done += 256) {
            List<Entry> entries = new ArrayList<>(256);
            for (int i = done; i < Math.min(keys, done + 256); i++) {
                entries.add(Entry.command(1, ++index, put(order[i])));
            }
            machine.apply(entries);
        }
    }

    private byte[] put(int key) {
        return CommandCodec.encode(new Command.Put(("bench/" + key).getBytes(StandardCharsets.UTF_8), value,
                Precondition.NONE));
    }

    @Benchmark
    @OperationsPerInvocation(BATCH)
    public int apply() {
        List<Entry> entries = new ArrayList<>(BATCH);
        for (int i = 0; i < BATCH; i++) {
            entries.add(Entry.command(1, ++index, put(random.nextInt(keys))));
        }
        return machine.apply(entries).size();
    }

    @Benchmark
    public Object get() {
        return storage.kvStore().get(("bench/" + random.nextInt(keys)).getBytes(StandardCharsets.UTF_8));
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        storage.close();
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
