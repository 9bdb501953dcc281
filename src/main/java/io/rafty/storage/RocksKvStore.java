package io.rafty.storage;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.Lease;
import io.rafty.kv.RevisionUnavailableException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The state machine over a {@link RocksStorage}: current keys in {@code kv}, every kept change in
 * {@code history} (by key, then revision) and {@code changes} (by revision), the applied index and
 * compact revision in {@code meta}; {@link RocksRecords} has the layout. Each {@link #write} is one
 * WriteBatch spanning the families, so the applied index is exactly as durable as the changes it
 * covers. Writes skip the WAL (the log has every entry) and reach disk in atomic memtable flushes:
 * after a crash the node replays the (synced) log from the applied index on disk. Each read runs in one {@link RocksView}, so its revision checks and its records
 * come from the same moment; writes, purge steps and snapshot installs hold this object's lock.
 *
 * <p>The history rules are those of {@link KvStore} and of the in-memory twin {@link InMemoryKvStore},
 * which the same contract tests hold both to.
 */
final class RocksKvStore implements KvStore {

    private static final Logger LOG = Logger.getLogger(RocksKvStore.class.getName());
    /** Keys seeded per batch when a store from before the history is opened (see {@link #seedHistory}). */
    static final int MIGRATION_BATCH_KEYS = 10_000;
    private static final byte[] EMPTY = new byte[0];

    private final RocksStorage storage;
    private volatile long appliedIndex;
    private volatile long compactRevision;
    /** Snapshot installs since the store was opened; written under this object's lock. */
    private volatile long installs;
    /**
     * Every {@code changes} record below this revision has been handled by the purge (guarded by this).
     * The purge seeks here rather than to the family's start, which it would reach only by stepping
     * over the tombstones of every record it deleted before.
     */
    private long purgedBelow;
    /**
     * The {@code lease} family's leases, held in memory (see {@link KvStore#lease}): read at open and after
     * an install, updated by every write that changes a lease, once the write is in the database.
     */
    private final Map<Long, Lease> leaseTable = new ConcurrentHashMap<>();
    /** The auth table, held in memory like the leases (see {@link KvStore#auth}): read at open and after an install. */
    private volatile io.rafty.kv.AuthState auth = io.rafty.kv.AuthState.EMPTY;

    RocksKvStore(RocksStorage storage) {
        this.storage = storage;
        this.appliedIndex = storage.readMetaIndex(null, RocksRecords.APPLIED_INDEX_KEY);
        this.compactRevision = storage.readMetaIndex(null, RocksRecords.COMPACT_REVISION_KEY);
        openHistory();
        loadLeases();
        loadAuth();
    }

    /** Reads the auth table from the meta family (the empty table when it has none). */
    private void loadAuth() {
        byte[] stored = storage.readMeta(null, RocksRecords.AUTH_KEY);
        try {
            auth = stored == null ? io.rafty.kv.AuthState.EMPTY : io.rafty.kv.AuthState.decode(stored);
        } catch (IllegalArgumentException e) {
            throw new StorageException("corrupt auth table: " + e.getMessage());
        }
    }

    @Override
    public io.rafty.kv.AuthState auth() {
        storage.ensureOpen();
        return auth;
    }

    @Override
    public long appliedIndex() {
        storage.ensureOpen();
        return appliedIndex;
    }

    @Override
    public long compactRevision() {
        storage.ensureOpen();
        return compactRevision;
    }

    @Override
    public KvEntry get(byte[] key) {
        storage.ensureOpen();
        try {
            byte[] value = storage.db().get(storage.kvFamily(), key);
            return value == null ? null : RocksRecords.decodeKvEntry(key.clone(), value);
        } catch (RocksDBException e) {
            throw storage.failure("reading a key", e);
        }
    }

    @Override
    public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        ScanRange range = new ScanRange(prefix, after, limit);
        storage.ensureOpen();
        // One iterator is already a consistent view; the applied index is not needed here.
        try (RocksIterator iterator = storage.db().newIterator(storage.kvFamily())) {
            return scanCurrent(iterator, range);
        }
    }

    @Override
    public Page list(byte[] prefix, byte[] after, int limit) {
        ScanRange range = new ScanRange(prefix, after, limit);
        try (RocksView view = storage.view(); RocksIterator iterator = view.iterator(storage.kvFamily())) {
            return new Page(scanCurrent(iterator, range), view.appliedIndex());
        }
    }

    private List<KvEntry> scanCurrent(RocksIterator iterator, ScanRange range) {
        List<KvEntry> found = new ArrayList<>();
        try {
            for (iterator.seek(range.startKey()); iterator.isValid() && found.size() < range.limit(); iterator.next()) {
                byte[] key = iterator.key();
                if (!range.inPrefix(key)) {
                    break;
                }
                if (!range.excludes(key)) {
                    found.add(RocksRecords.decodeKvEntry(key, iterator.value()));
                }
            }
            iterator.status();
        } catch (RocksDBException e) {
            throw storage.failure("scanning keys", e);
        }
        return found;
    }

    @Override
    public KvEntry getAt(byte[] key, long revision) {
        storage.ensureOpen();
        RevisionUnavailableException.check(revision, compactRevision, appliedIndex);
        // The current entry answers when it was written at or before the revision: the key has not been
        // written since, so the entry holds at every revision from its own to the applied index, which was
        // at least the revision before the read (the index moves only after its batch is in). That spares
        // the snapshot, the iterator and the seek of a history read for the common case, a read at or
        // near the head; a key absent now, or written after the revision, is looked up in the history.
        KvEntry current = get(key);
        if (current != null && current.revision() <= revision) {
            return current;
        }
        return historyAt(key, revision);
    }

    /** {@link #getAt} from the history records alone, in one snapshot. */
    private KvEntry historyAt(byte[] key, long revision) {
        try (RocksView view = storage.view()) {
            RevisionUnavailableException.check(revision, view.compactRevision(), view.appliedIndex());
            try (RocksIterator records = view.iterator(storage.historyFamily())) {
                return putEntry(latest(records, RocksRecords.historyKey(key, revision), key.clone()));
            } catch (RocksDBException e) {
                throw storage.failure("reading a key at revision " + revision, e);
            }
        }
    }

    @Override
    public Page listAt(byte[] prefix, byte[] after, int limit, long revision) {
        ScanRange range = new ScanRange(prefix, after, limit);
        try (RocksView view = storage.view()) {
            RevisionUnavailableException.check(revision, view.compactRevision(), view.appliedIndex());
            byte[] escapedPrefix = RocksRecords.escapedPrefix(range.prefix());
            byte[] afterRecords = after == null ? null : RocksRecords.historyKey(after, revision);
            List<KvEntry> found = new ArrayList<>();
            try (RocksIterator records = view.iterator(storage.historyFamily())) {
                // The iterator visits each key's first record, jumps to its newest at or below the
                // revision, then past its last record: two seeks per key, whatever its history.
                records.seek(RocksRecords.escapedPrefix(range.startKey()));
                while (found.size() < range.limit() && records.isValid()) {
                    byte[] first = records.key();
                    if (!RocksRecords.hasPrefixAt(first, 0, escapedPrefix, escapedPrefix.length)) {
                        break;
                    }
                    if (afterRecords == null || !RocksRecords.sameKey(first, afterRecords)) {
                        byte[] target = RocksRecords.withRevision(first, revision);
                        KvEntry entry = putEntry(latest(records, target, null));
                        if (entry != null) {
                            found.add(entry);
                        }
                    }
                    records.seek(RocksRecords.pastKeyRecords(first));
                }
                records.status();
            } catch (RocksDBException e) {
                throw storage.failure("reading keys at revision " + revision, e);
            }
            return new Page(found, revision);
        }
    }

    /**
     * The newest record of {@code target}'s key at or below {@code target}'s revision, or null;
     * {@code key} is the user key when the caller has it (null: decoded from the record).
     */
    private static Event latest(RocksIterator records, byte[] target, byte[] key) throws RocksDBException {
        records.seekForPrev(target);
        if (!records.isValid()) {
            records.status();
            return null;
        }
        byte[] found = records.key();
        if (!RocksRecords.sameKey(found, target)) {
            return null;
        }
        return decode(found, records.value(), key);
    }

    private static Event decode(byte[] historyKey, byte[] value, byte[] key) {
        byte[] userKey = key != null ? key : RocksRecords.historyUserKey(historyKey);
        return RocksRecords.decodeHistoryEvent(userKey, RocksRecords.historyRevision(historyKey), value);
    }

    private static KvEntry putEntry(Event event) {
        return event == null || event.type() == Event.Type.DELETE ? null : event.entry();
    }

    @Override
    public HistoryPage history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be positive, was " + maxEvents);
        }
        if (selector.kind() == KeySelector.Kind.RANGE) {
            throw new IllegalArgumentException("the history is read by key or prefix, not " + selector);
        }
        try (RocksView view = storage.view()) {
            KvStoreRules.checkHistoryRange(from, to, view.compactRevision(), view.appliedIndex());
            if (from > to) {
                return new HistoryPage(new ArrayList<>(), to);
            }
            try {
                return selector.prefix()
                        ? prefixHistory(view, selector.bytes(), from, to, maxEvents, withPrev)
                        : keyHistory(view, selector.bytes(), from, to, maxEvents, withPrev);
            } catch (RocksDBException e) {
                throw storage.failure("reading the history of " + selector, e);
            }
        }
    }

    /** One key's records from {@code from}: the {@code history} family in order. */
    private HistoryPage keyHistory(RocksView view, byte[] key, long from, long to, int maxEvents, boolean withPrev)
            throws RocksDBException {
        List<Event> found = new ArrayList<>();
        byte[] userKey = key.clone();
        byte[] start = RocksRecords.historyKey(key, from);
        try (RocksIterator records = view.iterator(storage.historyFamily())) {
            // Revisions start at 1, so nothing precedes a history from 0.
            KvEntry prev = withPrev && from > 0
                    ? putEntry(latest(records, RocksRecords.withRevision(start, from - 1), userKey))
                    : null;
            for (records.seek(start); records.isValid(); records.next()) {
                byte[] record = records.key();
                if (!RocksRecords.sameKey(record, start)) {
                    break;
                }
                long revision = RocksRecords.historyRevision(record);
                if (revision > to) {
                    break;
                }
                if (found.size() >= maxEvents) {
                    return new HistoryPage(found, found.get(found.size() - 1).revision());
                }
                Event event = RocksRecords.decodeHistoryEvent(userKey, revision, records.value());
                found.add(withPrev ? new Event(event.type(), event.entry(), prev) : event);
                prev = putEntry(event);
            }
            records.status();
        }
        return new HistoryPage(found, to);
    }

    /**
     * Every key's records under {@code prefix} from {@code from}: the {@code changes} family in
     * revision order, each match read from {@code history} (and its previous record just before it).
     */
    private HistoryPage prefixHistory(RocksView view, byte[] prefix, long from, long to, int maxEvents,
                                      boolean withPrev) throws RocksDBException {
        List<Event> found = new ArrayList<>();
        byte[] escapedPrefix = RocksRecords.escapedPrefix(prefix);
        try (RocksIterator changes = view.iterator(storage.changesFamily());
             RocksIterator records = view.iterator(storage.historyFamily())) {
            long revision = -1;
            for (changes.seek(RocksRecords.indexKey(from)); changes.isValid(); changes.next()) {
                byte[] change = changes.key();
                long changeRevision = RocksRecords.changeRevision(change);
                if (changeRevision > to) {
                    break;
                }
                if (changeRevision != revision) {
                    // A page ends only between revisions, so a revision's events stay together.
                    if (found.size() >= maxEvents) {
                        return new HistoryPage(found, found.get(found.size() - 1).revision());
                    }
                    revision = changeRevision;
                }
                if (!RocksRecords.hasPrefixAt(change, Long.BYTES, escapedPrefix, escapedPrefix.length)) {
                    continue;
                }
                byte[] historyKey = RocksRecords.historyKeyOfChange(change);
                records.seek(historyKey);
                if (!records.isValid() || !Arrays.equals(records.key(), historyKey)) {
                    records.status();
                    throw new StorageException("corrupt history: the change at revision " + changeRevision
                            + " has no history record");
                }
                Event event = decode(historyKey, records.value(), null);
                if (withPrev) {
                    records.prev();
                    KvEntry prev = null;
                    if (records.isValid()) {
                        byte[] before = records.key();
                        if (RocksRecords.sameKey(before, historyKey)) {
                            prev = putEntry(decode(before, records.value(), event.key()));
                        }
                    } else {
                        records.status();
                    }
                    event = new Event(event.type(), event.entry(), prev);
                }
                found.add(event);
            }
            changes.status();
            records.status();
        }
        return new HistoryPage(found, to);
    }

    @Override
    public Dedup dedup(byte[] key) {
        storage.ensureOpen();
        try {
            byte[] value = storage.db().get(storage.dedupFamily(), RocksRecords.dedupKey(key));
            return value == null ? null : RocksRecords.decodeDedup(key.clone(), value);
        } catch (RocksDBException e) {
            throw storage.failure("reading an idempotency entry", e);
        }
    }

    /** Adds {@code dedup} and its index record to {@code batch}, replacing an older entry of its key. */
    void putDedup(WriteBatch batch, Dedup dedup) throws RocksDBException {
        byte[] entryKey = RocksRecords.dedupKey(dedup.key());
        byte[] old = storage.db().get(storage.dedupFamily(), entryKey);
        if (old != null) {
            long oldExpiry = RocksRecords.decodeDedup(dedup.key(), old).expiry();
            batch.delete(storage.dedupFamily(), RocksRecords.dedupIndexKey(oldExpiry, dedup.key()));
        }
        batch.put(storage.dedupFamily(), entryKey, RocksRecords.encodeDedupValue(dedup));
        batch.put(storage.dedupFamily(), RocksRecords.dedupIndexKey(dedup.expiry(), dedup.key()), EMPTY);
    }

    @Override
    public Lease lease(long id) {
        storage.ensureOpen();
        return leaseTable.get(id);
    }

    @Override
    public List<Lease> leases() {
        storage.ensureOpen();
        List<Lease> leases = new ArrayList<>(leaseTable.values());
        leases.sort(Comparator.comparingLong(Lease::id));
        return leases;
    }

    @Override
    public int leaseCount() {
        return leaseTable.size();
    }

    /** Reads the {@code lease} family's leases into {@link #leaseTable}, replacing what it held. */
    private void loadLeases() {
        Map<Long, Lease> stored = new HashMap<>();
        try (RocksIterator records = storage.db().newIterator(storage.leaseFamily())) {
            for (records.seek(new byte[] {RocksRecords.LEASE_ENTRY}); records.isValid()
                    && records.key()[0] == RocksRecords.LEASE_ENTRY; records.next()) {
                Lease lease = RocksRecords.decodeLease(records.key(), records.value());
                stored.put(lease.id(), lease);
            }
            records.status();
        } catch (RocksDBException e) {
            throw storage.failure("reading the leases", e);
        }
        leaseTable.keySet().retainAll(stored.keySet());
        leaseTable.putAll(stored);
    }

    @Override
    public List<byte[]> leaseKeys(long id, int limit) {
        storage.ensureOpen();
        byte[] prefix = RocksRecords.leaseAttachmentKey(id, EMPTY);
        List<byte[]> keys = new ArrayList<>();
        try (RocksIterator records = storage.db().newIterator(storage.leaseFamily())) {
            for (records.seek(prefix); records.isValid() && keys.size() < limit; records.next()) {
                byte[] record = records.key();
                if (record.length < prefix.length || !Arrays.equals(record, 0, prefix.length, prefix, 0, prefix.length)) {
                    break;
                }
                keys.add(Arrays.copyOfRange(record, prefix.length, record.length));
            }
            records.status();
        } catch (RocksDBException e) {
            throw storage.failure("listing a lease's keys", e);
        }
        return keys;
    }

    @Override
    public synchronized void write(Batch write) {
        Map<Key, KvEntry> changes = write.changes();
        List<Event> events = write.events();
        List<Dedup> dedups = write.dedups();
        long compactRevision = write.compactRevision();
        long appliedIndex = write.appliedIndex();
        storage.ensureOpen();
        KvStoreRules.requireForward(this.appliedIndex, appliedIndex);
        long compactAfter = Math.max(this.compactRevision, compactRevision);
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<Key, KvEntry> change : changes.entrySet()) {
                byte[] key = change.getKey().bytes();
                if (change.getValue() == null) {
                    batch.delete(storage.kvFamily(), key);
                } else {
                    batch.put(storage.kvFamily(), key, RocksRecords.encodeKvValue(change.getValue()));
                }
            }
            for (Event event : events) {
                putHistory(batch, event);
            }
            for (Dedup dedup : dedups) {
                putDedup(batch, dedup);
            }
            for (Map.Entry<Long, Lease> lease : write.leases().entrySet()) {
                if (lease.getValue() == null) {
                    batch.delete(storage.leaseFamily(), RocksRecords.leaseKey(lease.getKey()));
                } else {
                    batch.put(storage.leaseFamily(), RocksRecords.leaseKey(lease.getKey()),
                            RocksRecords.encodeLease(lease.getValue()));
                }
            }
            for (Attachment attachment : write.attachments()) {
                byte[] record = RocksRecords.leaseAttachmentKey(attachment.lease(), attachment.key());
                if (attachment.attached()) {
                    batch.put(storage.leaseFamily(), record, EMPTY);
                } else {
                    batch.delete(storage.leaseFamily(), record);
                }
            }
            if (compactAfter > this.compactRevision) {
                batch.put(storage.metaFamily(), RocksRecords.COMPACT_REVISION_KEY, RocksRecords.indexKey(compactAfter));
            }
            if (write.auth() != null) {
                batch.put(storage.metaFamily(), RocksRecords.AUTH_KEY, write.auth().encode());
            }
            batch.put(storage.metaFamily(), RocksRecords.APPLIED_INDEX_KEY, RocksRecords.indexKey(appliedIndex));
            storage.db().write(storage.unloggedWrites(), batch);
        } catch (RocksDBException e) {
            throw storage.failure("applying " + changes.size() + " changes up to index " + appliedIndex, e);
        }
        write.leases().forEach((id, lease) -> {
            if (lease == null) {
                leaseTable.remove(id);
            } else {
                leaseTable.put(id, lease);
            }
        });
        if (write.auth() != null) {
            auth = write.auth();
        }
        this.compactRevision = compactAfter;
        this.appliedIndex = appliedIndex;
    }

    /** Adds {@code event}'s history record and its {@code changes} record to {@code batch}. */
    void putHistory(WriteBatch batch, Event event) throws RocksDBException {
        byte[] historyKey = RocksRecords.historyKey(event.key(), event.revision());
        batch.put(storage.historyFamily(), historyKey, RocksRecords.encodeHistoryValue(event));
        batch.put(storage.changesFamily(), RocksRecords.changeKey(historyKey), EMPTY);
    }

    /**
     * The purge of {@link InMemoryKvStore#purgeHistory}, step for step, in one batch per call. Every
     * read here is of the database before the batch, which is enough: a step deletes only records of
     * its key at or below its revision, while later steps look at that key's records above their own,
     * later, revision, and the changes records are visited once each, in order.
     */
    @Override
    public synchronized int purgeHistory(int maxRecords) {
        storage.ensureOpen();
        long compact = compactRevision;
        int looked = 0;
        long lastRevision = purgedBelow;
        try (WriteBatch batch = new WriteBatch();
             RocksIterator changes = storage.db().newIterator(storage.changesFamily());
             RocksIterator records = storage.db().newIterator(storage.historyFamily())) {
            for (changes.seek(RocksRecords.indexKey(purgedBelow)); looked < maxRecords && changes.isValid();
                 changes.next()) {
                byte[] change = changes.key();
                long revision = RocksRecords.changeRevision(change);
                if (revision >= compact) {
                    break;
                }
                looked++;
                lastRevision = revision;
                purgeStep(batch, records, change, revision, compact);
                batch.delete(storage.changesFamily(), change);
            }
            changes.status();
            looked += purgeDedups(batch, appliedIndex, maxRecords - looked);
            if (looked > 0) {
                storage.db().write(storage.unloggedWrites(), batch);
            }
        } catch (RocksDBException e) {
            throw storage.failure("purging history below revision " + compact, e);
        }
        purgedBelow = lastRevision;
        return looked;
    }

    /** Adds the removal of up to {@code max} idempotency entries whose window ended by {@code applied}. */
    private int purgeDedups(WriteBatch batch, long applied, int max) throws RocksDBException {
        int removed = 0;
        try (RocksIterator index = storage.db().newIterator(storage.dedupFamily())) {
            for (index.seek(new byte[] {RocksRecords.DEDUP_BY_REVISION}); removed < max && index.isValid()
                    && index.key()[0] == RocksRecords.DEDUP_BY_REVISION; index.next()) {
                byte[] indexKey = index.key();
                if (RocksRecords.dedupIndexRevision(indexKey) > applied) {
                    break;
                }
                batch.delete(storage.dedupFamily(), indexKey);
                batch.delete(storage.dedupFamily(), RocksRecords.dedupKey(RocksRecords.dedupIndexUserKey(indexKey)));
                removed++;
            }
            index.status();
        }
        return removed;
    }

    /**
     * One change (K, revision) below the compact revision: K's older records go (this change
     * supersedes them), and this one too when a later record of K below the compact revision
     * supersedes it, or when it is a delete (nothing at or above the compact revision needs it).
     */
    private void purgeStep(WriteBatch batch, RocksIterator records, byte[] change, long revision, long compact)
            throws RocksDBException {
        byte[] historyKey = RocksRecords.historyKeyOfChange(change);
        byte[] record = null;
        for (records.seek(RocksRecords.withRevision(historyKey, 0)); records.isValid(); records.next()) {
            record = records.key();
            if (!RocksRecords.sameKey(record, historyKey) || RocksRecords.historyRevision(record) >= revision) {
                break;
            }
            batch.delete(storage.historyFamily(), record);
            record = null;
        }
        records.status();
        if (record == null || !records.isValid() || !Arrays.equals(record, historyKey)) {
            throw new StorageException("corrupt history: the change at revision " + revision
                    + " has no history record");
        }
        boolean delete = RocksRecords.isHistoryDelete(records.value());
        records.next();
        boolean superseded = false;
        if (records.isValid()) {
            byte[] next = records.key();
            superseded = RocksRecords.sameKey(next, historyKey) && RocksRecords.historyRevision(next) < compact;
        }
        records.status();
        if (superseded || delete) {
            batch.delete(storage.historyFamily(), historyKey);
        }
    }

    /** Called by a snapshot install, which rewrote every state-machine record in its own batch. */
    synchronized void resetAfterInstall(long index, long compact) {
        appliedIndex = index;
        compactRevision = compact;
        purgedBelow = 0;
        loadLeases();
        loadAuth();
        installs++;
    }

    @Override
    public long installs() {
        return installs;
    }

    /** How many history records are stored (a full scan: for tests). */
    long historyRecordCount() {
        storage.ensureOpen();
        long count = 0;
        try (RocksIterator records = storage.db().newIterator(storage.historyFamily())) {
            for (records.seekToFirst(); records.isValid(); records.next()) {
                count++;
            }
            records.status();
        } catch (RocksDBException e) {
            throw storage.failure("counting history records", e);
        }
        return count;
    }

    /** Does nothing: the database belongs to {@link RocksStorage}, which closes it. */
    @Override
    public void close() {
    }

    /**
     * Checks the history marker on open. A fresh store gets it at once. A store written before the
     * history existed (an applied index, no marker) is first given a history that starts at its
     * applied index: see {@link #seedHistory}.
     */
    private void openHistory() {
        try {
            byte[] format = storage.db().get(storage.metaFamily(), RocksRecords.HISTORY_FORMAT_KEY);
            if (format != null) {
                if (format.length != 1 || format[0] != RocksRecords.HISTORY_FORMAT) {
                    throw new StorageException("storage in " + storage.directory() + " has history format "
                            + Arrays.toString(format) + ", this version reads " + RocksRecords.HISTORY_FORMAT);
                }
                return;
            }
            if (appliedIndex > 0) {
                seedHistory();
            } else {
                storage.db().put(storage.metaFamily(), storage.syncedWrites(), RocksRecords.HISTORY_FORMAT_KEY,
                        new byte[] {RocksRecords.HISTORY_FORMAT});
            }
        } catch (RocksDBException e) {
            throw storage.failure("opening the history", e);
        }
    }

    /**
     * Gives a store from before the history one put record per current key, at the key's revision,
     * and makes the applied index the compact revision: reads at it are exact, and everything older
     * was never kept. The one gap: a delete applied at exactly that index left no trace, so a history
     * query from it cannot show that delete. Records below the compact revision get no changes record
     * (the purge would only delete it: each is its key's newest put). Written in batches of
     * {@link #MIGRATION_BATCH_KEYS} keys; the marker and compact revision come in the last, synced,
     * batch, so a crash part way only repeats the seeding, which writes the same records again.
     */
    private void seedHistory() throws RocksDBException {
        long started = System.nanoTime();
        long compact = Math.max(compactRevision, appliedIndex);
        long seeded = 0;
        WriteBatch batch = new WriteBatch();
        try (RocksIterator current = storage.db().newIterator(storage.kvFamily())) {
            for (current.seekToFirst(); current.isValid(); current.next()) {
                KvEntry entry = RocksRecords.decodeKvEntry(current.key(), current.value());
                byte[] historyKey = RocksRecords.historyKey(entry.key(), entry.revision());
                batch.put(storage.historyFamily(), historyKey, RocksRecords.encodeHistoryValue(Event.put(entry, null)));
                if (entry.revision() >= compact) {
                    batch.put(storage.changesFamily(), RocksRecords.changeKey(historyKey), EMPTY);
                }
                if (++seeded % MIGRATION_BATCH_KEYS == 0) {
                    storage.db().write(storage.bufferedWrites(), batch);
                    batch.close();
                    batch = new WriteBatch();
                }
            }
            current.status();
            batch.put(storage.metaFamily(), RocksRecords.COMPACT_REVISION_KEY, RocksRecords.indexKey(compact));
            batch.put(storage.metaFamily(), RocksRecords.HISTORY_FORMAT_KEY, new byte[] {RocksRecords.HISTORY_FORMAT});
            storage.db().write(storage.syncedWrites(), batch);
        } finally {
            batch.close();
        }
        compactRevision = compact;
        long keys = seeded;
        LOG.info(() -> "storage in " + storage.directory() + " predates the history: seeded it with " + keys
                + " current keys in " + (System.nanoTime() - started) / 1_000_000 + " ms; history starts at revision "
                + compact + ", older revisions are refused as compacted");
    }
}
