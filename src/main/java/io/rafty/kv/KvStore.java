package io.rafty.kv;

import java.util.List;
import java.util.Map;

/**
 * The state machine's storage: the keys, their metadata, their history, and the applied index,
 * which always moves together with the writes it covers. Implementations may block (RocksDB): call
 * them from a worker thread, never an event loop. Every read sees whole {@link #write} batches.
 *
 * <h2>History (MVCC)</h2>
 * Every change is kept by revision (revisions are log indexes) until it is compacted. With
 * {@code C = compactRevision()} and {@code A = appliedIndex()}, the store serves reads at any
 * revision {@code C <= R <= A} and history queries from any revision {@code >= C}; older revisions
 * throw {@link RevisionUnavailableException} (compacted), newer ones too (future). Compaction is
 * logical first: {@link #write} raises {@code C} in the batch that applies the compaction, and from
 * then on nothing below {@code C} is served. {@link #purgeHistory} later removes, in bounded steps,
 * the records no revision {@code >= C} can need: for each key, every record below {@code C} except
 * the newest one, and that one too when it is a delete. The newest put below {@code C} stays, so a
 * read at {@code C} and the {@code prev} of an event at {@code C} are still answered.
 */
public interface KvStore extends AutoCloseable {

    /** The index of the last log entry whose effects are stored here (0 when empty). */
    long appliedIndex();

    /** Revisions below this are compacted (0 or 1 when nothing is). Moves only forward. */
    long compactRevision();

    /**
     * How many snapshot installs have replaced this store's contents since it was opened (0 for a fresh
     * one). Something that remembers what it stored, as {@link RecentWrites} does, knows from this that the
     * contents changed under it.
     */
    long installs();

    /** The entry for {@code key}, or null when absent. */
    KvEntry get(byte[] key);

    /**
     * Entries whose key starts with {@code prefix} and sorts strictly after {@code after} (when not
     * null), in unsigned-byte key order, at most {@code limit} of them.
     */
    default List<KvEntry> scan(byte[] prefix, byte[] after, int limit) {
        return list(prefix, after, limit).entries();
    }

    /** As {@link #scan}, with the revision the entries were read at (one consistent view). */
    Page list(byte[] prefix, byte[] after, int limit);

    /**
     * The entry for {@code key} as of {@code revision}, or null when it did not exist then.
     *
     * @throws RevisionUnavailableException when the revision is compacted or beyond the applied index
     */
    KvEntry getAt(byte[] key, long revision);

    /**
     * As {@link #scan}, as of {@code revision}: the page's {@link Page#revision()} is {@code revision}.
     *
     * @throws RevisionUnavailableException when the revision is compacted or beyond the applied index
     */
    Page listAt(byte[] prefix, byte[] after, int limit, long revision);

    /**
     * The events of {@code selector}'s keys (a key or a prefix; a range is refused with
     * {@link IllegalArgumentException}) with revisions {@code from..to} (inclusive), in revision
     * order and, within a revision, key order. The page stops at the first revision boundary at or
     * after {@code maxEvents} events (a revision's events are never split, so a page may hold more);
     * {@link HistoryPage#through()} is the last revision it covers: {@code to} when nothing is left.
     * With {@code withPrev}, each event carries the key's previous state.
     *
     * @throws RevisionUnavailableException when {@code from} is compacted or {@code to} is beyond the
     *                                      applied index
     */
    HistoryPage history(KeySelector selector, long from, long to, int maxEvents, boolean withPrev);

    /**
     * Stores {@code changes} (a null value deletes the key) and their {@code events} in the history,
     * raises the compact revision to {@code compactRevision} (when higher), and sets the applied
     * index to {@code appliedIndex}, atomically: after a crash either all of it is visible or none.
     * Keys are compared by content ({@link Key}). {@code events} are in revision order and each has
     * a revision above the previous applied index.
     */
    default void write(Map<Key, KvEntry> changes, List<Event> events, long compactRevision, long appliedIndex) {
        write(new Batch(changes, events, List.of(), Map.of(), List.of(), compactRevision, appliedIndex));
    }

    /**
     * The auth table as the last applied batch (or install) left it. Small and held in memory, like the lease
     * table: the event loop reads it for every request's permission check, while a worker applies.
     */
    default AuthState auth() {
        return AuthState.EMPTY;
    }

    /** As {@link #write(Map, List, long, long)}, with entries added to the idempotency table. */
    default void write(Map<Key, KvEntry> changes, List<Event> events, List<Dedup> dedups, long compactRevision,
                       long appliedIndex) {
        write(new Batch(changes, events, dedups, Map.of(), List.of(), compactRevision, appliedIndex));
    }

    /**
     * Stores one batch atomically (see {@link #write(Map, List, long, long)}): key changes and their
     * events, idempotency entries (an entry replaces one with the same key), lease changes (a null
     * lease is removed), changes of which keys are attached to which lease, and the new auth table (null: unchanged).
     */
    void write(Batch batch);

    /**
     * The lease {@code id}, or null. The lease table is small and held in memory by every store, so this,
     * {@link #leases} and {@link #leaseCount} never wait for I/O: the node's event loop reads them (its
     * lease clock, the lease routes), while a worker applies. They see whole batches and installs.
     */
    Lease lease(long id);

    /** Every lease, in id order (see {@link #lease}). */
    List<Lease> leases();

    /** How many leases there are, in constant time (see {@link #lease}). */
    int leaseCount();

    /** The keys attached to lease {@code id}, in key order, at most {@code limit}. */
    List<byte[]> leaseKeys(long id, int limit);

    /**
     * The idempotency table's entry for {@code key}, or null. An entry whose window has passed may still
     * be returned until the purge has removed it; it no longer counts ({@link KvStateMachine}).
     */
    Dedup dedup(byte[] key);

    /**
     * Removes history records that no revision at or above the compact revision needs (see the class
     * comment), and idempotency entries whose window ended at or below the applied index, looking at no
     * more than {@code maxRecords} of them; one call is one atomic step.
     *
     * @return how many changes it looked at; 0 when nothing is left to remove
     */
    int purgeHistory(int maxRecords);

    @Override
    void close();

    /** What one apply batch stores; see {@link #write(Batch)}. */
    record Batch(Map<Key, KvEntry> changes, List<Event> events, List<Dedup> dedups, Map<Long, Lease> leases,
                 List<Attachment> attachments, long compactRevision, long appliedIndex, AuthState auth) {

        /** A batch that leaves the auth table as it is. */
        public Batch(Map<Key, KvEntry> changes, List<Event> events, List<Dedup> dedups, Map<Long, Lease> leases,
                     List<Attachment> attachments, long compactRevision, long appliedIndex) {
            this(changes, events, dedups, leases, attachments, compactRevision, appliedIndex, null);
        }
    }

    /** Key {@code key} is attached to lease {@code lease} from now on ({@code attached}), or no longer. */
    record Attachment(long lease, byte[] key, boolean attached) {
    }

    /** Entries read at one revision. */
    record Page(List<KvEntry> entries, long revision) {
    }

    /** A page of history; see {@link KvStore#history}. */
    record HistoryPage(List<Event> events, long through) {
    }
}
