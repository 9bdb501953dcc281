package io.rafty.check;

import java.util.Objects;

/**
 * How a recorded operation ended, from the client's point of view.
 *
 * <ul>
 *   <li>{@link Ok}: the store answered; the operation took effect exactly once, between invocation
 *       and completion, and {@link Ok#output()} is what it observed. A failed compare-and-set (412)
 *       or a delete of a missing key (404) is an {@code Ok} with that output.</li>
 *   <li>{@link Fail}: the operation definitely did not take effect (e.g. 503 no_leader before
 *       proposing). The checker drops it.</li>
 *   <li>{@link Unknown}: a timeout or 504; the operation may have taken effect at any moment after
 *       its invocation, or never, and nothing it observed is known.</li>
 * </ul>
 */
public sealed interface Outcome {

    record Ok(KvOutput output) implements Outcome {
        public Ok {
            Objects.requireNonNull(output, "output");
        }
    }

    record Fail() implements Outcome {
    }

    record Unknown() implements Outcome {
    }

    static Outcome ok(KvOutput output) {
        return new Ok(output);
    }

    static Outcome fail() {
        return new Fail();
    }

    static Outcome unknown() {
        return new Unknown();
    }
}
