package io.rafty.api;

import io.rafty.node.NodeStatus;
import io.rafty.node.RaftVerticle;
import io.rafty.node.RequestFailure;
import io.rafty.storage.BackupFormat;
import io.rafty.storage.SnapshotStore;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /v1/snapshot}: a consistent backup of the state machine, streamed in the
 * {@link BackupFormat}, from any node, while writes go on.
 *
 * <p>The point in time is linearizable: a read barrier first (the leader confirms its leadership and this
 * node applies through the read index), then a RocksDB snapshot of the state machine on a worker, whose
 * applied index R is at or above that read index. Every write acknowledged before the request arrived has
 * a revision at or below R and is in the backup; nothing above R is. R goes out in the
 * {@code X-Rafty-Revision} header and in the file's header; completeness is the file's trailer (its
 * checksum), since a chunked response cut short looks to many clients like a short, successful one.
 *
 * <p>Chunks of {@code chunkBytes} are produced on a worker, one at a time; the next is read only when
 * the response's write queue has room (else on its drain), so a slow client holds at most about one
 * chunk in memory, and the event loop never touches RocksDB. A node that is fenced, has no leader or
 * cannot confirm the read answers the usual JSON 503; at most {@code maxStreams} backups run at once
 * (each pins a RocksDB snapshot), one more gets 503 overloaded. A storage failure mid-stream resets the
 * connection, so the client is left without a trailer and knows the file is incomplete.
 */
final class BackupRoute {

    private static final Logger LOG = Logger.getLogger(BackupRoute.class.getName());
    static final String REVISION_HEADER = "x-rafty-revision";
    static final String FORMAT_HEADER = "x-rafty-backup-format";

    private final RaftVerticle raft;
    private final ApiVerticle.BackupSettings settings;
    private final WorkerExecutor worker;
    /** Streams running now; touched on the API's event loop only. */
    private int active;

    BackupRoute(Vertx vertx, RaftVerticle raft, ApiVerticle.BackupSettings settings) {
        this.raft = raft;
        this.settings = settings;
        this.worker = vertx.createSharedWorkerExecutor("rafty-backup", settings.maxStreams());
    }

    void close() {
        worker.close();
    }

    void handle(RoutingContext ctx) {
        NodeStatus status = raft.status();
        if (status.fenced()) {
            ApiVerticle.error(ctx, Failures.toApi(new RequestFailure(RequestFailure.Kind.UNAVAILABLE,
                    "storage failed on this node", 0)));
            return;
        }
        if (active >= settings.maxStreams()) {
            ApiVerticle.error(ctx, Failures.toApi(new RequestFailure(RequestFailure.Kind.OVERLOADED,
                    "this node already streams " + settings.maxStreams() + " backups (maxBackupStreams)", 0)));
            return;
        }
        active++;
        raft.readBarrier().onComplete(barrier -> {
            if (barrier.failed()) {
                active--;
                refuse(ctx, barrier.cause());
                return;
            }
            long readIndex = barrier.result();
            worker.executeBlocking(() -> {
                SnapshotStore.StateImage image = settings.images().openImage();
                if (image.appliedIndex() < readIndex) {
                    image.close();
                    throw new IllegalStateException("image at " + image.appliedIndex() + " is older than the read index "
                            + readIndex);
                }
                return image;
            }, false).onComplete(opened -> {
                if (opened.failed()) {
                    active--;
                    ctx.fail(opened.cause());
                    return;
                }
                new Stream(ctx, opened.result(), status).start();
            });
        });
    }

    /** A read the node cannot confirm is refused here, never forwarded: a relayed stream would be buffered. */
    private static void refuse(RoutingContext ctx, Throwable cause) {
        if (!(cause instanceof RequestFailure failure)) {
            ctx.fail(cause);
            return;
        }
        RequestFailure answered = failure.kind() == RequestFailure.Kind.OUTCOME_UNKNOWN
                ? new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "the read barrier did not complete in time: "
                        + failure.getMessage(), failure.leaderId())
                : failure;
        ApiVerticle.error(ctx, Failures.toApi(answered));
    }

    /** One backup on its way to one client. Its fields are touched on the event loop only. */
    private final class Stream {
        private final HttpServerResponse response;
        private final SnapshotStore.StateImage image;
        private final BackupFormat.Writer writer;
        private final long revision;
        private boolean closed;
        private boolean reading;
        private boolean released;

        Stream(RoutingContext ctx, SnapshotStore.StateImage image, NodeStatus status) {
            this.response = ctx.response();
            this.image = image;
            this.revision = image.appliedIndex();
            this.writer = new BackupFormat.Writer(new BackupFormat.Header(BackupFormat.FORMAT_VERSION, revision,
                    status.clusterId(), status.id(), System.currentTimeMillis()), image.records());
        }

        void start() {
            if (response.closed()) {
                release();
                return;
            }
            response.closeHandler(v -> {
                closed = true;
                if (!reading) {
                    release();
                }
            });
            response.setStatusCode(200).setChunked(true)
                    .putHeader("content-type", "application/octet-stream")
                    .putHeader("content-disposition", "attachment; filename=\"rafty-" + revision + ".snapshot\"")
                    .putHeader(REVISION_HEADER, Long.toString(revision))
                    .putHeader(FORMAT_HEADER, Integer.toString(BackupFormat.FORMAT_VERSION));
            pump();
        }

        private void pump() {
            reading = true;
            worker.executeBlocking(() -> writer.nextChunk(settings.chunkBytes()), false).onComplete(chunk -> {
                reading = false;
                if (closed) {
                    release();
                    return;
                }
                if (chunk.failed()) {
                    LOG.log(Level.WARNING, "backup at revision " + revision + " failed mid-stream; resetting the "
                            + "connection so the client sees an incomplete file", chunk.cause());
                    release();
                    response.reset();
                    return;
                }
                response.write(Buffer.buffer(chunk.result()));
                if (writer.finished()) {
                    response.end();
                    release();
                } else if (response.writeQueueFull()) {
                    response.drainHandler(v -> {
                        response.drainHandler(null);
                        pump();
                    });
                } else {
                    pump();
                }
            });
        }

        /** Gives the RocksDB snapshot back (on the worker: it is a native call) and frees the stream's slot. */
        private void release() {
            if (released) {
                return;
            }
            released = true;
            active--;
            worker.executeBlocking(() -> {
                image.close();
                return null;
            }, false);
        }
    }
}
