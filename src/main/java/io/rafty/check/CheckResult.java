package io.rafty.check;

import java.util.List;

/**
 * The checker's answer for a whole history, with one {@link KeyResult} per key.
 *
 * <p>The overall verdict is {@code NOT_LINEARIZABLE} if any key is, else {@code UNKNOWN} if any
 * key's search ran out of budget, else {@code LINEARIZABLE}. {@code UNKNOWN} is not a pass.
 */
public record CheckResult(Verdict verdict, List<KeyResult> keys) {

    public enum Verdict {
        LINEARIZABLE("linearizable"),
        NOT_LINEARIZABLE("not linearizable"),
        UNKNOWN("unknown (budget exceeded)");

        private final String description;

        Verdict(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /**
     * The verdict for one key's sub-history.
     *
     * @param operationCount operations searched (FAILed ops and unknown reads are dropped first)
     * @param searchSteps    steps spent, to compare against the {@link Budget}
     * @param explanation    one line when linearizable; the failing prefix and operation otherwise
     */
    public record KeyResult(String key, Verdict verdict, int operationCount, long searchSteps, String explanation) {
    }

    public CheckResult {
        keys = List.copyOf(keys);
    }

    static CheckResult of(List<KeyResult> keys) {
        boolean anyUnknown = false;
        for (KeyResult key : keys) {
            if (key.verdict() == Verdict.NOT_LINEARIZABLE) {
                return new CheckResult(Verdict.NOT_LINEARIZABLE, keys);
            }
            anyUnknown |= key.verdict() == Verdict.UNKNOWN;
        }
        return new CheckResult(anyUnknown ? Verdict.UNKNOWN : Verdict.LINEARIZABLE, keys);
    }

    public boolean isLinearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    public KeyResult key(String key) {
        return keys.stream()
                .filter(result -> result.key().equals(key))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no operations on key " + key));
    }

    /** The verdict, then the explanation of every key that did not pass; suitable for an assertion message. */
    public String explanation() {
        StringBuilder text = new StringBuilder("History is ").append(verdict.description())
                .append(" (").append(keys.size()).append(" keys)");
        for (KeyResult key : keys) {
            if (key.verdict() != Verdict.LINEARIZABLE) {
                text.append('\n').append(key.explanation());
            }
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return explanation();
    }
}
