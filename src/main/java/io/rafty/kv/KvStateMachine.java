package io.rafty.kv;

import io.rafty.raft.DeliberateBug;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Applies committed log entries to a {@link KvStore}: the replicated state machine. Pure logic
 * with no I/O of its own; it blocks only as long as the store does, so call it from a worker.
 *
 * <p>Rules, in the spirit of etcd v3:
 * <ul>
 *   <li>Revisions are log indexes. A put on an absent key creates it with
 *       {@code revision = createRevision = index, version = 1}; a put on an existing key keeps
 *       {@code createRevision}, sets {@code revision = index} and increments {@code version}.</li>
 *   <li>A precondition is checked before the command; every field given must hold.
 *       {@code prevRevision = 0} means "must not exist" (etcd's {@code mod_revision == 0}).</li>
 *   <li>Entries at or below the store's applied index are skipped, so replaying the log after a
 *       crash applies each entry exactly once.</li>
 *   <li>A batch is written with one {@link KvStore#write} call, together with its events (the
 *       history) and the batch's last index, so keys, history and applied index never disagree
 *       after a crash.</li>
 *   <li>A write with an idempotency key applies once: a later entry with the same key and request is
 *       answered with the first one's result and changes nothing; with another request it is refused.
 *       Each entry counts for the window in revisions its command carries (see {@link Idempotency}).</li>
 *   <li>A transaction runs at its entry's index as one revision (see {@link Txn} and
 *       {@link TxnRunner}); a committed one that breaks the rules changes nothing. Its gets at a past
 *       revision read the store's history; when that revision was applied earlier in the same batch, the
 *       batch so far is stored first, so what they read never depends on how entries were batched.</li>
 *   <li>A compaction to {@code R} is refused when {@code R} is already compacted or beyond the
 *       revision before its own entry; otherwise every read below {@code R} is refused from that
 *       entry on, on every node alike.</li>
 * </ul>
 *
 * A write reads the key's current entry first; the entries this state machine stored last are kept in
 * a bounded {@link RecentWrites} cache, so a key written again soon is not read back from the store.
 *
 * Not thread-safe: one caller applies at a time (the node's apply worker). The read helpers may be
 * called concurrently when the store allows it.
 */
public final class KvStateMachine implements LeaseTable {

    private final KvStore store;
    private final RecentWrites recent;
    private final boolean comparesIgnoreBatch;
    private final boolean readTxnBehind;
    private final boolean recentKeptAcrossInstall;

    public KvStateMachine(KvStore store) {
        this(store, Set.of());
    }

    /**
     * A state machine with deliberate bugs (only {@link DeliberateBug#TXN_COMPARES_IGNORE_BATCH},
     * {@link DeliberateBug#READ_TXN_ONE_REVISION_BEHIND} and {@link DeliberateBug#RECENT_WRITES_KEPT_ACROSS_INSTALL}
     * apply here), with a cache of recent writes of its own ({@link RecentWrites#withDefaultBound()}).
     */
    public KvStateMachine(KvStore store, Set<DeliberateBug> bugs) {
        this(store, bugs, RecentWrites.withDefaultBound());
    }

    /**
     * As {@link #KvStateMachine(KvStore, Set)}, with {@code recent} as the cache of recent writes: a host that
     * builds a state machine per apply (the simulator) keeps one cache across them, as one long-lived state
     * machine does.
     */
    public KvStateMachine(KvStore store, Set<DeliberateBug> bugs, RecentWrites recent) {
        this.store = Objects.requireNonNull(store, "store");
        this.recent = Objects.requireNonNull(recent, "recent");
        this.comparesIgnoreBatch = bugs.contains(DeliberateBug.TXN_COMPARES_IGNORE_BATCH);
        this.readTxnBehind = bugs.contains(DeliberateBug.READ_TXN_ONE_REVISION_BEHIND);
        this.recentKeptAcrossInstall = bugs.contains(DeliberateBug.RECENT_WRITES_KEPT_ACROSS_INSTALL);
    }

    /**
     * Applies {@code committed}, which must be in index order with no gaps after the applied index.
     *
     * @return one result per newly applied command entry, in order; no-op and configuration
     *         entries produce none but still advance the applied index
     * @throws IllegalStateException when an entry would leave a gap, or a committed command cannot
     *                               be decoded. Nothing of the batch is written then: applying past
     *                               a corrupt entry would let this node's state silently diverge.
     */
    public List<KvResult> apply(List<Entry> committed) {
        long lastApplied = store.appliedIndex();
        if (!recentKeptAcrossInstall) {
            recent.validate(store.installs(), lastApplied);
        }
        // Later commands in the batch must see earlier ones' effects before anything is stored.
        Changes batch = new Changes(store.compactRevision());
        List<Event> events = new ArrayList<>();
        List<KvResult> results = new ArrayList<>();
        for (Entry entry : committed) {
            if (entry.index() <= lastApplied) {
                continue;
            }
            if (entry.index() != lastApplied + 1) {
                throw new IllegalStateException("committed entry " + entry.index() + " leaves a gap after applied index "
                        + lastApplied);
            }
            if (entry.type() == EntryType.COMMAND) {
                Command command = decode(entry);
                long readRevision = readRevision(command);
                if (readRevision > store.appliedIndex() && readRevision < entry.index()
                        && lastApplied > store.appliedIndex()) {
                    // A get at a revision this batch has applied but not stored: the store's history serves
                    // past states, so store the batch so far first. It changes how the batch is written,
                    // never what any command sees, so every node computes the same whatever its batches.
                    write(batch, events, lastApplied);
                    batch = new Changes(batch.compactRevision);
                    events = new ArrayList<>();
                }
                KvResult result = switch (command.kind()) {
                    case PUT, DELETE -> applyKeyCommand((Command.KeyCommand) command, entry.index(), batch);
                    case COMPACT -> compact((Command.Compact) command, entry.index(), batch.compactRevision);
                    case TXN -> transaction(((Command.Transaction) command).txn(), entry.index(), batch);
                    case IDEMPOTENT -> idempotent((Command.Idempotent) command, entry.index(), batch);
                    case LEASE_GRANT -> grant((Command.LeaseGrant) command, entry.index(), batch);
                    case LEASE_REVOKE -> revoke(((Command.LeaseRevoke) command).id(), entry.index(), batch);
                    case LEASE_CHECKPOINT -> checkpoint((Command.LeaseCheckpoint) command, entry.index(), batch);
                    case AUTH -> auth(((Command.Auth) command).change(), entry.index(), batch);
                };
                if (result instanceof KvResult.Compacted compacted) {
                    batch.compactRevision = compacted.compactRevision();
                }
                events.addAll(result.events());
                results.add(result);
            }
            lastApplied = entry.index();
        }
        if (lastApplied > store.appliedIndex()) {
            write(batch, events, lastApplied);
        }
        return results;
    }

    private void write(Changes batch, List<Event> events, long lastApplied) {
        store.write(new KvStore.Batch(batch.overlay, events, new ArrayList<>(batch.dedups.values()), batch.leases,
                batch.attachments(), batch.compactRevision, lastApplied, batch.auth));
        recent.stored(batch.overlay, lastApplied);
    }

    /** The highest past revision a transaction command reads at (0: none). */
    private static long readRevision(Command command) {
        if (command instanceof Command.Idempotent idempotent) {
            return readRevision(idempotent.write());
        }
        return command instanceof Command.Transaction transaction ? transaction.txn().maxReadRevision() : 0;
    }

    /**
     * The changes of one apply batch, not yet stored, and the view of the store they make: keys, the
     * idempotency entries, leases, and for every key read from the store the lease it had there, so that
     * the lease attachments can be updated from what changed.
     */
    private final class Changes {
        /** Revisions below this are compacted, as of the command being applied. */
        long compactRevision;
        final Map<Key, KvEntry> overlay = new HashMap<>();
        final Map<Key, Dedup> dedups = new HashMap<>();
        final Map<Long, Lease> leases = new HashMap<>();
        /** The auth table as this batch left it; null while the batch has not changed it. */
        AuthState auth;
        /** Per key read from the store, its lease there (0: none, or absent). */
        final Map<Key, Long> storedLeases = new HashMap<>();
        /** The store, noting each key's stored lease as it is read. */
        final KvView stored = new KvView() {
            @Override
            public KvEntry get(byte[] key) {
                Key k = new Key(key);
                KvEntry entry = recent.get(k);
                if (entry == null) {
                    entry = store.get(key);
                    if (entry != null) {
                        recent.read(k, entry);
                    }
                }
                storedLeases.putIfAbsent(k, entry == null ? 0L : entry.lease());
                return entry;
            }

            @Override
            public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
                List<KvEntry> entries = store.scan(prefix, after, limit);
                for (KvEntry entry : entries) {
                    storedLeases.putIfAbsent(new Key(entry.key()), entry.lease());
                }
                return entries;
            }
        };
        /** The store with this batch's changes over it. */
        final KvView current = new OverlayView(stored, overlay);

        Changes(long compactRevision) {
            this.compactRevision = compactRevision;
        }

        Lease lease(long id) {
            return leases.containsKey(id) ? leases.get(id) : store.lease(id);
        }

        /** Every changed key whose lease differs from its stored one leaves the old lease and joins the new. */
        List<KvStore.Attachment> attachments() {
            List<KvStore.Attachment> attachments = new ArrayList<>();
            for (Map.Entry<Key, KvEntry> change : overlay.entrySet()) {
                long before = storedLeases.getOrDefault(change.getKey(), 0L);
                long after = change.getValue() == null ? 0 : change.getValue().lease();
                if (before != after) {
                    if (before != 0) {
                        attachments.add(new KvStore.Attachment(before, change.getKey().bytes(), false));
                    }
                    if (after != 0) {
                        attachments.add(new KvStore.Attachment(after, change.getKey().bytes(), true));
                    }
                }
            }
            return attachments;
        }
    }

    // ----- auth -----------------------------------------------------------------------------------

    private KvResult auth(AuthChange change, long index, Changes batch) {
        AuthState current = batch.auth != null ? batch.auth : store.auth();
        AuthState.Outcome outcome = current.apply(change, index);
        if (outcome.applied()) {
            batch.auth = outcome.state();
        }
        return new KvResult.AuthChanged(index, outcome.error(), outcome.message());
    }

    /** The auth table as the last applied batch (or install) left it; see {@link KvStore#auth}. */
    public AuthState authState() {
        return store.auth();
    }

    // ----- leases ---------------------------------------------------------------------------------

    private KvResult grant(Command.LeaseGrant grant, long index, Changes batch) {
        long id = grant.id() == 0 ? index : grant.id();
        if (batch.lease(id) != null) {
            return new KvResult.LeaseExists(index, id);
        }
        Lease lease = new Lease(id, grant.ttlSeconds(), Lease.NO_CHECKPOINT);
        batch.leases.put(id, lease);
        return new KvResult.LeaseGranted(index, lease);
    }

    /** Deletes every key attached to lease {@code id} (stored, or attached earlier in this batch). */
    private KvResult revoke(long id, long index, Changes batch) {
        if (batch.lease(id) == null) {
            return new KvResult.LeaseNotFound(index, id, null);
        }
        java.util.TreeSet<Key> candidates = new java.util.TreeSet<>();
        for (byte[] key : store.leaseKeys(id, Integer.MAX_VALUE)) {
            candidates.add(new Key(key));
        }
        batch.overlay.forEach((key, entry) -> {
            if (entry != null && entry.lease() == id) {
                candidates.add(key);
            }
        });
        List<Event> deletes = new ArrayList<>();
        for (Key key : candidates) {
            KvEntry entry = batch.current.get(key.bytes());
            if (entry != null && entry.lease() == id) {
                batch.overlay.put(key, null);
                deletes.add(Event.delete(key.bytes(), index, entry));
            }
        }
        batch.leases.put(id, null);
        return new KvResult.LeaseRevoked(index, id, deletes);
    }

    private KvResult checkpoint(Command.LeaseCheckpoint checkpoint, long index, Changes batch) {
        int noted = 0;
        for (Lease remaining : checkpoint.remaining()) {
            Lease lease = batch.lease(remaining.id());
            if (lease != null) {
                batch.leases.put(lease.id(), lease.withRemaining(remaining.remainingMs()));
                noted++;
            }
        }
        return new KvResult.LeaseCheckpointed(index, noted);
    }

    /** Lease {@code id} as the last applied batch (or install) left it, or null; see {@link KvStore#lease}. */
    @Override
    public Lease lease(long id) {
        return store.lease(id);
    }

    /** How many leases there are; see {@link KvStore#leaseCount}. */
    public int leaseCount() {
        return store.leaseCount();
    }

    /** Every lease, in id order; see {@link KvStore#leases}. */
    @Override
    public List<Lease> leases() {
        return store.leases();
    }

    /** The keys attached to lease {@code id}, at most {@code limit}; reads the store (call from a worker). */
    public List<byte[]> leaseKeys(long id, int limit) {
        return store.leaseKeys(id, limit);
    }

    /**
     * A compaction to {@code revision}, applied at {@code index}: it must be above the current compact
     * revision and at most the revision before its own entry (the store's revision when it applies).
     */
    private static KvResult compact(Command.Compact compact, long index, long compactRevision) {
        long current = index - 1;
        if (compact.revision() <= compactRevision) {
            return new KvResult.CompactRefused(index, compact.revision(), compactRevision, current,
                    RevisionUnavailableException.Reason.COMPACTED);
        }
        if (compact.revision() > current) {
            return new KvResult.CompactRefused(index, compact.revision(), compactRevision, current,
                    RevisionUnavailableException.Reason.FUTURE);
        }
        return new KvResult.Compacted(index, compact.revision());
    }

    /**
     * An idempotent write at {@code index}: answered from the table when its key is there and its window
     * has not passed, else applied and recorded for the window its command carries.
     */
    private KvResult idempotent(Command.Idempotent command, long index, Changes batch) {
        Key key = new Key(command.key());
        Map<Key, Dedup> dedups = batch.dedups;
        Dedup existing = dedups.containsKey(key) ? dedups.get(key) : store.dedup(command.key());
        byte[] fingerprint = Idempotency.fingerprint(command.write());
        if (existing != null && index < existing.expiry()) {
            if (!Arrays.equals(existing.fingerprint(), fingerprint)) {
                return new KvResult.IdempotencyKeyReused(index, command.key(), existing.revision());
            }
            try {
                return new KvResult.Replayed(index, ResultCodec.decode(existing.result(), existing.revision()));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("the idempotency entry of key " + key + " is corrupt", e);
            }
        }
        KvResult result = switch (command.write().kind()) {
            case TXN -> transaction(((Command.Transaction) command.write()).txn(), index, batch);
            case LEASE_GRANT -> grant((Command.LeaseGrant) command.write(), index, batch);
            case LEASE_REVOKE -> revoke(((Command.LeaseRevoke) command.write()).id(), index, batch);
            case PUT, DELETE -> applyKeyCommand((Command.KeyCommand) command.write(), index, batch);
            case COMPACT, IDEMPOTENT, LEASE_CHECKPOINT, AUTH -> throw new IllegalStateException("committed entry " + index
                    + " wraps a " + command.write().kind() + " in an idempotency key");
        };
        long expiry = index + Math.min(command.windowRevisions(), Long.MAX_VALUE - index);
        dedups.put(key, new Dedup(command.key(), index, expiry, fingerprint, ResultCodec.encode(result)));
        return result;
    }

    /**
     * Runs a write transaction at {@code index} over the store and the batch's earlier changes; its gets at
     * a past revision read the store's history (which {@link #apply} has made reach that revision).
     */
    private KvResult transaction(Txn txn, long index, Changes batch) {
        String problem = txn.problem();
        if (problem != null) {
            return new KvResult.TxnInvalid(index, problem);
        }
        long compactRevision = batch.compactRevision;
        TxnRunner.History history = revision -> {
            RevisionUnavailableException.check(revision, compactRevision, index - 1);
            return KvView.at(store, revision);
        };
        KvResult result = TxnRunner.apply(txn, comparesIgnoreBatch ? batch.stored : batch.current, batch.current,
                history, index);
        if (!(result instanceof KvResult.TxnDone done)) {
            return result;
        }
        // A put naming a lease that does not exist fails the whole transaction, on every node alike.
        KvResult missing = missingLease(done.outcome().results(), index, batch);
        if (missing != null) {
            return missing;
        }
        batch.overlay.putAll(done.outcome().changes());
        return done;
    }

    /** The first put of {@code results} (nested ones too, in op order) whose lease does not exist, or null. */
    private static KvResult missingLease(List<TxnRunner.OpResult> results, long index, Changes batch) {
        for (TxnRunner.OpResult result : results) {
            if (result instanceof TxnRunner.OpResult.Put put && put.entry().lease() != 0
                    && batch.lease(put.entry().lease()) == null) {
                return new KvResult.LeaseNotFound(index, put.entry().lease(), put.entry().key());
            }
            if (result instanceof TxnRunner.OpResult.Txn nested) {
                KvResult missing = missingLease(nested.results(), index, batch);
                if (missing != null) {
                    return missing;
                }
            }
        }
        return null;
    }

    /**
     * Runs a read-only transaction as of the applied index, from the history, so that its reads are one
     * consistent state while applies go on; answered like a write transaction applied at that revision.
     * After a linearizable read barrier this is a linearizable read.
     *
     * @throws IllegalArgumentException when {@code txn} writes
     * @throws RevisionUnavailableException when a get asks for a revision that is compacted or after the
     *                                      revision read at
     */
    public KvResult.TxnDone readTransaction(Txn txn) {
        if (!txn.readOnly()) {
            throw new IllegalArgumentException("the transaction writes: it must go through the log");
        }
        while (true) {
            long revision = readTxnBehind ? Math.max(store.compactRevision(), store.appliedIndex() - 1)
                    : store.appliedIndex();
            KvView view = KvView.at(store, revision);
            TxnRunner.History history = past -> {
                RevisionUnavailableException.check(past, store.compactRevision(), revision);
                return KvView.at(store, past);
            };
            KvResult result;
            try {
                result = TxnRunner.apply(txn, view, view, history, revision);
            } catch (RevisionUnavailableException e) {
                // A compaction to a revision above the one just read applied meanwhile (an admin compacting up
                // to the head): the applied index moved past it too, so reading again at the new one succeeds.
                if (e.reason() != RevisionUnavailableException.Reason.COMPACTED) {
                    throw e;
                }
                continue;
            }
            if (result instanceof KvResult.TxnRevisionUnavailable refused) {
                // A get asked for a revision that is compacted or after this read's: not retried.
                throw refused.exception();
            }
            return (KvResult.TxnDone) result;
        }
    }

    /** The key's current state, or null when absent. */
    public KvEntry get(byte[] key) {
        return store.get(key);
    }

    /** See {@link KvStore#scan}. */
    public List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        return store.scan(prefix, after, limit);
    }

    /** See {@link KvStore#list}. */
    public KvStore.Page list(byte[] prefix, byte[] after, int limit) {
        return store.list(prefix, after, limit);
    }

    /** See {@link KvStore#getAt}. */
    public KvEntry getAt(byte[] key, long revision) {
        return store.getAt(key, revision);
    }

    /** See {@link KvStore#listAt}. */
    public KvStore.Page listAt(byte[] prefix, byte[] after, int limit, long revision) {
        return store.listAt(prefix, after, limit, revision);
    }

    /** See {@link KvStore#history}. */
    public KvStore.HistoryPage history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        return store.history(selector, from, to, maxEvents, withPrev);
    }

    /** See {@link KvStore#purgeHistory}. */
    public int purgeHistory(int maxRecords) {
        return store.purgeHistory(maxRecords);
    }

    /** The index of the last entry whose effects are stored. */
    public long appliedIndex() {
        return store.appliedIndex();
    }

    /** Revisions below this are compacted. */
    public long compactRevision() {
        return store.compactRevision();
    }

    private static Command decode(Entry entry) {
        try {
            return CommandCodec.decode(entry.payload());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("committed entry " + entry.index() + " is not a valid command", e);
        }
    }

    private KvResult applyKeyCommand(Command.KeyCommand command, long index, Changes batch) {
        Map<Key, KvEntry> overlay = batch.overlay;
        Key key = new Key(command.key());
        KvEntry current = batch.current.get(command.key());
        Precondition precondition = Objects.requireNonNullElse(command.precondition(), Precondition.NONE);
        if (!holds(precondition, current)) {
            return new KvResult.CompareFailed(index, command.key(), current);
        }
        if (command instanceof Command.Put put) {
            if (put.lease() != 0 && batch.lease(put.lease()) == null) {
                return new KvResult.LeaseNotFound(index, put.lease(), put.key());
            }
            KvEntry written = current == null
                    ? new KvEntry(put.key(), put.value(), index, index, 1, put.lease())
                    : new KvEntry(put.key(), put.value(), index, current.createRevision(), current.version() + 1,
                    put.lease());
            overlay.put(key, written);
            return new KvResult.Written(index, written, current);
        }
        if (current == null) {
            return new KvResult.NotFound(index, command.key());
        }
        overlay.put(key, null);
        return new KvResult.Deleted(index, command.key(), index, current);
    }

    /** True when every field of {@code precondition} holds for {@code current} (null = absent). */
    static boolean holds(Precondition precondition, KvEntry current) {
        if (precondition.prevExist() != null && precondition.prevExist() != (current != null)) {
            return false;
        }
        if (precondition.prevValue() != null
                && (current == null || !Arrays.equals(current.value(), precondition.prevValue()))) {
            return false;
        }
        if (precondition.prevRevision() != null) {
            long expected = precondition.prevRevision();
            boolean matches = expected == 0 ? current == null : current != null && current.revision() == expected;
            if (!matches) {
                return false;
            }
        }
        return true;
    }
}
