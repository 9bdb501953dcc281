package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksKvStoreTest extends KvStoreContractTest {

    @TempDir
    Path directory;

    private RocksStorage storage;

    @Override
    protected KvStore openEmpty() {
        storage = RocksStorage.open(directory);
        return storage.kvStore();
    }

    @Override
    protected void closeAll() {
        storage.close();
    }

    private void reopen() {
        storage.close();
        storage = RocksStorage.open(directory);
        store = storage.kvStore();
    }

    @Test
    void reopenKeepsDataAndAppliedIndex() {
        putAll(4, bytes("a"), bytes("b"));
        deleteAll(6, bytes("a"));

        reopen();

        assertEquals(6, store.appliedIndex());
        assertNull(store.get(bytes("a")));
        assertArrayEquals(bytes("v1"), store.get(bytes("b")).value());
    }

    @Test
    void appliedIndexIsOutsideTheUserKeySpace() {
        store.write(Map.of(), List.of(), 0, 3);
        byte[] reserved = RocksRecords.APPLIED_INDEX_KEY;
        assertNull(store.get(reserved));
        assertEquals(List.of(), store.scan(new byte[0], null, 10));

        // A user key spelled like the reserved one must not disturb the applied index.
        store.write(Map.of(new Key(reserved), entry(reserved, "user", 4)), List.of(), 0, 4);
        reopen();
        assertEquals(4, store.appliedIndex());
        assertArrayEquals(bytes("user"), store.get(reserved).value());
    }

    @Test
    void compactRevisionAndHistoryMarkerAreOutsideTheUserKeySpace() {
        store.write(Map.of(), List.of(), 2, 3);
        for (byte[] reserved : List.of(RocksRecords.COMPACT_REVISION_KEY, RocksRecords.HISTORY_FORMAT_KEY)) {
            KvEntry user = entry(reserved, "user", store.appliedIndex() + 1);
            store.write(Map.of(new Key(reserved), user), List.of(Event.put(user, null)), 0, user.revision());
        }
        reopen();
        assertEquals(2, store.compactRevision());
        assertEquals(5, store.appliedIndex());
        assertArrayEquals(bytes("user"), store.get(RocksRecords.HISTORY_FORMAT_KEY).value());
        assertEquals(2, store.list(new byte[0], null, 10).entries().size());
    }
}
