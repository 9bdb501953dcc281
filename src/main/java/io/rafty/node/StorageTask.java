package io.rafty.node;

import io.rafty.kv.KeySelector;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.KvStore;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.SnapshotMeta;
import io.rafty.storage.SnapshotStaging;
import java.util.List;

/**
 * A piece of blocking storage work the {@link NodeDriver} asks its host to carry out on one of its
 * {@link NodeDriver.Worker}s. The host runs the tasks of one worker one at a time, in the order given,
 * and reports each back with {@link NodeDriver#completed} (its result as the kind says) or
 * {@link NodeDriver#failed}. Which worker a task runs on is the driver's decision: it is what keeps the
 * state machine single-writer (applies and snapshot installs share one worker).
 */
public sealed interface StorageTask {

    /** Every kind of task; a host switches over it, so a new kind fails to compile until it is handled. */
    enum Kind {
        /** Save a Ready's hard state and entries in one synced write. Result: none. */
        PERSIST("persisting the log"),
        /** Save the configuration at the new log start, then drop the log through an index. Result: none. */
        COMPACT_LOG("compacting the log"),
        /** Apply committed entries to the state machine in one batch. Result: {@code List<KvResult>}. */
        APPLY("applying committed entries"),
        /**
         * Replace the state machine (and the log) with the staged snapshot. Result: the installed state's
         * compact revision, a {@code Long}.
         */
        INSTALL_SNAPSHOT("installing a snapshot"),
        /** Make the state machine durable through its applied index. Result: that index, a {@code Long}. */
        TAKE_SNAPSHOT("taking a snapshot"),
        /** Give compacted log files' space back to the disk. Result: none. */
        RECLAIM_LOG_SPACE("reclaiming compacted log space"),
        /** Forget a staged snapshot the core declined. Result: none. */
        DISCARD_STAGED_SNAPSHOT("discarding a declined snapshot"),
        /**
         * Read a page of history for a catching-up watcher. Result: the {@code KvStore.HistoryPage}, or the
         * {@code RevisionUnavailableException} that says it is compacted (an answer, not a failure).
         */
        READ_HISTORY("reading history for a watcher"),
        /** Remove history records below the compact revision, one bounded step. Result: the {@code Integer} the store returned. */
        PURGE_HISTORY("purging compacted history");

        private final String doing;

        Kind(String doing) {
            this.doing = doing;
        }
    }

    Kind kind();

    /** What the node was doing, for the line it logs if the task fails and fences it. */
    default String describe() {
        return kind().doing;
    }

    record Persist(HardState hardState, List<Entry> entries) implements StorageTask {
        public Persist {
            entries = List.copyOf(entries);
        }

        @Override
        public Kind kind() {
            return Kind.PERSIST;
        }
    }

    record CompactLog(Membership baseMembership, long throughIndex) implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.COMPACT_LOG;
        }
    }

    record Apply(List<Entry> entries) implements StorageTask {
        public Apply {
            entries = List.copyOf(entries);
        }

        @Override
        public Kind kind() {
            return Kind.APPLY;
        }
    }

    record InstallSnapshot(SnapshotMeta meta) implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.INSTALL_SNAPSHOT;
        }

        @Override
        public String describe() {
            return kind().doing + " through index " + meta.index();
        }
    }

    record TakeSnapshot() implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.TAKE_SNAPSHOT;
        }
    }

    record ReclaimLogSpace(long throughIndex) implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.RECLAIM_LOG_SPACE;
        }
    }

    /** Forgets the staged snapshot if it is still the declined one (leader, term, index, snapshot term). */
    record DiscardStagedSnapshot(int leader, long term, long index, long snapshotTerm) implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.DISCARD_STAGED_SNAPSHOT;
        }

        /** The staging area's name for the declined transfer. */
        public SnapshotStaging.TransferId transfer() {
            return new SnapshotStaging.TransferId(leader, term, index, snapshotTerm);
        }
    }

    /** A page of the history of {@code selector}'s keys, {@code from..to}, for watcher {@code watchId}. */
    record ReadHistory(long watchId, KeySelector selector, long from, long to, int maxEvents, boolean withPrev)
            implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.READ_HISTORY;
        }

        /**
         * Reads the page from {@code stateMachine}: the task's result, a {@link KvStore.HistoryPage}, or the
         * {@link RevisionUnavailableException} saying the range was compacted meanwhile (an answer for the
         * watcher, not a storage failure).
         */
        public Object readFrom(KvStateMachine stateMachine) {
            try {
                return stateMachine.history(selector, from, to, maxEvents, withPrev);
            } catch (RevisionUnavailableException e) {
                return e;
            }
        }
    }

    /** One step of the purge: at most {@code maxRecords} changes looked at. */
    record PurgeHistory(int maxRecords) implements StorageTask {
        @Override
        public Kind kind() {
            return Kind.PURGE_HISTORY;
        }
    }
}
