package io.rafty.kv;

import java.util.List;
import java.util.Map;

/** A {@link KvStore} that hands every call to another; tests override the calls they watch or break. */
public abstract class ForwardingKvStore implements KvStore {

    protected final KvStore delegate;

    protected ForwardingKvStore(KvStore delegate) {
        this.delegate = delegate;
    }

    @Override
    public long appliedIndex() {
        return delegate.appliedIndex();
    }

    @Override
    public long compactRevision() {
        return delegate.compactRevision();
    }

    @Override
    public long installs() {
        return delegate.installs();
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
    public Page list(byte[] prefix, byte[] after, int limit) {
        return delegate.list(prefix, after, limit);
    }

    @Override
    public KvEntry getAt(byte[] key, long revision) {
        return delegate.getAt(key, revision);
    }

    @Override
    public Page listAt(byte[] prefix, byte[] after, int limit, long revision) {
        return delegate.listAt(prefix, after, limit, revision);
    }

    @Override
    public HistoryPage history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        return delegate.history(selector, from, to, maxEvents, withPrev);
    }

    @Override
    public void write(Batch batch) {
        delegate.write(batch);
    }

    @Override
    public Lease lease(long id) {
        return delegate.lease(id);
    }

    @Override
    public List<Lease> leases() {
        return delegate.leases();
    }

    @Override
    public int leaseCount() {
        return delegate.leaseCount();
    }

    @Override
    public List<byte[]> leaseKeys(long id, int limit) {
        return delegate.leaseKeys(id, limit);
    }

    @Override
    public Dedup dedup(byte[] key) {
        return delegate.dedup(key);
    }

    @Override
    public int purgeHistory(int maxRecords) {
        return delegate.purgeHistory(maxRecords);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
