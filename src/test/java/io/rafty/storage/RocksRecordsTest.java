package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

    @Test
    void historyKeyIsTheEscapedKeyThenTerminatorThenRevision() {
        byte[] key = RocksRecords.historyKey(new byte[] {'a', 0, 'b'}, 258);
        assertArrayEquals(new byte[] {'a', 0, (byte) 0xFF, 'b', 0, 1, 0, 0, 0, 0, 0, 0, 1, 2}, key);
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 1, 2, 'a', 0, (byte) 0xFF, 'b', 0, 1}, RocksRecords.changeKey(key));
        assertArrayEquals(key, RocksRecords.historyKeyOfChange(RocksRecords.changeKey(key)));
        assertEquals(258, RocksRecords.changeRevision(RocksRecords.changeKey(key)));
        assertEquals(258, RocksRecords.historyRevision(key));
        assertArrayEquals(new byte[] {'a', 0, 'b'}, RocksRecords.historyUserKey(key));
        assertArrayEquals(new byte[] {'a', 0, (byte) 0xFF, 'b', 0, 2}, RocksRecords.pastKeyRecords(key));
    }

    @Test
    void historyValueIsTypeThenCreateRevisionThenVersionThenValue() {
        Event put = Event.put(new KvEntry(new byte[] {7}, new byte[] {5}, 3, 2, 1), null);
        assertArrayEquals(new byte[] {1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 5},
                RocksRecords.encodeHistoryValue(put));
        byte[] delete = RocksRecords.encodeHistoryValue(Event.delete(new byte[] {7}, 4, null));
        assertArrayEquals(new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, delete);
        Event decoded = RocksRecords.decodeHistoryEvent(new byte[] {7}, 3, RocksRecords.encodeHistoryValue(put));
        assertEquals(HistoryScript.describe(put), HistoryScript.describe(decoded));
        assertEquals("delete 0x07=@4/c0/v0",
                HistoryScript.describe(RocksRecords.decodeHistoryEvent(new byte[] {7}, 4, delete)));
    }

    /** Every key of up to three bytes from {00, 01, 61, FF}: the bytes the escaping treats specially and their neighbours. */
    private static List<byte[]> awkwardKeys() {
        byte[] alphabet = {0, 1, 'a', (byte) 0xFF};
        List<byte[]> keys = new ArrayList<>();
        keys.add(new byte[0]);
        for (int length = 1; length <= 3; length++) {
            int combinations = (int) Math.pow(alphabet.length, length);
            for (int n = 0; n < combinations; n++) {
                byte[] key = new byte[length];
                for (int i = 0, rest = n; i < length; i++, rest /= alphabet.length) {
                    key[i] = alphabet[rest % alphabet.length];
                }
                keys.add(key);
            }
        }
        return keys;
    }

    @Test
    void historyKeysSortByUserKeyThenRevision() {
        List<byte[]> keys = awkwardKeys();
        long[] revisions = {1, 255, 256, 1L << 40};
        for (byte[] a : keys) {
            for (byte[] b : keys) {
                for (long ra : revisions) {
                    for (long rb : revisions) {
                        int expected = Integer.signum(Arrays.compareUnsigned(a, b) != 0
                                ? Arrays.compareUnsigned(a, b) : Long.compare(ra, rb));
                        int actual = Integer.signum(Arrays.compareUnsigned(RocksRecords.historyKey(a, ra),
                                RocksRecords.historyKey(b, rb)));
                        assertEquals(expected, actual, new Key(a) + "@" + ra + " vs " + new Key(b) + "@" + rb);
                    }
                }
                if (Arrays.compareUnsigned(a, b) < 0) {
                    assertTrue(Arrays.compareUnsigned(RocksRecords.pastKeyRecords(RocksRecords.historyKey(a, 1)),
                            RocksRecords.historyKey(b, 1)) < 0, "past every record of a key comes before the next key");
                }
            }
            assertTrue(Arrays.compareUnsigned(RocksRecords.historyKey(a, Long.MAX_VALUE),
                    RocksRecords.pastKeyRecords(RocksRecords.historyKey(a, 1))) < 0);
            assertArrayEquals(a, RocksRecords.historyUserKey(RocksRecords.historyKey(a, 9)));
        }
    }

    @Test
    void escapedPrefixIsABytePrefixOfExactlyTheKeysThatStartWithIt() {
        List<byte[]> keys = awkwardKeys();
        for (byte[] prefix : keys) {
            byte[] escaped = RocksRecords.escapedPrefix(prefix);
            for (byte[] key : keys) {
                byte[] record = RocksRecords.historyKey(key, 1);
                assertEquals(KeySelector.prefix(prefix).matches(key),
                        RocksRecords.hasPrefixAt(record, 0, escaped, escaped.length),
                        "prefix " + Arrays.toString(prefix) + " key " + Arrays.toString(key));
                byte[] change = RocksRecords.changeKey(record);
                assertEquals(KeySelector.prefix(prefix).matches(key),
                        RocksRecords.hasPrefixAt(change, Long.BYTES, escaped, escaped.length));
            }
        }
    }

    @Test
    void damagedHistoryRecordsAreStorageExceptions() {
        assertThrows(StorageException.class, () -> RocksRecords.decodeHistoryEvent(new byte[] {1}, 1, new byte[16]));
        byte[] unknownType = new byte[17];
        unknownType[0] = 9;
        assertThrows(StorageException.class, () -> RocksRecords.decodeHistoryEvent(new byte[] {1}, 1, unknownType));
        assertThrows(StorageException.class, () -> RocksRecords.historyUserKey(new byte[] {'a', 0, 7, 0, 1,
                0, 0, 0, 0, 0, 0, 0, 1}), "00 must be followed by FF inside a key");
        assertThrows(StorageException.class, () -> RocksRecords.historyUserKey(new byte[] {'a', 'b',
                0, 0, 0, 0, 0, 0, 0, 1}), "no terminator");
        assertThrows(StorageException.class, () -> RocksRecords.changeRevision(new byte[9]));
        assertThrows(StorageException.class, () -> RocksRecords.historyKeyOfChange(new byte[3]));
    }
}
