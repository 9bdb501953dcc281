package io.rafty.node;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.storage.LogStore;
import io.rafty.storage.StorageException;
import java.util.List;

/**
 * A {@link LogStore} whose {@link #save} starts failing on demand, as RocksDB does when the disk is
 * full or a write hits an I/O error. Nothing is written by a failed save.
 */
final class FaultyLogStore implements LogStore {

    static final String INJECTED = "injected fault: IO error: No space left on device";

    private final LogStore delegate;
    private volatile boolean failing;

    FaultyLogStore(LogStore delegate) {
        this.delegate = delegate;
    }

    void startFailing() {
        failing = true;
    }

    @Override
    public long storageId() {
        return delegate.storageId();
    }

    @Override
    public HardState hardState() {
        return delegate.hardState();
    }

    @Override
    public Membership membership() {
        return delegate.membership();
    }

    @Override
    public List<Entry> entries() {
        return delegate.entries();
    }

    @Override
    public long lastIndex() {
        return delegate.lastIndex();
    }

    @Override
    public void save(HardState hardState, List<Entry> entries) {
        if (failing) {
            throw new StorageException(INJECTED);
        }
        delegate.save(hardState, entries);
    }

    @Override
    public void saveMembership(Membership membership) {
        if (failing) {
            throw new StorageException(INJECTED);
        }
        delegate.saveMembership(membership);
    }

    @Override
    public long logStartIndex() {
        return delegate.logStartIndex();
    }

    @Override
    public long logStartTerm() {
        return delegate.logStartTerm();
    }

    @Override
    public void compact(long throughIndex) {
        delegate.compact(throughIndex);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
