package io.rafty.api;

import io.rafty.node.RaftVerticle;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.storage.SnapshotStaging;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.List;

/**
 * {@code POST /raft/snapshot}: one chunk of a snapshot from the leader, staged on a worker. When the
 * last chunk arrives and the size and CRC-32 match, the snapshot is handed to the Raft core as an
 * {@link InstallSnapshot} message; the core's answer travels back as an ordinary peer message.
 * Answers 204 when the chunk is held, 409 {@code offset_mismatch} with {@code expectedOffset} when it
 * does not continue the staged stream, 400 for a malformed request or a checksum mismatch.
 */
final class SnapshotRoute {

    private final RaftVerticle raft;
    private final SnapshotStaging staging;
    private final WorkerExecutor worker;

    SnapshotRoute(RaftVerticle raft, SnapshotStaging staging, WorkerExecutor worker) {
        this.raft = raft;
        this.staging = staging;
        this.worker = worker;
    }

    void handle(RoutingContext ctx) {
        int from = (int) number(ctx, "from");
        long term = number(ctx, "term");
        long index = number(ctx, "index");
        long snapshotTerm = number(ctx, "snapshotTerm");
        long offset = number(ctx, "offset");
        // The leader's identity, as a peer batch would carry it.
        PeerIdentity sender = new PeerIdentity(signed(ctx, "clusterId"), signed(ctx, "storageId"));
        boolean last = "true".equals(RequestParams.single(ctx, "last"));
        long totalBytes = last ? number(ctx, "totalBytes") : 0;
        long crc32 = last ? number(ctx, "crc32") : 0;
        Membership membership;
        try {
            String header = ctx.request().getHeader(io.rafty.transport.SnapshotSender.MEMBERSHIP_HEADER);
            membership = Membership.decode(Base64.getDecoder().decode(header == null ? "" : header));
        } catch (RuntimeException e) {
            throw ApiException.badRequest("malformed snapshot membership header");
        }
        int self = raft.status().id();
        Buffer body = ctx.body().buffer();
        byte[] chunk = body == null ? new byte[0] : body.getBytes();
        SnapshotStaging.TransferId id = new SnapshotStaging.TransferId(from, term, index, snapshotTerm);
        worker.executeBlocking(() -> {
            staging.accept(id, offset, chunk);
            return !last || staging.complete(id, totalBytes, crc32);
        }, true).onComplete(ar -> {
            if (ar.failed()) {
                if (ar.cause() instanceof SnapshotStaging.OffsetMismatch mismatch) {
                    ApiVerticle.json(ctx, 409, new JsonObject().put("error", "offset_mismatch")
                            .put("message", "chunk does not continue the staged snapshot")
                            .put("expectedOffset", mismatch.expectedOffset()));
                } else {
                    ctx.fail(ar.cause());
                }
                return;
            }
            if (!ar.result()) {
                ApiVerticle.error(ctx, ApiException.badRequest("snapshot size or checksum mismatch"));
                return;
            }
            if (last) {
                raft.receive(sender, List.of(new InstallSnapshot(from, self, term, index, snapshotTerm, membership)));
            }
            ctx.response().setStatusCode(204).end();
        });
    }

    /** Ids are random 64-bit numbers: any long, written in decimal. */
    private static long signed(RoutingContext ctx, String name) {
        String value = RequestParams.single(ctx, name);
        try {
            return Long.parseLong(value == null ? "" : value);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("snapshot parameter " + name + " must be an integer");
        }
    }

    private static long number(RoutingContext ctx, String name) {
        String value = RequestParams.single(ctx, name);
        try {
            long parsed = Long.parseLong(value == null ? "" : value);
            if (parsed < 0) {
                throw new NumberFormatException();
            }
            return parsed;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("snapshot parameter " + name + " must be a non-negative integer");
        }
    }
}
