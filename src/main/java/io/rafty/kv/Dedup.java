package io.rafty.kv;

import java.util.Objects;

/**
 * One entry of the idempotency table: the first write made with an {@code Idempotency-Key}, applied
 * at {@code revision}, with a fingerprint of the request ({@link Idempotency#fingerprint}) and the
 * result it had ({@link ResultCodec}). It counts for entries below {@code expiry} (the revision plus
 * the window its command carried) and is removed by the purge afterwards. Replicated like everything
 * the state machine holds, and carried in snapshots.
 */
public record Dedup(byte[] key, long revision, long expiry, byte[] fingerprint, byte[] result) {

    public Dedup {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(result, "result");
    }
}
