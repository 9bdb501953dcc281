package io.rafty.kv;

/**
 * A replicated write. Commands are encoded into log entry payloads by {@link CommandCodec} and
 * applied in log order by {@link KvStateMachine}.
 */
public sealed interface Command permits Command.Put, Command.Delete {

    byte[] key();

    Precondition precondition();

    /** Set {@code key} to {@code value} if the precondition holds. */
    record Put(byte[] key, byte[] value, Precondition precondition) implements Command {
    }

    /** Remove {@code key} if it exists and the precondition holds. */
    record Delete(byte[] key, Precondition precondition) implements Command {
    }
}
