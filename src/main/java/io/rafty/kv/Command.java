package io.rafty.kv;

import java.util.List;

/**
 * A replicated write. Commands are encoded into log entry payloads by {@link CommandCodec} and
 * applied in log order by {@link KvStateMachine}; {@link #kind()} lets code dispatch over every
 * kind exhaustively.
 */
public sealed interface Command permits Command.KeyCommand, Command.Compact, Command.Transaction, Command.Idempotent,
        Command.LeaseGrant, Command.LeaseRevoke, Command.LeaseCheckpoint, Command.Auth {

    /** Every kind of command, for exhaustive switches. */
    enum Kind { PUT, DELETE, COMPACT, TXN, IDEMPOTENT, LEASE_GRANT, LEASE_REVOKE, LEASE_CHECKPOINT, AUTH }

    Kind kind();

    /** A command on one key, guarded by a precondition. */
    sealed interface KeyCommand extends Command permits Put, Delete {

        byte[] key();

        Precondition precondition();
    }

    /** Set {@code key} to {@code value}, attached to {@code lease} (0: none), if the precondition holds. */
    record Put(byte[] key, byte[] value, Precondition precondition, long lease) implements KeyCommand {

        public Put(byte[] key, byte[] value, Precondition precondition) {
            this(key, value, precondition, 0);
        }

        @Override
        public Kind kind() {
            return Kind.PUT;
        }
    }

    /** Remove {@code key} if it exists and the precondition holds. */
    record Delete(byte[] key, Precondition precondition) implements KeyCommand {
        @Override
        public Kind kind() {
            return Kind.DELETE;
        }
    }

    /**
     * Discard the history before {@code revision}: afterwards reads at revisions below it, and watches
     * starting below it, are refused as compacted. Applied on every node at the same log index, so
     * every node refuses the same revisions; the records themselves are removed in the background.
     */
    record Compact(long revision) implements Command {
        @Override
        public Kind kind() {
            return Kind.COMPACT;
        }
    }

    /** Run {@code txn} (a transaction that writes) at this entry's revision; see {@link Txn}. */
    record Transaction(Txn txn) implements Command {
        @Override
        public Kind kind() {
            return Kind.TXN;
        }
    }

    /**
     * A client write made with an idempotency key ({@link Idempotency}): {@code write} applies unless
     * the key is already in the idempotency table, whose entry then answers it. The entry it leaves
     * counts for {@code windowRevisions} revisions: the window is in the command, so every node keeps
     * the same one, whatever its own configuration.
     */
    record Idempotent(byte[] key, long windowRevisions, Command write) implements Command {
        public Idempotent {
            java.util.Objects.requireNonNull(key, "key");
            if (windowRevisions < 1) {
                throw new IllegalArgumentException("an idempotency window must be positive: " + windowRevisions);
            }
            if (!(write instanceof KeyCommand || write instanceof Transaction || write instanceof LeaseGrant
                    || write instanceof LeaseRevoke)) {
                throw new IllegalArgumentException("only a put, a delete, a transaction, a lease grant or a revoke takes"
                        + " an idempotency key");
            }
        }

        @Override
        public Kind kind() {
            return Kind.IDEMPOTENT;
        }
    }

    /** Create lease {@code id} (0: the entry's index is its id) with a TTL of {@code ttlSeconds}. */
    record LeaseGrant(long id, long ttlSeconds) implements Command {
        public LeaseGrant {
            if (id < 0 || ttlSeconds <= 0) {
                throw new IllegalArgumentException("lease id " + id + ", ttl " + ttlSeconds);
            }
        }

        @Override
        public Kind kind() {
            return Kind.LEASE_GRANT;
        }
    }

    /**
     * End lease {@code id}: every key attached to it is deleted, all at this entry's revision. A client's
     * revoke, or the leader's when the lease expired.
     */
    record LeaseRevoke(long id) implements Command {
        @Override
        public Kind kind() {
            return Kind.LEASE_REVOKE;
        }
    }

    /**
     * The leader's note of how long each lease had left ({@link Lease#remainingMs}; {@link Lease#NO_CHECKPOINT}
     * clears it after a keepalive), so that a new leader does not start every lease over.
     */
    record LeaseCheckpoint(List<Lease> remaining) implements Command {
        public LeaseCheckpoint {
            remaining = List.copyOf(remaining);
        }

        @Override
        public Kind kind() {
            return Kind.LEASE_CHECKPOINT;
        }
    }

    /** A change of the replicated auth table ({@link AuthState}); see {@link AuthChange}. */
    record Auth(AuthChange change) implements Command {
        public Auth {
            java.util.Objects.requireNonNull(change, "change");
        }

        @Override
        public Kind kind() {
            return Kind.AUTH;
        }
    }
}
