package io.rafty.storage;

import io.rafty.raft.SnapshotMeta;
import java.util.Iterator;
import java.util.List;

/**
 * The in-memory twin of the RocksDB snapshot store, over an {@link InMemoryLogStore} and an
 * {@link InMemoryKvStore}. The in-memory kv store counts as durable, so syncing does nothing.
 */
public final class InMemorySnapshotStore implements SnapshotStore {

    private final InMemoryLogStore log;
    private final InMemoryKvStore kv;

    public InMemorySnapshotStore(InMemoryLogStore log, InMemoryKvStore kv) {
        this.log = log;
        this.kv = kv;
    }

    @Override
    public long syncStateMachine() {
        return kv.appliedIndex();
    }

    @Override
    public StateImage openImage() {
        synchronized (kv) {
            long applied = kv.appliedIndex();
            List<ImageRecord> copy = kv.image();
            return new StateImage() {
                @Override
                public long appliedIndex() {
                    return applied;
                }

                @Override
                public Iterator<ImageRecord> records() {
                    return copy.iterator();
                }

                @Override
                public void close() {
                }
            };
        }
    }

    @Override
    public void install(SnapshotMeta meta, Iterator<ImageRecord> records) {
        kv.replaceAll(records, meta.index());
        log.resetTo(meta.index(), meta.term(), meta.membership());
    }
}
