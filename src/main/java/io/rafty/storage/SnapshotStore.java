package io.rafty.storage;

import io.rafty.raft.SnapshotMeta;
import java.util.Iterator;

/**
 * Snapshots of the state machine, over the same storage as the log and the kv store. Blocking: call
 * from worker threads.
 *
 * <p>Rafty's snapshot is not a separate file: the kv and history column families <em>are</em> the
 * state machine image ({@link ImageRecord}: compact revision, current entries, kept history). Taking a snapshot means making it durable through its applied index
 * ({@link #syncStateMachine()}) so the log before that index can go; shipping one means iterating a
 * consistent view of it ({@link #openImage()}); receiving one means replacing it, with the log, in
 * one atomic write ({@link #install}).
 */
public interface SnapshotStore {

    /** Makes every state-machine write so far durable; returns the applied index it covers. */
    long syncStateMachine();

    /** A consistent, read-only view of the state machine as of now. Close it to release it. */
    StateImage openImage();

    /**
     * Atomically replaces the state machine with {@code records} (applied through
     * {@code meta.index()}), empties the log so it starts after {@code meta}'s index and term, and
     * records {@code meta.membership()}. A crash leaves either the old state or the new one.
     */
    void install(SnapshotMeta meta, Iterator<ImageRecord> records);

    /** A point-in-time view of the state machine. */
    interface StateImage extends AutoCloseable {

        /** The index of the last entry the image reflects. */
        long appliedIndex();

        /** Every record, in the order {@link ImageRecord} describes. */
        Iterator<ImageRecord> records();

        @Override
        void close();
    }
}
