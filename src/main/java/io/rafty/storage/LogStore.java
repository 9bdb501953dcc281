package io.rafty.storage;

import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.util.List;

/**
 * The durable Raft log and hard state of one node. Blocking: call from a worker thread.
 * Every method either succeeds or throws {@link StorageException}; there is no "false" failure.
 */
public interface LogStore extends AutoCloseable {

    /**
     * A random id drawn when this storage was created and kept for its life: a node whose disk was
     * replaced comes back with another one, which is how its leader notices (never 0).
     */
    long storageId();

    /** The hard state last saved, or {@link HardState#INITIAL}. */
    HardState hardState();

    /** The membership last saved, or null when none was ever saved. */
    Membership membership();

    /** Every stored entry, in index order, contiguous from {@link #logStartIndex()} + 1. */
    List<Entry> entries();

    /** The index just before the first stored entry: 0 until a compaction or snapshot install. */
    long logStartIndex();

    /** The term of the entry at {@link #logStartIndex()} (0 when that is 0). */
    long logStartTerm();

    /**
     * Durably removes every entry through {@code throughIndex}, remembering its term as the new log
     * start. The caller guarantees the state machine holds their effect durably.
     */
    void compact(long throughIndex);

    /** The index of the last stored entry, or 0. */
    long lastIndex();

    /**
     * In one synced, atomic write: removes every stored entry whose index is at or after
     * {@code entries.get(0).index()} (conflict truncation), appends {@code entries}, and saves
     * {@code hardState} when it is not null. {@code entries} must be contiguous and start no later
     * than {@code lastIndex() + 1}.
     *
     * @throws IllegalArgumentException when {@code entries} are not contiguous or would leave a gap
     *                                  after {@code lastIndex()}; nothing is written then
     * @throws StorageException         when the write fails
     */
    void save(HardState hardState, List<Entry> entries);

    /** Durably records the cluster membership. */
    void saveMembership(Membership membership);

    @Override
    void close();
}
