package io.rafty.transport;

import java.util.function.LongConsumer;

/**
 * Observes the round trip of each peer batch, request sent to answer received, for the node's metrics.
 * {@link #NONE} records nothing (metrics off, tests).
 */
@FunctionalInterface
public interface PeerRoundTrips {

    PeerRoundTrips NONE = peer -> nanos -> { };

    /**
     * The recorder of round trips to {@code peer}, asked for once per peer, so that a batch's answer costs a
     * call and no lookup. It is called on the peer client's event loop with the round trip in nanoseconds.
     */
    LongConsumer toPeer(int peer);
}
