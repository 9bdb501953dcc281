package io.rafty.storage;

import io.rafty.kv.KvStore;

class InMemoryKvHistoryTest extends KvHistoryContractTest {

    @Override
    protected KvStore openEmpty() {
        return new InMemoryKvStore();
    }

    @Override
    protected void closeAll() {
        store.close();
    }

    @Override
    protected long historyRecordCount() {
        return ((InMemoryKvStore) store).historyRecordCount();
    }
}
