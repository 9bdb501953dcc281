package io.rafty.node;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.ForwardingKvStore;
import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.storage.StorageException;
import java.util.List;
import java.util.Map;

/** A {@link KvStore} whose {@link #write} (the apply of committed entries) starts failing on demand. */
final class FaultyKvStore extends ForwardingKvStore {

    static final String INJECTED = "injected fault: IO error: Input/output error";

    private volatile boolean failing;

    FaultyKvStore(KvStore delegate) {
        super(delegate);
    }

    void startFailing() {
        failing = true;
    }

    @Override
    public void write(Batch batch) {
        if (failing) {
            throw new StorageException(INJECTED);
        }
        delegate.write(batch);
    }
}
