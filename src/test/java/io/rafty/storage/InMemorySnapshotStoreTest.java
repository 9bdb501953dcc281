package io.rafty.storage;

import io.rafty.kv.KvStore;

class InMemorySnapshotStoreTest extends SnapshotStoreContractTest {

    private InMemoryLogStore memoryLog;
    private InMemoryKvStore memoryKv;

    @Override
    protected void openEmpty() {
        memoryLog = new InMemoryLogStore();
        memoryKv = new InMemoryKvStore();
        bind();
    }

    @Override
    protected void reopen() {
        memoryLog = memoryLog.reopen();
        bind();
    }

    private void bind() {
        log = memoryLog;
        kv = memoryKv;
        snapshots = new InMemorySnapshotStore(memoryLog, memoryKv);
    }

    @Override
    protected Node openOther() {
        InMemoryLogStore otherLog = new InMemoryLogStore();
        InMemoryKvStore otherKv = new InMemoryKvStore();
        return new Node(otherLog, otherKv, new InMemorySnapshotStore(otherLog, otherKv));
    }

    @Override
    protected long historyRecordCount(KvStore store) {
        return ((InMemoryKvStore) store).historyRecordCount();
    }

    @Override
    protected void closeAll() {
    }
}
