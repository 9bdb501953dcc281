package io.rafty.sim;

import io.rafty.check.KvInput;
import java.util.Objects;

/**
 * One operation of a {@link TxnInput} branch. A branch applies its operations in order, so a
 * {@link Get} sees the effect of earlier operations of the same branch.
 */
public sealed interface TxnOp {

    String key();

    /** A short readable form, e.g. {@code put t0="b"}. */
    String describe();

    /** Set {@code key} to {@code value}. */
    record Put(String key, String value) implements TxnOp {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String describe() {
            return "put " + key + "=" + KvInput.quote(value);
        }
    }

    /** Remove {@code key}; a no-op when it is absent (a transaction reports nothing about it). */
    record Delete(String key) implements TxnOp {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String describe() {
            return "delete " + key;
        }
    }

    /** Read {@code key} as of this point of the branch; the value lands in {@link TxnOutput#reads()}. */
    record Get(String key) implements TxnOp {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public String describe() {
            return "get " + key;
        }
    }
}
