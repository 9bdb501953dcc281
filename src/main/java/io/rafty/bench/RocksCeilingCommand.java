package io.rafty.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * {@code rafty.jar bench-rocksdb}: the storage ceiling. One thread writes batches of
 * {@code --batch} entries (8-byte big-endian index keys, {@code --value-size} bytes, like the log
 * column family) to a fresh RocksDB, each batch one synced write, for {@code --duration} seconds per
 * batch size. Prints batches/s and entries/s: what one node's fsync-bound group commit can reach.
 */
@Command(name = "bench-rocksdb", hidden = true, mixinStandardHelpOptions = true,
        description = "Synced batched RocksDB writes (the storage ceiling for bench).")
public final class RocksCeilingCommand implements Callable<Integer> {

    @Option(names = "--dir", defaultValue = "data/bench-rocksdb", description = "Scratch directory (deleted first)")
    Path dir;

    @Option(names = "--batch", split = ",", defaultValue = "1,16,64,256",
            description = "Entries per synced batch; a comma list runs each (default ${DEFAULT-VALUE})")
    int[] batchSizes;

    @Option(names = "--value-size", defaultValue = "280", description = "Bytes per entry (default ${DEFAULT-VALUE})")
    int valueSize;

    @Option(names = "--seconds", defaultValue = "5", description = "Seconds per batch size (default ${DEFAULT-VALUE})")
    int seconds;

    @Override
    public Integer call() throws Exception {
        RocksDB.loadLibrary();
        deleteRecursively(dir);
        Files.createDirectories(dir);
        byte[] value = new byte[valueSize];
        new SplittableRandom(7).nextBytes(value);
        try (Options options = new Options().setCreateIfMissing(true);
             RocksDB db = RocksDB.open(options, dir.toString());
             WriteOptions sync = new WriteOptions().setSync(true)) {
            long index = 0;
            for (int batchSize : batchSizes) {
                long batches = 0;
                long deadline = System.nanoTime() + seconds * 1_000_000_000L;
                long start = System.nanoTime();
                while (System.nanoTime() < deadline) {
                    try (WriteBatch batch = new WriteBatch()) {
                        for (int i = 0; i < batchSize; i++) {
                            batch.put(ByteBuffer.allocate(8).putLong(++index).array(), value);
                        }
                        db.write(sync, batch);
                    }
                    batches++;
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "RESULT rocksdb batch=%d value-size=%d batches_per_s=%.0f "
                                + "entries_per_s=%.0f mean_sync_ms=%.3f%n", batchSize, valueSize, batches / elapsed,
                        batches * batchSize / elapsed, elapsed * 1000 / batches);
            }
        } finally {
            deleteRecursively(dir);
        }
        return 0;
    }

    private static void deleteRecursively(Path path) throws java.io.IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
