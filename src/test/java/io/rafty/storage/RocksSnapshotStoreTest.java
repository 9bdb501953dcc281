package io.rafty.storage;

import io.rafty.kv.KvStore;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class RocksSnapshotStoreTest extends SnapshotStoreContractTest {

    @TempDir
    Path directory;

    @TempDir
    Path otherDirectory;

    private RocksStorage storage;
    private RocksStorage other;

    @Override
    protected void openEmpty() {
        storage = RocksStorage.open(directory);
        bind();
    }

    @Override
    protected void reopen() {
        storage.close();
        storage = RocksStorage.open(directory);
        bind();
    }

    private void bind() {
        log = storage.logStore();
        kv = storage.kvStore();
        snapshots = storage.snapshotStore();
    }

    @Override
    protected Node openOther() {
        other = RocksStorage.open(otherDirectory);
        return new Node(other.logStore(), other.kvStore(), other.snapshotStore());
    }

    @Override
    protected long historyRecordCount(KvStore store) {
        return ((RocksKvStore) store).historyRecordCount();
    }

    @Override
    protected void closeAll() {
        if (other != null) {
            other.close();
        }
        storage.close();
    }
}
