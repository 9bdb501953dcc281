package io.rafty.node;

import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.storage.StorageException;
import java.util.List;
import java.util.Map;

/** A {@link KvStore} whose {@link #write} (the apply of committed entries) starts failing on demand. */
final class FaultyKvStore implements KvStore {

    static final String INJECTED = "injected fault: IO error: Input/output error";

    private final KvStore delegate;
    private volatile boolean failing;

    FaultyKvStore(KvStore delegate) {
        this.delegate = delegate;
    }

    void startFailing() {
        failing = true;
    }

    @Override
    public long appliedIndex() {
        return delegate.appliedIndex();
    }

    @Override
    public KvEntry get(byte[] key) {
        return delegate.get(key);
    }

    @Override
    public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        return delegate.scan(prefix, after, limit);
    }

    @Override
    public void write(Map<Key, KvEntry> changes, long appliedIndex) {
        if (failing) {
            throw new StorageException(INJECTED);
        }
        delegate.write(changes, appliedIndex);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
