package io.rafty.node;

/**
 * What the Raft verticle reports as it carries out the driver's work, for the node's metrics. Only the
 * production host calls it; the driver and the simulator know nothing of it, so recording can change
 * neither the order of events nor a seed's randomness. {@link #NONE} records nothing (metrics off).
 *
 * <p>Each method says the thread it is called on; an implementation must be safe to read from any
 * other (a scrape runs on a worker).
 */
public interface NodeMetrics {

    NodeMetrics NONE = new NodeMetrics() {
    };

    /** A synced write of the log and hard state took {@code nanos} (the persist worker). */
    default void logSynced(long nanos) {
    }

    /** The state machine applied one batch in {@code nanos} (the apply worker). */
    default void batchApplied(long nanos) {
    }

    /** A client's write reached the driver (the Raft context). */
    default void proposalStarted() {
    }

    /** That write was answered: applied, or failed with {@link RequestFailure} (the Raft context). */
    default void proposalFinished(boolean failed) {
    }

    /** The leader this node knows became another node (not: became unknown) (the Raft context). */
    default void leaderChanged() {
    }
}
