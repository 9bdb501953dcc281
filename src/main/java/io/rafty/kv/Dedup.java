package io.rafty.kv;

import java.util.Objects;

/**
 * One entry of the idempotency table: the first write made with an {@code Idempotency-Key}, applied
 * at {@code revision}, with a fingerprint of the request ({@link Idempotency#fingerprint}) and the
 * result it had ({@link ResultCodec}). Replicated like everything the state machine holds, carried in
 * snapshots, and dropped with the history: an entry below the compact revision no longer counts.
 */
public record Dedup(byte[] key, long revision, byte[] fingerprint, byte[] result) {

    public Dedup {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(result, "result");
    }
}
