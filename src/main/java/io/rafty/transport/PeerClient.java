package io.rafty.transport;

import io.rafty.raft.Entry;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.security.NodeTls;
import io.rafty.security.PeerAuth;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends Raft messages to peers as one-way batches: {@code POST /raft/messages}, binary body
 * ({@link MessageCodec}), answered 204. Raft responses travel as messages of their own, so a lost or
 * failed request is simply a lost message, which Raft tolerates and retries.
 *
 * <p>Per peer there is one keep-alive HTTP/1.1 connection with pipelining, so batches arrive in
 * order; at most {@code maxInflightRequests} are outstanding. Messages produced while the window is
 * full queue up and leave together in the next batch — the transport's share of group commit. The
 * queue is bounded by count ({@code maxQueuedMessages}) and by bytes ({@code maxQueuedBytes}, about
 * what the messages take on the wire): beyond either, new messages are dropped and counted, which
 * Raft tolerates like any lost message. Every batch carries this node's identity as it was at the
 * latest {@link #send}. With a cluster secret, every batch is signed ({@link PeerAuth}) for the peer it goes to.
 *
 * <p>Not thread-safe: call it from the Raft verticle's event loop only.
 */
public final class PeerClient {

    public static final String PATH = "/raft/messages";
    public static final String CONTENT_TYPE = "application/x-rafty-messages";
    private static final Logger LOG = Logger.getLogger(PeerClient.class.getName());

    /** Limits of the peer transport. */
    public record Limits(int maxInflightRequests, int maxQueuedMessages, long maxQueuedBytes, int maxBatchBytes,
                         int requestTimeoutMs) {
    }

    private final HttpClient client;
    private final Map<Integer, String> addresses;
    private final Limits limits;
    private final PeerRoundTrips roundTrips;
    /** Null: batches go unsigned (no cluster secret). */
    private final PeerAuth auth;
    private final Map<Integer, PeerQueue> queues = new HashMap<>();
    /** Parsed peer addresses, by base URL: a URL is parsed once, not for every batch. */
    private final Map<String, URI> parsedAddresses = new HashMap<>();
    private long droppedMessages;
    private long failedRequests;
    private boolean closed;
    private PeerIdentity identity = PeerIdentity.NONE;

    private static final class PeerQueue {
        final ArrayDeque<Message> pending = new ArrayDeque<>();
        final LongConsumer roundTrip;
        long pendingBytes;
        int inflight;
        boolean lastFailed;

        PeerQueue(LongConsumer roundTrip) {
            this.roundTrip = roundTrip;
        }
    }

    /**
     * @param addresses peer id → base URL ({@code http://host:port}); read at every send, so a test
     *                  may fill it in after the peers have bound their ephemeral ports
     */
    public PeerClient(Vertx vertx, Map<Integer, String> addresses, Limits limits) {
        this(vertx, addresses, limits, PeerRoundTrips.NONE, null);
    }

    /**
     * As {@link #PeerClient(Vertx, Map, Limits)}, reporting each answered batch's round trip to {@code roundTrips}
     * and signing every batch with {@code auth} (null: unsigned).
     */
    public PeerClient(Vertx vertx, Map<Integer, String> addresses, Limits limits, PeerRoundTrips roundTrips,
                      PeerAuth auth) {
        this(vertx, addresses, limits, roundTrips, auth, NodeTls.NONE);
    }

    /** As the other constructors, over peer TLS when {@code tls} has it ({@code https://} addresses). */
    public PeerClient(Vertx vertx, Map<Integer, String> addresses, Limits limits, PeerRoundTrips roundTrips,
                      PeerAuth auth, NodeTls tls) {
        this.roundTrips = roundTrips;
        this.auth = auth;
        this.addresses = addresses instanceof ConcurrentHashMap ? addresses : new ConcurrentHashMap<>(addresses);
        this.limits = limits;
        // The core HTTP client, not the Web client: a peer batch is a bare POST, and the Web client's
        // per-request interceptor chain showed as a tenth of a leader's CPU under read load.
        HttpClientOptions options = tls.peerClient(new HttpClientOptions())
                .setKeepAlive(true)
                .setPipelining(true)
                .setPipeliningLimit(limits.maxInflightRequests())
                .setConnectTimeout(limits.requestTimeoutMs())
                .setTcpNoDelay(true);
        this.client = QuietConnections.client(vertx, options, new PoolOptions().setHttp1MaxSize(1), "peer");
    }

    /** Queues {@code messages} for their peers; batches leave stamped with {@code sender}. */
    public void send(PeerIdentity sender, List<Message> messages) {
        if (closed) {
            return;
        }
        identity = sender;
        for (Message message : messages) {
            PeerQueue queue = queues.computeIfAbsent(message.to(), id -> new PeerQueue(roundTrips.toPeer(id)));
            long bytes = approximateBytes(message);
            if (queue.pending.size() >= limits.maxQueuedMessages()
                    || (!queue.pending.isEmpty() && queue.pendingBytes + bytes > limits.maxQueuedBytes())) {
                droppedMessages++;
                continue;
            }
            queue.pending.add(message);
            queue.pendingBytes += bytes;
        }
        for (Map.Entry<Integer, PeerQueue> entry : queues.entrySet()) {
            flush(entry.getKey(), entry.getValue());
        }
    }

    private void flush(int peer, PeerQueue queue) {
        while (queue.inflight < limits.maxInflightRequests() && !queue.pending.isEmpty()) {
            String base = addresses.get(peer);
            if (base == null) {
                droppedMessages += queue.pending.size();
                queue.pending.clear();
                queue.pendingBytes = 0;
                return;
            }
            URI address = parsedAddresses.computeIfAbsent(base, URI::create);
            List<Message> batch = takeBatch(queue);
            queue.inflight++;
            long sentNanos = System.nanoTime();
            RequestOptions request = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setHost(address.getHost())
                    .setPort(address.getPort())
                    .setSsl("https".equals(address.getScheme()))
                    .setURI(PATH)
                    .setTimeout(limits.requestTimeoutMs())
                    .putHeader("content-type", CONTENT_TYPE);
            byte[] bytes = MessageCodec.encode(identity, batch);
            if (auth != null) {
                auth.sign("POST", PATH, peer, Map.of(), bytes).forEach(request::putHeader);
            }
            Buffer body = Buffer.buffer(bytes);
            try {
                client.request(request)
                        .compose(sent -> sent.send(body))
                        .compose(response -> response.body().map(ignored -> response.statusCode()))
                        .onComplete(ar -> {
                            queue.inflight--;
                            boolean failed = ar.failed() || ar.result() / 100 != 2;
                            if (!failed) {
                                queue.roundTrip.accept(System.nanoTime() - sentNanos);
                            } else {
                                failedRequests++;
                                if (!queue.lastFailed) {
                                    LOG.log(Level.FINE, "peer " + peer + " unreachable: "
                                            + (ar.failed() ? ar.cause().getMessage() : "status " + ar.result()));
                                }
                            }
                            queue.lastFailed = failed;
                            flush(peer, queue);
                        });
            } catch (RuntimeException e) {
                // The client was closed under us (shutdown): the batch is simply lost, as on a network failure.
                queue.inflight--;
                failedRequests++;
                return;
            }
        }
    }

    private List<Message> takeBatch(PeerQueue queue) {
        List<Message> batch = new ArrayList<>();
        long bytes = 0;
        while (!queue.pending.isEmpty()) {
            long size = approximateBytes(queue.pending.peek());
            if (!batch.isEmpty() && bytes + size > limits.maxBatchBytes()) {
                break;
            }
            bytes += size;
            batch.add(queue.pending.poll());
        }
        queue.pendingBytes -= bytes;
        return batch;
    }

    /** About how many bytes a message takes on the wire: its entries' or commands' bytes plus a header. */
    static long approximateBytes(Message message) {
        long bytes = 64;
        if (message instanceof AppendEntries append) {
            for (Entry entry : append.entries()) {
                bytes += entry.sizeBytes();
            }
        } else if (message instanceof Propose propose) {
            for (byte[] payload : propose.payloads()) {
                bytes += payload.length + 4;
            }
        }
        return bytes;
    }

    public long droppedMessages() {
        return droppedMessages;
    }

    public long failedRequests() {
        return failedRequests;
    }

    public void close() {
        closed = true;
        client.close();
    }
}
