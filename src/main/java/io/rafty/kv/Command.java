package io.rafty.kv;

/**
 * A replicated write. Commands are encoded into log entry payloads by {@link CommandCodec} and
 * applied in log order by {@link KvStateMachine}; {@link #kind()} lets code dispatch over every
 * kind exhaustively.
 */
public sealed interface Command permits Command.KeyCommand, Command.Compact, Command.Transaction, Command.Idempotent {

    /** Every kind of command, for exhaustive switches. */
    enum Kind { PUT, DELETE, COMPACT, TXN, IDEMPOTENT }

    Kind kind();

    /** A command on one key, guarded by a precondition. */
    sealed interface KeyCommand extends Command permits Put, Delete {

        byte[] key();

        Precondition precondition();
    }

    /** Set {@code key} to {@code value} if the precondition holds. */
    record Put(byte[] key, byte[] value, Precondition precondition) implements KeyCommand {
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
            if (!(write instanceof KeyCommand || write instanceof Transaction)) {
                throw new IllegalArgumentException("only a put, a delete or a transaction takes an idempotency key");
            }
        }

        @Override
        public Kind kind() {
            return Kind.IDEMPOTENT;
        }
    }
}
