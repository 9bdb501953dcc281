package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.KvEntry;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The on-disk layout of DESIGN.md §3, byte for byte. */
class RocksRecordsTest {

    @Test
    void logKeysAreBigEndianSoTheyIterateInIndexOrder() {
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 1, 2}, RocksRecords.indexKey(258));
        assertTrue(Arrays.compareUnsigned(RocksRecords.indexKey(255), RocksRecords.indexKey(256)) < 0);
    }

    @Test
    void logValueIsTermThenTypeCodeThenPayload() {
        byte[] value = RocksRecords.encodeLogValue(Entry.command(2, 1, new byte[] {9}));
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 2, 1, 9}, value);
        assertEquals(Entry.command(2, 1, new byte[] {9}), RocksRecords.decodeLogEntry(RocksRecords.indexKey(1), value));
    }

    @Test
    void kvValueIsRevisionCreateRevisionVersionThenValue() {
        byte[] value = RocksRecords.encodeKvValue(new KvEntry(new byte[] {7}, new byte[] {5}, 3, 2, 1));
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 5}, value);
    }

    @Test
    void hardStateRoundTripsAsOneRecord() {
        HardState hardState = new HardState(5, 3, 4);
        assertEquals(hardState, RocksRecords.decodeHardState(RocksRecords.encodeHardState(hardState)));
    }

    @Test
    void damagedRecordsAreStorageExceptions() {
        assertThrows(StorageException.class, () -> RocksRecords.decodeLogEntry(RocksRecords.indexKey(1), new byte[3]));
        assertThrows(StorageException.class, () -> RocksRecords.decodeLogEntry(RocksRecords.indexKey(1),
                new byte[] {0, 0, 0, 0, 0, 0, 0, 1, 99}));
        assertThrows(StorageException.class, () -> RocksRecords.decodeKvEntry(new byte[] {1}, new byte[23]));
        assertThrows(StorageException.class, () -> RocksRecords.decodeHardState(new byte[4]));
        assertThrows(StorageException.class, () -> RocksRecords.decodeMembership(new byte[] {1, 0}));
        assertThrows(StorageException.class, () -> RocksRecords.decodeIndex(new byte[7]));
    }
}
