package io.rafty.transport;

import io.rafty.raft.PeerIdentity;
import io.rafty.raft.SnapshotMeta;
import io.rafty.storage.ImageRecord;
import io.rafty.storage.SnapshotStaging;
import io.rafty.storage.SnapshotStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.rafty.security.NodeTls;
import io.rafty.security.PeerAuth;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.zip.CRC32;

/**
 * Streams a state-machine image to a follower: {@code POST /raft/snapshot} chunk by chunk, each at
 * most {@code chunkBytes} (a single larger entry travels alone), the last one carrying the total size
 * and CRC-32. Chunks are produced on a worker from the image's iterator; a chunk that fails is
 * re-sent up to {@code maxChunkAttempts} times (the follower accepts a chunk it already holds), so a
 * lost chunk or acknowledgement does not restart the transfer.
 *
 * <p>With a cluster secret every chunk is signed on its own ({@link PeerAuth}: the query, the membership
 * header and the chunk's bytes, which the sender holds in memory anyway), so a retried chunk is signed
 * afresh and nothing beyond one chunk is ever buffered for the MAC.
 */
public final class SnapshotSender {

    public static final String PATH = "/raft/snapshot";
    /** The snapshot's membership, base64 of {@code Membership.encode()}. */
    public static final String MEMBERSHIP_HEADER = "x-rafty-membership";

    private final HttpClient client;
    /** Null: chunks go unsigned (no cluster secret). */
    private final PeerAuth auth;
    private final Map<Integer, String> addresses;
    private final int chunkBytes;
    private final int timeoutMs;
    private final int maxChunkAttempts;

    public SnapshotSender(Vertx vertx, Map<Integer, String> addresses, int chunkBytes, int timeoutMs,
                          int maxChunkAttempts) {
        this(vertx, addresses, chunkBytes, timeoutMs, maxChunkAttempts, null);
    }

    /** As the other constructor, signing every chunk with {@code auth} (null: unsigned). */
    public SnapshotSender(Vertx vertx, Map<Integer, String> addresses, int chunkBytes, int timeoutMs,
                          int maxChunkAttempts, PeerAuth auth) {
        this(vertx, addresses, chunkBytes, timeoutMs, maxChunkAttempts, auth, NodeTls.NONE);
    }

    /** As the other constructors, over peer TLS when {@code tls} has it ({@code https://} addresses). */
    public SnapshotSender(Vertx vertx, Map<Integer, String> addresses, int chunkBytes, int timeoutMs,
                          int maxChunkAttempts, PeerAuth auth, NodeTls tls) {
        this.auth = auth;
        this.addresses = addresses;
        this.chunkBytes = chunkBytes;
        this.timeoutMs = timeoutMs;
        this.maxChunkAttempts = maxChunkAttempts;
        // The core client, so that the request target on the wire is exactly the one signed.
        HttpClientOptions options = tls.peerClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout(timeoutMs));
        this.client = QuietConnections.client(vertx, options, new PoolOptions().setHttp1MaxSize(2), "snapshot");
    }

    /**
     * Where a transfer reads its chunks from the image: off the event loop, the future completing on the
     * caller's context. The node passes the worker that opened the image and closes it, so no read runs
     * once that worker is closed, and the storage is never closed under one.
     */
    @FunctionalInterface
    public interface ChunkReads {
        Future<byte[]> read(Callable<byte[]> read);
    }

    /**
     * Sends {@code image} (which {@code meta} describes) to {@code peer}, its chunks read through {@code reads};
     * completes when the last chunk is accepted. Every chunk carries {@code sender}, the leader's identity,
     * like a peer message batch.
     */
    public Future<Void> send(int self, int peer, long term, SnapshotMeta meta, SnapshotStore.StateImage image,
                             PeerIdentity sender, ChunkReads reads) {
        String base = addresses.get(peer);
        if (base == null) {
            return Future.failedFuture("no address for peer " + peer);
        }
        Transfer transfer = new Transfer(URI.create(base), peer, self, term, meta, image.records(), sender, reads);
        transfer.next();
        return transfer.done.future();
    }

    private final class Transfer {
        final URI base;
        final int peer;
        final int self;
        final long term;
        final SnapshotMeta meta;
        final Iterator<ImageRecord> entries;
        final Promise<Void> done = Promise.promise();
        final CRC32 crc = new CRC32();
        final PeerIdentity sender;
        final ChunkReads reads;
        long offset;

        Transfer(URI base, int peer, int self, long term, SnapshotMeta meta, Iterator<ImageRecord> entries,
                 PeerIdentity sender, ChunkReads reads) {
            this.sender = sender;
            this.reads = reads;
            this.base = base;
            this.peer = peer;
            this.self = self;
            this.term = term;
            this.meta = meta;
            this.entries = entries;
        }

        void next() {
            // A transfer reads its next chunk only once the last one is sent.
            reads.read(this::readChunk).onComplete(ar -> {
                if (ar.failed()) {
                    done.tryFail(ar.cause());
                    return;
                }
                byte[] chunk = ar.result();
                crc.update(chunk);
                boolean last = !entries.hasNext();
                post(chunk, last, 1);
            });
        }

        byte[] readChunk() {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(chunkBytes, 1 << 20));
            while (entries.hasNext() && out.size() < chunkBytes) {
                byte[] record = SnapshotStaging.encode(entries.next());
                out.write(record, 0, record.length);
            }
            return out.toByteArray();
        }

        void post(byte[] chunk, boolean last, int attempt) {
            StringBuilder target = new StringBuilder(PATH)
                    .append("?from=").append(self)
                    .append("&term=").append(term)
                    .append("&index=").append(meta.index())
                    .append("&snapshotTerm=").append(meta.term())
                    .append("&offset=").append(offset)
                    .append("&clusterId=").append(sender.clusterId())
                    .append("&storageId=").append(sender.storageId());
            if (last) {
                target.append("&last=true&totalBytes=").append(offset + chunk.length)
                        .append("&crc32=").append(crc.getValue());
            }
            String membership = Base64.getEncoder().encodeToString(meta.membership().encode());
            RequestOptions request = new RequestOptions()
                    .setMethod(HttpMethod.POST)
                    .setHost(base.getHost())
                    .setPort(base.getPort())
                    .setSsl("https".equals(base.getScheme()))
                    .setURI(target.toString())
                    .setTimeout(timeoutMs)
                    .putHeader("content-type", "application/octet-stream")
                    .putHeader(MEMBERSHIP_HEADER, membership);
            if (auth != null) {
                auth.sign("POST", target.toString(), peer, Map.of(MEMBERSHIP_HEADER, membership), chunk)
                        .forEach(request::putHeader);
            }
            Future<HttpClientRequest> opened;
            try {
                opened = client.request(request);
            } catch (IllegalStateException e) {
                // The client was closed under the transfer (the node stopping): it fails here, not in the caller.
                done.tryFail("snapshot chunk at offset " + offset + " not sent: " + e.getMessage());
                return;
            }
            opened.compose(sent -> sent.send(Buffer.buffer(chunk)))
                    .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body)))
                    .onComplete(ar -> {
                        if (ar.succeeded() && ar.result().status() == 204) {
                            offset += chunk.length;
                            if (last) {
                                done.tryComplete();
                            } else {
                                next();
                            }
                        } else if (attempt < maxChunkAttempts && (ar.failed() || ar.result().status() >= 500)) {
                            post(chunk, last, attempt + 1);
                        } else {
                            done.tryFail("snapshot chunk at offset " + offset + " failed: "
                                    + (ar.failed() ? ar.cause().getMessage() : ar.result().status() + " "
                                    + ar.result().body()));
                        }
                    });
        }
    }

    private record Answer(int status, Buffer body) {
    }

    public void close() {
        client.close();
    }
}
