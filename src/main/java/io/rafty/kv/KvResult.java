package io.rafty.kv;

import java.util.List;

/** The outcome of applying one {@link Command} at log index {@code index}. */
public sealed interface KvResult {

    /**
     * Which result this is; callers switch on it (a switch expression over an enum is exhaustive in
     * Java 17, a chain of {@code instanceof} is not), so a new result does not compile until each
     * caller says how to answer it.
     */
    enum Kind {
        WRITTEN, DELETED, NOT_FOUND, COMPARE_FAILED, COMPACTED, COMPACT_REFUSED, TXN_DONE, REPLAYED,
        IDEMPOTENCY_KEY_REUSED, LEASE_GRANTED, LEASE_EXISTS, LEASE_NOT_FOUND, LEASE_REVOKED, LEASE_CHECKPOINTED,
        TXN_INVALID, TXN_KEY_NOT_FOUND, TXN_REVISION_UNAVAILABLE, AUTH_CHANGED
    }

    Kind kind();

    long index();

    /** The changes this command made, in the order a watcher sees them (empty when it changed nothing). */
    default List<Event> events() {
        return List.of();
    }

    /** A put took effect; {@code entry} is the key's new state, {@code prev} its state before (null: absent). */
    record Written(long index, KvEntry entry, KvEntry prev) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.WRITTEN;
        }

        @Override
        public List<Event> events() {
            return List.of(Event.put(entry, prev));
        }
    }

    /** A delete took effect; {@code revision} is the index of the delete, {@code prev} the key's state before. */
    record Deleted(long index, byte[] key, long revision, KvEntry prev) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.DELETED;
        }

        @Override
        public List<Event> events() {
            return List.of(Event.delete(key, revision, prev));
        }
    }

    /** A delete of a key that does not exist (and whose precondition, if any, held). */
    record NotFound(long index, byte[] key) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.NOT_FOUND;
        }
    }

    /** A precondition failed; {@code current} is the key's state, or null when it does not exist. */
    record CompareFailed(long index, byte[] key, KvEntry current) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.COMPARE_FAILED;
        }
    }

    /** The history before {@code compactRevision} is discarded from now on. */
    record Compacted(long index, long compactRevision) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.COMPACTED;
        }
    }

    /**
     * A compaction that could not be done: {@code revision} was already compacted (at or below
     * {@code compactRevision}), or is beyond the revision the store had reached ({@code currentRevision}).
     */
    record CompactRefused(long index, long revision, long compactRevision, long currentRevision,
                          RevisionUnavailableException.Reason reason) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.COMPACT_REFUSED;
        }
    }

    /** A transaction ran at revision {@code index} (also when it took the failure branch). */
    record TxnDone(long index, TxnRunner.Outcome outcome) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.TXN_DONE;
        }

        @Override
        public List<Event> events() {
            return outcome.events();
        }
    }

    /**
     * An idempotent write whose key was already in the table with the same request: it applied
     * nothing, and {@code original} is the first attempt's result (its index is that attempt's revision).
     */
    record Replayed(long index, KvResult original) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.REPLAYED;
        }
    }

    /** An idempotent write whose key was already used, at {@code firstRevision}, for another request. */
    record IdempotencyKeyReused(long index, byte[] key, long firstRevision) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.IDEMPOTENCY_KEY_REUSED;
        }
    }

    /** Lease {@code lease} was granted. */
    record LeaseGranted(long index, Lease lease) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.LEASE_GRANTED;
        }
    }

    /** A grant of an id that is taken. */
    record LeaseExists(long index, long id) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.LEASE_EXISTS;
        }
    }

    /**
     * A write (or a revoke) named lease {@code id}, which does not exist: nothing changed. {@code key}
     * is the key a put would have attached, or null.
     */
    record LeaseNotFound(long index, long id, byte[] key) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.LEASE_NOT_FOUND;
        }
    }

    /** Lease {@code id} ended; {@code deletes} are its keys' deletions, all at this revision, in key order. */
    record LeaseRevoked(long index, long id, List<Event> deletes) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.LEASE_REVOKED;
        }

        @Override
        public List<Event> events() {
            return deletes;
        }
    }

    /** The remaining times of {@code leases} leases were noted. */
    record LeaseCheckpointed(long index, int leases) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.LEASE_CHECKPOINTED;
        }
    }

    /** A committed transaction that breaks {@link Txn}'s rules ({@code problem}); it changed nothing. */
    record TxnInvalid(long index, String problem) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.TXN_INVALID;
        }
    }

    /**
     * A transaction that did nothing because a put keeping a key's value or lease (etcd's
     * {@code ignore_value} / {@code ignore_lease}) found no {@code key}.
     */
    record TxnKeyNotFound(long index, byte[] key) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.TXN_KEY_NOT_FOUND;
        }
    }

    /**
     * A transaction that did nothing because one of its gets asked for {@code revision}, which is compacted
     * ({@code compactRevision}) or not before the transaction's own ({@code currentRevision} is the last
     * one it could read).
     */
    record TxnRevisionUnavailable(long index, RevisionUnavailableException.Reason reason, long revision,
                                  long compactRevision, long currentRevision) implements KvResult {

        @Override
        public Kind kind() {
            return Kind.TXN_REVISION_UNAVAILABLE;
        }

        /** The refusal as the exception a read at that revision throws. */
        public RevisionUnavailableException exception() {
            return new RevisionUnavailableException(reason, revision, compactRevision, currentRevision);
        }
    }

    /**
     * An auth change applied ({@code error} null) or refused with a stable error code ({@code bad_request},
     * {@code user_not_found}, {@code role_not_found}) and a message; refused, it changed nothing.
     */
    record AuthChanged(long index, String error, String message) implements KvResult {
        @Override
        public Kind kind() {
            return Kind.AUTH_CHANGED;
        }
    }
}
