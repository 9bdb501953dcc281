package io.rafty.storage;

import io.rafty.kv.KvStore;

class InMemoryKvStoreTest extends KvStoreContractTest {

    @Override
    protected KvStore openEmpty() {
        return new InMemoryKvStore();
    }

    @Override
    protected void closeAll() {
        store.close();
    }
}
