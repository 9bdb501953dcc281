package io.rafty.sim;

import io.rafty.check.KvInput;
import java.util.Objects;

/**
 * One guard of a {@link TxnInput}: holds when {@code key}'s current value equals {@code expected};
 * {@code expected == null} means "the key is absent". A transaction's guards are ANDed.
 */
public record TxnCompare(String key, String expected) {

    public TxnCompare {
        Objects.requireNonNull(key, "key");
    }

    /** E.g. {@code t0=="a"} or {@code t1==absent}. */
    public String describe() {
        return key + "==" + KvInput.quote(expected);
    }
}
