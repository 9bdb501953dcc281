package io.rafty.raft;

/**
 * Switches that break the algorithm on purpose, so the simulator and checker can prove they catch
 * each kind of bug. Never enabled outside tests; {@link RaftConfig} rejects none of them, so the host
 * decides — production configuration has no way to set them.
 */
public enum DeliberateBug {
    /** The leader commits an entry of a previous term by counting replicas (Raft §5.4.2, Figure 8). */
    COMMIT_PREVIOUS_TERM_BY_COUNTING,
    /** A read is answered from the leader's commit index at once, without a heartbeat round. */
    READ_WITHOUT_READ_INDEX,
    /** Votes and append acknowledgements are sent before the state they promise is persisted. */
    ACK_BEFORE_PERSIST,
    /**
     * Asynchronous storage writes: a light Ready, taken while another Ready's persist is in flight,
     * also carries the votes and append acknowledgements queued since, so they promise entries and
     * votes no synced write has covered yet.
     */
    ASYNC_ACKS_IN_LIGHT_READY,
    /** A follower answers a linearizable read from its own commit index instead of asking the leader. */
    FOLLOWER_READ_FROM_LOCAL_COMMIT,
    /**
     * Votes and acknowledgements count whatever storage they come from: a node that lost its disk is
     * taken for the member it was, as if it remembered what it acknowledged and whom it voted for.
     */
    IGNORE_STORAGE_IDENTITY,
    /**
     * Host: a snapshot is installed on the persist worker beside the apply worker, as it once was, so
     * the state machine has two writers and an apply batch may land on top of an install.
     */
    HOST_INSTALL_BESIDE_APPLY,
    /**
     * Watches: a watcher resuming with {@code Last-Event-ID: R} is sent revision R again (it resumes at R,
     * not after it), so a reconnecting client sees one revision twice.
     */
    WATCH_RESUME_AT_LAST_ID,
    /**
     * Watches: a snapshot install leaves live watchers live, so the changes the snapshot covers (never
     * applied on this node) are never sent to them.
     */
    INSTALL_KEEPS_WATCHERS_LIVE,
    /**
     * History: the purge after a compaction to C also takes the changes at C itself (an off-by-one), so a
     * delete at exactly the compact revision vanishes from the history a watch from C replays, and the
     * previous value of a change at C is lost (the shape of etcd issue 18089). Only the in-memory store
     * honours it.
     */
    PURGE_THROUGH_COMPACT_REVISION,
    /**
     * Transactions: the compares of a transaction are evaluated against the stored state only, not the
     * changes of the earlier entries of the same apply batch, so a compare-and-set right behind a write
     * to its key sees the value before that write.
     */
    TXN_COMPARES_IGNORE_BATCH,
    /**
     * Transactions: a read-only transaction reads the revision before the applied index (an off-by-one),
     * so it can miss the write acknowledged just before it.
     */
    READ_TXN_ONE_REVISION_BEHIND,
    /**
     * Idempotency: a snapshot's image leaves the idempotency table out, so a node rebuilt from it applies
     * a retried write again. Only the in-memory store honours it.
     */
    DEDUP_NOT_IN_SNAPSHOT,
    /**
     * Leases: a new leader does not extend the leases it takes over; it counts their TTL as spent under
     * the old leader and expires them at once, keys that were just kept alive included.
     */
    LEASES_NOT_EXTENDED_ON_ELECTION,
    /**
     * The state machine's cache of recently stored entries ({@code io.rafty.kv.RecentWrites}) is kept when
     * a snapshot install or a restart replaces the store under it, so a write after the install reads a
     * key's entry as it was before: a wrong version, create revision or {@code prev}, or a delete of a key
     * the install had already removed.
     */
    RECENT_WRITES_KEPT_ACROSS_INSTALL
}
