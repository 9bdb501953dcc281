package io.rafty.kv;

/** The outcome of applying one {@link Command} at log index {@code index}. */
public sealed interface KvResult {

    long index();

    /** A put took effect; {@code entry} is the key's new state. */
    record Written(long index, KvEntry entry) implements KvResult {
    }

    /** A delete took effect; {@code revision} is the index of the delete. */
    record Deleted(long index, byte[] key, long revision) implements KvResult {
    }

    /** A delete of a key that does not exist (and whose precondition, if any, held). */
    record NotFound(long index, byte[] key) implements KvResult {
    }

    /** A precondition failed; {@code current} is the key's state, or null when it does not exist. */
    record CompareFailed(long index, byte[] key, KvEntry current) implements KvResult {
    }
}
