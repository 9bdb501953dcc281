package io.rafty.check;

import java.time.Duration;

/**
 * How much work the checker may do before giving up with {@link CheckResult.Verdict#UNKNOWN}.
 *
 * <p>Linearizability checking is NP-complete, so a pathological history could otherwise hang CI.
 * {@code maxStepsPerKey} bounds each key's search (one step is one attempt to place or undo an
 * operation; the memo cache grows by at most one entry per step, so this also bounds memory) and is
 * deterministic, which is what the simulator wants. {@code maxDuration}, when not null, bounds the
 * whole check by wall-clock time, for fault tests that care more about CI time than reproducibility.
 */
public record Budget(long maxStepsPerKey, Duration maxDuration) {

    /**
     * About a second of search per key. A linearizable key history of a few thousand operations
     * from ~10 clients takes ~10-200 thousand steps; a non-linearizable one must be searched
     * exhaustively up to the violation, and with many timed-out writes before it that can take
     * longer than this, in which case the verdict is UNKNOWN rather than a pass.
     */
    public static final long DEFAULT_MAX_STEPS_PER_KEY = 10_000_000;

    public static final Budget DEFAULT = new Budget(DEFAULT_MAX_STEPS_PER_KEY, null);

    public Budget {
        if (maxStepsPerKey <= 0) {
            throw new IllegalArgumentException("maxStepsPerKey must be positive: " + maxStepsPerKey);
        }
        if (maxDuration != null && maxDuration.isNegative()) {
            throw new IllegalArgumentException("maxDuration must not be negative: " + maxDuration);
        }
    }

    public static Budget steps(long maxStepsPerKey) {
        return new Budget(maxStepsPerKey, null);
    }

    public static Budget of(long maxStepsPerKey, Duration maxDuration) {
        return new Budget(maxStepsPerKey, maxDuration);
    }
}
