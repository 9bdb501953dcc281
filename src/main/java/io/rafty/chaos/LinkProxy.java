package io.rafty.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy for one directed peer link, node {@code from} to node {@code to}: node {@code from} is
 * told that {@code to} lives at {@link #port()}, and every byte it sends there is relayed to the real
 * port of {@code to}. The nemesis can break the link in four ways, each one realistic for TCP:
 *
 * <ul>
 *   <li>{@link Mode#CUT}: existing connections are reset, new ones are accepted and reset at once
 *       (the sender learns quickly that something is wrong, but not whether its request arrived).</li>
 *   <li>{@link Mode#STALL}: a black hole. Bytes are held, not dropped, and new connections are accepted
 *       but not relayed; when the link heals everything held is delivered in order, late. The sender
 *       only learns by its own timeouts. Held bytes are bounded, so a stalled sender is pushed back by TCP.</li>
 *   <li>{@link #delayMs}: every chunk is delivered that much later (latency, not a throughput cap).</li>
 *   <li>{@link #lossPercent}: each chunk, with that probability, resets its connection instead of
 *       being relayed; HTTP over TCP loses whole connections, not single bytes.</li>
 * </ul>
 *
 * <p>Threads: one acceptor, and per connection a reader and a writer thread in each direction; the
 * reader stamps each chunk with its delivery time, the writer waits for that time (and for a stall
 * to end) before writing. Only the {@code from -> to} direction of a link is ever broken; replies on
 * the same connection travel back unharmed, because the reverse link {@code to -> from} is a
 * different proxy with its own connections.
 */
final class LinkProxy implements AutoCloseable {

    enum Mode { PASS, CUT, STALL }

    private static final int CHUNK_BYTES = 16 * 1024;
    /** Chunks held per connection direction before the reader stops reading (backpressure). */
    private static final int HELD_CHUNKS_MAX = 256;
    private static final int CONNECT_TIMEOUT_MS = 1000;

    final int from;
    final int to;
    private final int targetPort;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Object stateLock = new Object();
    private volatile Mode mode = Mode.PASS;
    private volatile long delayMs;
    private volatile int lossPercent;
    private volatile boolean closed;

    LinkProxy(int from, int to, int targetPort) throws IOException {
        this.from = from;
        this.to = to;
        this.targetPort = targetPort;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), Ports.take()), 128);
        this.acceptor = new Thread(this::acceptLoop, "proxy-" + from + "->" + to);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    Mode mode() {
        return mode;
    }

    /** Back to a clean link: no cut, no stall, no delay, no loss. Held bytes flow again. */
    void heal() {
        delayMs = 0;
        lossPercent = 0;
        setMode(Mode.PASS);
    }

    void setMode(Mode newMode) {
        synchronized (stateLock) {
            mode = newMode;
            stateLock.notifyAll();
        }
        if (newMode == Mode.CUT) {
            for (Connection connection : connections) {
                connection.reset();
            }
        }
    }

    long delayMs() {
        return delayMs;
    }

    int lossPercent() {
        return lossPercent;
    }

    void setDelayMs(long delayMs) {
        this.delayMs = delayMs;
    }

    void setLossPercent(int lossPercent) {
        this.lossPercent = lossPercent;
    }

    @Override
    public void close() {
        closed = true;
        synchronized (stateLock) {
            stateLock.notifyAll();
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // Closing anyway.
        }
        for (Connection connection : connections) {
            connection.reset();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (mode == Mode.CUT) {
                resetQuietly(client);
                continue;
            }
            Thread starter = new Thread(() -> open(client), "proxy-" + from + "->" + to + "-open");
            starter.setDaemon(true);
            starter.start();
        }
    }

    /** Connects upstream (after a stall, if one is in force) and starts relaying. */
    private void open(Socket client) {
        try {
            awaitNotStalled();
            if (closed || mode == Mode.CUT) {
                resetQuietly(client);
                return;
            }
            Socket upstream = new Socket();
            upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), CONNECT_TIMEOUT_MS);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
            Connection connection = new Connection(client, upstream);
            connections.add(connection);
            connection.start();
        } catch (IOException | InterruptedException e) {
            // The target is down (killed or not yet restarted): the sender sees its connection drop.
            resetQuietly(client);
        }
    }

    private void awaitNotStalled() throws InterruptedException {
        synchronized (stateLock) {
            while (mode == Mode.STALL && !closed) {
                stateLock.wait();
            }
        }
    }

    private static void resetQuietly(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // Already closed.
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // Already closed.
        }
    }

    private record Chunk(long deliverAtNanos, byte[] bytes) {
        static final Chunk END = new Chunk(0, new byte[0]);
    }

    /** One proxied TCP connection: client (node {@code from}) to upstream (node {@code to}). */
    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        private volatile boolean dead;

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() throws IOException {
            // Only the request direction suffers the link's faults; the reply direction is a plain pipe
            // because the reverse link is a separate proxy with its own connections.
            pipe(client.getInputStream(), upstream.getOutputStream(), true, "req");
            pipe(upstream.getInputStream(), client.getOutputStream(), false, "resp");
        }

        private void pipe(InputStream in, OutputStream out, boolean faulty, String name) {
            BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(HELD_CHUNKS_MAX);
            Thread reader = new Thread(() -> read(in, queue, faulty), "proxy-" + from + "->" + to + "-" + name + "-r");
            Thread writer = new Thread(() -> write(out, queue, faulty), "proxy-" + from + "->" + to + "-" + name + "-w");
            reader.setDaemon(true);
            writer.setDaemon(true);
            reader.start();
            writer.start();
        }

        private void read(InputStream in, BlockingQueue<Chunk> queue, boolean faulty) {
            byte[] buffer = new byte[CHUNK_BYTES];
            try {
                while (!dead) {
                    int n = in.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    if (faulty && lossPercent > 0 && ThreadLocalRandom.current().nextInt(100) < lossPercent) {
                        reset();
                        return;
                    }
                    long delayNanos = faulty ? TimeUnit.MILLISECONDS.toNanos(delayMs) : 0;
                    queue.put(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                }
                queue.put(Chunk.END);
            } catch (IOException | InterruptedException e) {
                reset();
            }
        }

        private void write(OutputStream out, BlockingQueue<Chunk> queue, boolean faulty) {
            try {
                while (!dead) {
                    Chunk chunk = queue.poll(1, TimeUnit.SECONDS);
                    if (chunk == null) {
                        continue;
                    }
                    if (chunk == Chunk.END) {
                        if (faulty) {
                            awaitNotStalled();
                        }
                        break;
                    }
                    // The chunk's own delivery time: a delay set later does not reorder earlier chunks.
                    long waitNanos;
                    while ((waitNanos = chunk.deliverAtNanos() - System.nanoTime()) > 0 && !dead) {
                        LockSupport.parkNanos(waitNanos);
                    }
                    if (faulty) {
                        awaitNotStalled();
                    }
                    if (dead) {
                        return;
                    }
                    out.write(chunk.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // Falls through to the close below.
            }
            // One side finished or failed: HTTP keep-alive connections have nothing useful half-open.
            reset();
        }

        void reset() {
            if (dead) {
                return;
            }
            dead = true;
            connections.remove(this);
            resetQuietly(client);
            resetQuietly(upstream);
        }
    }
}
