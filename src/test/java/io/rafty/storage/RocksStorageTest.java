package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

class RocksStorageTest {

    @TempDir
    Path directory;

    @Test
    void secondOpenOfTheSameDirectoryFailsWithAClearMessage() {
        try (RocksStorage first = RocksStorage.open(directory)) {
            StorageException failure = assertThrows(StorageException.class, () -> RocksStorage.open(directory));
            assertTrue(failure.getMessage().startsWith("storage directory " + directory + " is in use"),
                    failure.getMessage());
            // The first owner keeps working.
            first.logStore().save(new HardState(1, 0, 0), List.of());
        }
    }

    @Test
    void compressionIsNamedByTheNodesOptionAndAWrongNameIsAClearError() {
        assertEquals(CompressionType.SNAPPY_COMPRESSION, RocksStorage.compression("snappy"));
        assertEquals(CompressionType.LZ4_COMPRESSION, RocksStorage.compression("lz4"));
        assertEquals(CompressionType.NO_COMPRESSION, RocksStorage.compression("none"));
        StorageException failure = assertThrows(StorageException.class, () -> RocksStorage.compression("zstd"));
        assertEquals("rafty.rocksdb.compression must be snappy, lz4 or none, was 'zstd'", failure.getMessage());
    }

    @Test
    void directoryIsUsableAgainAfterClose() {
        RocksStorage.open(directory).close();
        try (RocksStorage reopened = RocksStorage.open(directory)) {
            assertEquals(0, reopened.logStore().lastIndex());
        }
    }

    @Test
    void missingParentDirectoriesAreCreated() {
        try (RocksStorage storage = RocksStorage.open(directory.resolve("node-1/data"))) {
            assertEquals(0, storage.kvStore().appliedIndex());
        }
    }

    @Test
    void oneDatabaseHoldsEveryColumnFamily() throws RocksDBException {
        RocksStorage.open(directory).close();
        Set<String> families = new TreeSet<>();
        try (Options options = new Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(options, directory.toString())) {
                families.add(new String(name, StandardCharsets.US_ASCII));
            }
        }
        assertEquals(Set.of("default", "log", "meta", "kv", "history", "changes", "dedup", "lease"), families);
    }

    @Test
    void logAndKvShareOneDatabaseWithoutSeeingEachOther() {
        try (RocksStorage storage = RocksStorage.open(directory)) {
            storage.logStore().save(new HardState(1, 1, 1), List.of(Entry.noop(1, 1)));
            storage.kvStore().write(Map.of(), List.of(), 0, 1);
            assertTrue(storage.kvStore().scan(new byte[0], null, 10).isEmpty());
            assertEquals(1, storage.logStore().entries().size());
        }
    }

    @Test
    void closedStorageRejectsUseWithStorageException() {
        RocksStorage storage = RocksStorage.open(directory);
        storage.close();
        assertThrows(StorageException.class, () -> storage.logStore().entries());
        assertThrows(StorageException.class, () -> storage.kvStore().get(new byte[] {1}));
        storage.close();
    }
}
