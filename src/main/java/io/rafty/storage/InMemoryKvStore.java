package io.rafty.storage;

import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.Key;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.kv.Lease;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.DeliberateBug;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The in-memory twin of {@link RocksKvStore}, for tests and the simulator: the same history rules
 * (see {@link KvStore}), the same purge steps, nothing durable. After a simulated crash the simulator
 * starts from an older copy and replays the log, which is exactly what a node does when RocksDB lost
 * its unsynced state-machine writes. Synchronized so that concurrent readers see whole batches, as
 * they would with RocksDB.
 */
public final class InMemoryKvStore implements KvStore {

    private final NavigableMap<Key, KvEntry> entries = new TreeMap<>();
    /** Per key, its kept changes by revision (events without {@code prev}). */
    private final NavigableMap<Key, NavigableMap<Long, Event>> history = new TreeMap<>();
    /** Per revision, the keys it changed that the purge has not looked at yet. */
    private final NavigableMap<Long, TreeSet<Key>> changes = new TreeMap<>();
    /** The idempotency table, and its keys by the end of their window, for the purge. */
    private final NavigableMap<Key, Dedup> dedups = new TreeMap<>();
    private final NavigableMap<Long, TreeSet<Key>> dedupsByRevision = new TreeMap<>();
    private final NavigableMap<Long, Lease> leases = new TreeMap<>();
    /** Per lease, the keys attached to it. */
    private final NavigableMap<Long, TreeSet<Key>> attached = new TreeMap<>();
    private long appliedIndex;
    /** Snapshot installs since this store was created (a copy starts again from 0). */
    private volatile long installs;
    private long compactRevision;
    /** Read by the event loop without the lock (see {@link KvStore#auth}); replaced whole. */
    private volatile io.rafty.kv.AuthState auth = io.rafty.kv.AuthState.EMPTY;
    /** {@link DeliberateBug#PURGE_THROUGH_COMPACT_REVISION}, for the simulator's teeth. */
    private final boolean purgeThroughCompactRevision;
    /** {@link DeliberateBug#DEDUP_NOT_IN_SNAPSHOT}. */
    private final boolean dedupNotInSnapshot;

    public InMemoryKvStore() {
        this(Set.of());
    }

    /**
     * A store with deliberate bugs (only {@link DeliberateBug#PURGE_THROUGH_COMPACT_REVISION} and
     * {@link DeliberateBug#DEDUP_NOT_IN_SNAPSHOT} apply here).
     */
    public InMemoryKvStore(Set<DeliberateBug> bugs) {
        this.purgeThroughCompactRevision = bugs.contains(DeliberateBug.PURGE_THROUGH_COMPACT_REVISION);
        this.dedupNotInSnapshot = bugs.contains(DeliberateBug.DEDUP_NOT_IN_SNAPSHOT);
    }

    private Set<DeliberateBug> bugs() {
        Set<DeliberateBug> bugs = new java.util.HashSet<>();
        if (purgeThroughCompactRevision) {
            bugs.add(DeliberateBug.PURGE_THROUGH_COMPACT_REVISION);
        }
        if (dedupNotInSnapshot) {
            bugs.add(DeliberateBug.DEDUP_NOT_IN_SNAPSHOT);
        }
        return bugs;
    }

    @Override
    public synchronized Dedup dedup(byte[] key) {
        return dedups.get(new Key(key));
    }

    private void putDedup(Dedup dedup) {
        Key key = new Key(dedup.key());
        Dedup replaced = dedups.put(key, dedup);
        if (replaced != null) {
            TreeSet<Key> keys = dedupsByRevision.get(replaced.expiry());
            if (keys != null && keys.remove(key) && keys.isEmpty()) {
                dedupsByRevision.remove(replaced.expiry());
            }
        }
        dedupsByRevision.computeIfAbsent(dedup.expiry(), r -> new TreeSet<>()).add(key);
    }

    @Override
    public synchronized long appliedIndex() {
        return appliedIndex;
    }

    @Override
    public synchronized long compactRevision() {
        return compactRevision;
    }

    @Override
    public synchronized KvEntry get(byte[] key) {
        return entries.get(new Key(key));
    }

    @Override
    public synchronized Page list(byte[] prefix, byte[] after, int limit) {
        ScanRange range = new ScanRange(prefix, after, limit);
        List<KvEntry> found = new ArrayList<>();
        for (Map.Entry<Key, KvEntry> entry : entries.tailMap(new Key(range.startKey()), true).entrySet()) {
            byte[] key = entry.getKey().bytes();
            if (found.size() >= range.limit() || !range.inPrefix(key)) {
                break;
            }
            if (!range.excludes(key)) {
                found.add(entry.getValue());
            }
        }
        return new Page(found, appliedIndex);
    }

    @Override
    public synchronized KvEntry getAt(byte[] key, long revision) {
        RevisionUnavailableException.check(revision, compactRevision, appliedIndex);
        NavigableMap<Long, Event> changesOfKey = history.get(new Key(key));
        Map.Entry<Long, Event> latest = changesOfKey == null ? null : changesOfKey.floorEntry(revision);
        return latest == null || latest.getValue().type() == Event.Type.DELETE ? null : latest.getValue().entry();
    }

    @Override
    public synchronized Page listAt(byte[] prefix, byte[] after, int limit, long revision) {
        RevisionUnavailableException.check(revision, compactRevision, appliedIndex);
        ScanRange range = new ScanRange(prefix, after, limit);
        List<KvEntry> found = new ArrayList<>();
        for (Map.Entry<Key, NavigableMap<Long, Event>> key : history.tailMap(new Key(range.startKey()), true).entrySet()) {
            byte[] bytes = key.getKey().bytes();
            if (found.size() >= range.limit() || !range.inPrefix(bytes)) {
                break;
            }
            Map.Entry<Long, Event> latest = key.getValue().floorEntry(revision);
            if (!range.excludes(bytes) && latest != null && latest.getValue().type() == Event.Type.PUT) {
                found.add(latest.getValue().entry());
            }
        }
        return new Page(found, revision);
    }

    @Override
    public synchronized HistoryPage history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be positive, was " + maxEvents);
        }
        if (selector.kind() == KeySelector.Kind.RANGE) {
            throw new IllegalArgumentException("the history is read by key or prefix, not " + selector);
        }
        KvStoreRules.checkHistoryRange(from, to, compactRevision, appliedIndex);
        List<Event> found = new ArrayList<>();
        if (from > to) {
            return new HistoryPage(found, to);
        }
        if (!selector.prefix()) {
            NavigableMap<Long, Event> changesOfKey = history.get(new Key(selector.bytes()));
            if (changesOfKey != null) {
                for (Event event : changesOfKey.subMap(from, true, to, true).values()) {
                    if (found.size() >= maxEvents) {
                        return new HistoryPage(found, found.get(found.size() - 1).revision());
                    }
                    found.add(withPrev ? withPrevious(event) : event);
                }
            }
            return new HistoryPage(found, to);
        }
        for (Map.Entry<Long, TreeSet<Key>> revision : changes.subMap(from, true, to, true).entrySet()) {
            if (found.size() >= maxEvents) {
                return new HistoryPage(found, found.get(found.size() - 1).revision());
            }
            for (Key key : revision.getValue()) {
                if (selector.matches(key.bytes())) {
                    Event event = history.get(key).get(revision.getKey());
                    found.add(withPrev ? withPrevious(event) : event);
                }
            }
        }
        return new HistoryPage(found, to);
    }

    private Event withPrevious(Event event) {
        Map.Entry<Long, Event> before = history.get(new Key(event.key())).lowerEntry(event.revision());
        KvEntry prev = before == null || before.getValue().type() == Event.Type.DELETE ? null : before.getValue().entry();
        return new Event(event.type(), event.entry(), prev);
    }

    @Override
    public synchronized Lease lease(long id) {
        return leases.get(id);
    }

    @Override
    public synchronized List<Lease> leases() {
        return new ArrayList<>(leases.values());
    }

    @Override
    public synchronized int leaseCount() {
        return leases.size();
    }

    @Override
    public synchronized List<byte[]> leaseKeys(long id, int limit) {
        List<byte[]> keys = new ArrayList<>();
        for (Key key : attached.getOrDefault(id, new TreeSet<>())) {
            if (keys.size() >= limit) {
                break;
            }
            keys.add(key.bytes());
        }
        return keys;
    }

    private void attach(long lease, Key key, boolean attach) {
        if (attach) {
            attached.computeIfAbsent(lease, id -> new TreeSet<>()).add(key);
        } else {
            TreeSet<Key> keys = attached.get(lease);
            if (keys != null && keys.remove(key) && keys.isEmpty()) {
                attached.remove(lease);
            }
        }
    }

    @Override
    public synchronized void write(Batch batch) {
        long appliedIndex = batch.appliedIndex();
        long compactRevision = batch.compactRevision();
        List<Dedup> newDedups = batch.dedups();
        List<Event> events = batch.events();
        KvStoreRules.requireForward(this.appliedIndex, appliedIndex);
        batch.leases().forEach((id, lease) -> {
            if (lease == null) {
                leases.remove(id);
            } else {
                leases.put(id, lease);
            }
        });
        for (Attachment attachment : batch.attachments()) {
            attach(attachment.lease(), new Key(attachment.key()), attachment.attached());
        }
        batch.changes().forEach((key, entry) -> {
            if (entry == null) {
                entries.remove(key);
            } else {
                entries.put(key, entry);
            }
        });
        for (Event event : events) {
            record(event.withoutPrev());
        }
        newDedups.forEach(this::putDedup);
        if (batch.auth() != null) {
            auth = batch.auth();
        }
        this.compactRevision = Math.max(this.compactRevision, compactRevision);
        this.appliedIndex = appliedIndex;
    }

    private void record(Event event) {
        Key key = new Key(event.key());
        history.computeIfAbsent(key, k -> new TreeMap<>()).put(event.revision(), event);
        changes.computeIfAbsent(event.revision(), r -> new TreeSet<>()).add(key);
    }

    @Override
    public synchronized int purgeHistory(int maxRecords) {
        int looked = 0;
        // The bug purges through the compact revision instead of below it.
        long limit = purgeThroughCompactRevision ? compactRevision + 1 : compactRevision;
        while (looked < maxRecords && !changes.isEmpty() && changes.firstKey() < limit) {
            long revision = changes.firstKey();
            TreeSet<Key> keys = changes.get(revision);
            Key key = keys.pollFirst();
            if (keys.isEmpty()) {
                changes.remove(revision);
            }
            looked++;
            NavigableMap<Long, Event> changesOfKey = history.get(key);
            // Everything older is superseded by this change, which is itself below the compact revision.
            changesOfKey.headMap(revision, false).clear();
            Long next = changesOfKey.higherKey(revision);
            boolean superseded = next != null && next < limit;
            if (superseded || changesOfKey.get(revision).type() == Event.Type.DELETE) {
                changesOfKey.remove(revision);
            }
            if (changesOfKey.isEmpty()) {
                history.remove(key);
            }
        }
        while (looked < maxRecords && !dedupsByRevision.isEmpty() && dedupsByRevision.firstKey() <= appliedIndex) {
            TreeSet<Key> keys = dedupsByRevision.firstEntry().getValue();
            dedups.remove(keys.pollFirst());
            if (keys.isEmpty()) {
                dedupsByRevision.pollFirstEntry();
            }
            looked++;
        }
        return looked;
    }

    /** How many history records are kept (for tests). */
    synchronized long historyRecordCount() {
        return history.values().stream().mapToLong(Map::size).sum();
    }

    /**
     * Replaces everything (see {@link InMemorySnapshotStore}) with an image's records; every kept change
     * is queued for the purge again, which drops what the image's compact revision no longer needs.
     * The image is read whole before anything is replaced: one that fails part way (a damaged staged
     * file) leaves the store as it was, as the RocksDB store's single batch does.
     */
    synchronized void replaceAll(Iterator<ImageRecord> records, long appliedIndex) {
        InMemoryKvStore image = new InMemoryKvStore();
        while (records.hasNext()) {
            ImageRecord record = records.next();
            if (record instanceof ImageRecord.Compaction compaction) {
                image.compactRevision = compaction.compactRevision();
            } else if (record instanceof ImageRecord.Current current) {
                image.entries.put(new Key(current.entry().key()), current.entry());
            } else if (record instanceof ImageRecord.Deduped deduped) {
                image.putDedup(deduped.dedup());
            } else if (record instanceof ImageRecord.Leased leased) {
                image.leases.put(leased.lease().id(), leased.lease());
            } else if (record instanceof ImageRecord.Authorized authorized) {
                image.auth = authorized.auth();
            } else {
                image.record(((ImageRecord.Past) record).event().withoutPrev());
            }
        }
        image.entries.values().stream().filter(entry -> entry.lease() != 0)
                .forEach(entry -> image.attach(entry.lease(), new Key(entry.key()), true));
        leases.clear();
        leases.putAll(image.leases);
        attached.clear();
        attached.putAll(image.attached);
        dedups.clear();
        dedups.putAll(image.dedups);
        dedupsByRevision.clear();
        dedupsByRevision.putAll(image.dedupsByRevision);
        entries.clear();
        entries.putAll(image.entries);
        history.clear();
        history.putAll(image.history);
        changes.clear();
        changes.putAll(image.changes);
        compactRevision = image.compactRevision;
        auth = image.auth;
        this.appliedIndex = appliedIndex;
        installs++;
    }

    @Override
    public long installs() {
        return installs;
    }

    @Override
    public io.rafty.kv.AuthState auth() {
        return auth;
    }

    /** The image of this store: its compact revision, its current entries, its kept history. */
    synchronized List<ImageRecord> image() {
        List<ImageRecord> image = new ArrayList<>(1 + entries.size() + changes.size());
        image.add(new ImageRecord.Compaction(compactRevision));
        entries.values().forEach(entry -> image.add(new ImageRecord.Current(entry)));
        history.values().forEach(changesOfKey -> changesOfKey.values()
                .forEach(event -> image.add(new ImageRecord.Past(event))));
        if (!dedupNotInSnapshot) {
            dedups.values().forEach(dedup -> image.add(new ImageRecord.Deduped(dedup)));
        }
        leases.values().forEach(lease -> image.add(new ImageRecord.Leased(lease)));
        if (auth != io.rafty.kv.AuthState.EMPTY) {
            image.add(new ImageRecord.Authorized(auth));
        }
        return image;
    }

    /**
     * An independent copy of this store as it is now. The simulator keeps one as what a crash leaves
     * of the state machine: RocksDB writes the state machine's batches unsynced, so a power cut loses
     * those after its last sync, and the node replays them from the log.
     */
    public synchronized InMemoryKvStore copy() {
        InMemoryKvStore copy = new InMemoryKvStore(bugs());
        dedups.values().forEach(copy::putDedup);
        copy.leases.putAll(leases);
        attached.forEach((id, keys) -> copy.attached.put(id, new TreeSet<>(keys)));
        copy.entries.putAll(entries);
        history.forEach((key, changesOfKey) -> copy.history.put(key, new TreeMap<>(changesOfKey)));
        changes.forEach((revision, keys) -> copy.changes.put(revision, new TreeSet<>(keys)));
        copy.appliedIndex = appliedIndex;
        copy.compactRevision = compactRevision;
        copy.auth = auth;
        return copy;
    }

    @Override
    public void close() {
        // Nothing to release.
    }
}
