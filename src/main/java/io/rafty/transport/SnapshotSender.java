package io.rafty.transport;

import io.rafty.raft.PeerIdentity;
import io.rafty.raft.SnapshotMeta;
import io.rafty.storage.ImageRecord;
import io.rafty.storage.SnapshotStaging;
import io.rafty.storage.SnapshotStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Streams a state-machine image to a follower: {@code POST /raft/snapshot} chunk by chunk, each at
 * most {@code chunkBytes} (a single larger entry travels alone), the last one carrying the total size
 * and CRC-32. Chunks are produced on a worker from the image's iterator; a chunk that fails is
 * re-sent up to {@code maxChunkAttempts} times (the follower accepts a chunk it already holds), so a
 * lost chunk or acknowledgement does not restart the transfer.
 */
public final class SnapshotSender {

    public static final String PATH = "/raft/snapshot";

    private final WebClient client;
    private final Map<Integer, String> addresses;
    private final WorkerExecutor worker;
    private final int chunkBytes;
    private final int timeoutMs;
    private final int maxChunkAttempts;

    public SnapshotSender(Vertx vertx, Map<Integer, String> addresses, WorkerExecutor worker, int chunkBytes,
                          int timeoutMs, int maxChunkAttempts) {
        this.addresses = addresses;
        this.worker = worker;
        this.chunkBytes = chunkBytes;
        this.timeoutMs = timeoutMs;
        this.maxChunkAttempts = maxChunkAttempts;
        WebClientOptions options = new WebClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                .setConnectTimeout(timeoutMs).setUserAgent("rafty-snapshot");
        this.client = WebClient.wrap(QuietConnections.client(vertx, options, new PoolOptions().setHttp1MaxSize(2),
                "snapshot"), options);
    }

    /**
     * Sends {@code image} (which {@code meta} describes) to {@code peer}; completes when the last chunk is
     * accepted. Every chunk carries {@code sender}, the leader's identity, like a peer message batch.
     */
    public Future<Void> send(int self, int peer, long term, SnapshotMeta meta, SnapshotStore.StateImage image,
                             PeerIdentity sender) {
        String base = addresses.get(peer);
        if (base == null) {
            return Future.failedFuture("no address for peer " + peer);
        }
        Transfer transfer = new Transfer(base, self, term, meta, image.records(), sender);
        transfer.next();
        return transfer.done.future();
    }

    private final class Transfer {
        final String base;
        final int self;
        final long term;
        final SnapshotMeta meta;
        final Iterator<ImageRecord> entries;
        final Promise<Void> done = Promise.promise();
        final CRC32 crc = new CRC32();
        final PeerIdentity sender;
        long offset;

        Transfer(String base, int self, long term, SnapshotMeta meta, Iterator<ImageRecord> entries, PeerIdentity sender) {
            this.sender = sender;
            this.base = base;
            this.self = self;
            this.term = term;
            this.meta = meta;
            this.entries = entries;
        }

        void next() {
            worker.executeBlocking(this::readChunk, true).onComplete(ar -> {
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
            var request = client.postAbs(base + PATH)
                    .timeout(timeoutMs)
                    .addQueryParam("from", Integer.toString(self))
                    .addQueryParam("term", Long.toString(term))
                    .addQueryParam("index", Long.toString(meta.index()))
                    .addQueryParam("snapshotTerm", Long.toString(meta.term()))
                    .addQueryParam("offset", Long.toString(offset))
                    .addQueryParam("clusterId", Long.toString(sender.clusterId()))
                    .addQueryParam("storageId", Long.toString(sender.storageId()))
                    .putHeader("x-rafty-membership", Base64.getEncoder().encodeToString(meta.membership().encode()));
            if (last) {
                request.addQueryParam("last", "true")
                        .addQueryParam("totalBytes", Long.toString(offset + chunk.length))
                        .addQueryParam("crc32", Long.toString(crc.getValue()));
            }
            request.sendBuffer(Buffer.buffer(chunk)).onComplete(ar -> {
                if (ar.succeeded() && ar.result().statusCode() == 204) {
                    offset += chunk.length;
                    if (last) {
                        done.tryComplete();
                    } else {
                        next();
                    }
                } else if (attempt < maxChunkAttempts && retriable(ar.succeeded() ? ar.result() : null)) {
                    post(chunk, last, attempt + 1);
                } else {
                    done.tryFail("snapshot chunk at offset " + offset + " failed: "
                            + (ar.failed() ? ar.cause().getMessage() : ar.result().statusCode() + " "
                            + ar.result().bodyAsString()));
                }
            });
        }

        private boolean retriable(HttpResponse<Buffer> response) {
            return response == null || response.statusCode() >= 500;
        }
    }

    public void close() {
        client.close();
    }
}
