package io.rafty.raft.message;

import java.util.List;

/**
 * A follower forwards client commands to the leader over the peer channel instead of relaying the
 * client's HTTP request. {@code context} names the batch on the follower; the leader echoes it back in
 * a {@link ProposeResponse}.
 */
public record Propose(int from, int to, long term, long context, List<byte[]> payloads) implements Message {

    @Override
    public Kind kind() {
        return Kind.PROPOSE;
    }

    public Propose {
        payloads = List.copyOf(payloads);
    }

    /** Payload sizes only: byte arrays print as identity hashes, which would make traces differ between runs. */
    @Override
    public String toString() {
        return "Propose[from=" + from + ", to=" + to + ", term=" + term + ", context=" + context + ", payloads="
                + payloads.stream().map(p -> p.length + "B").toList() + "]";
    }
}
