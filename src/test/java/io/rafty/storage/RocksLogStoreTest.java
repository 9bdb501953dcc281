package io.rafty.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class RocksLogStoreTest extends LogStoreContractTest {

    @TempDir
    Path directory;

    private RocksStorage storage;

    @Override
    protected LogStore openEmpty() {
        storage = RocksStorage.open(directory);
        return storage.logStore();
    }

    @Override
    protected LogStore reopen(LogStore store) {
        storage.close();
        storage = RocksStorage.open(directory);
        return storage.logStore();
    }

    @Override
    protected void closeAll() {
        storage.close();
    }
}
