package io.rafty.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for nodes and proxies, taken from below the kernel's ephemeral range (Linux: 32768-60999).
 *
 * <p>A node restarted after SIGKILL must get its old port back. A port picked by binding port 0 lies
 * in the ephemeral range, where any of the thousands of outgoing connections a run opens may take it
 * as its local port while the node is down — the restart then fails with "address already in use"
 * (seen once in a 5-node run). Below that range only explicit binds compete.
 */
final class Ports {

    private static final int FIRST = 20_000;
    private static final int LAST = 32_000;
    private static final AtomicInteger next = new AtomicInteger(
            FIRST + ThreadLocalRandom.current().nextInt((LAST - FIRST) / 2));

    private Ports() {
    }

    /** A loopback port that was free a moment ago and is outside the ephemeral range. */
    static int take() throws IOException {
        for (int attempt = 0; attempt < LAST - FIRST; attempt++) {
            int port = next.getAndUpdate(p -> p + 1 >= LAST ? FIRST : p + 1);
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException inUse) {
                // Taken by someone else; try the next one.
            }
        }
        throw new IOException("no free port in " + FIRST + ".." + LAST);
    }
}
