package io.rafty.kv;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The rules of {@code Idempotency-Key} (DESIGN §4): what a key may be, and what makes two requests
 * "the same request". The first write made with a key applies and its result is kept
 * ({@link Dedup}); a later write with the same key and the same request is answered with that result
 * and applies nothing; one with the same key and another request is refused. The state machine
 * decides this as it applies, so every node decides alike, whichever node the retry reached.
 */
public final class Idempotency {

    /** The longest key, in bytes. */
    public static final int MAX_KEY_BYTES = 128;

    private Idempotency() {
    }

    /** Why {@code key} is not a valid idempotency key (1–128 printable ASCII bytes), or null. */
    public static String problem(String key) {
        if (key.isEmpty() || key.length() > MAX_KEY_BYTES) {
            return "the Idempotency-Key must be 1-" + MAX_KEY_BYTES + " bytes, was " + key.length();
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return "the Idempotency-Key must be printable ASCII; character " + i + " is not";
            }
        }
        return null;
    }

    /**
     * The request a write stands for: a SHA-256 of its command's encoding, which is canonical (every
     * command has one encoding), so a retry of the same request through any node gives the same bytes,
     * and any difference in key, value, precondition or transaction gives others.
     */
    public static byte[] fingerprint(Command command) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(CommandCodec.encode(command));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
