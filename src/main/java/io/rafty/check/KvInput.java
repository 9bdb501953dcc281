package io.rafty.check;

import java.util.Objects;

/**
 * What a client asked the store to do to one key. Values are strings; {@code null} means "absent".
 */
public sealed interface KvInput {

    String key();

    /** Whether {@code output} is the kind of answer this input can produce. */
    boolean accepts(KvOutput output);

    /** A short readable form without the key, e.g. {@code cas("a" -> "b")}. */
    String describe();

    /** Set {@code key} to {@code value} unconditionally. */
    record Put(String key, String value) implements KvInput {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean accepts(KvOutput output) {
            return output instanceof KvOutput.PutOk;
        }

        @Override
        public String describe() {
            return "put(" + quote(value) + ")";
        }
    }

    /** Read {@code key}. */
    record Get(String key) implements KvInput {
        public Get {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean accepts(KvOutput output) {
            return output instanceof KvOutput.GetResult;
        }

        @Override
        public String describe() {
            return "get()";
        }
    }

    /** Remove {@code key}; reports whether it existed. */
    record Delete(String key) implements KvInput {
        public Delete {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public boolean accepts(KvOutput output) {
            return output instanceof KvOutput.DeleteResult;
        }

        @Override
        public String describe() {
            return "delete()";
        }
    }

    /**
     * Set {@code key} to {@code newValue} only if it currently holds {@code expectedValue}
     * ({@code null} expects the key to be absent).
     */
    record Cas(String key, String expectedValue, String newValue) implements KvInput {
        public Cas {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(newValue, "newValue");
        }

        @Override
        public boolean accepts(KvOutput output) {
            return output instanceof KvOutput.CasResult;
        }

        @Override
        public String describe() {
            return "cas(" + quote(expectedValue) + " -> " + quote(newValue) + ")";
        }
    }

    static KvInput put(String key, String value) {
        return new Put(key, value);
    }

    static KvInput get(String key) {
        return new Get(key);
    }

    static KvInput delete(String key) {
        return new Delete(key);
    }

    static KvInput cas(String key, String expectedValue, String newValue) {
        return new Cas(key, expectedValue, newValue);
    }

    static String quote(String value) {
        return value == null ? "absent" : "\"" + value + "\"";
    }
}
