package io.rafty.api;

import io.rafty.kv.Command;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.Lease;
import io.rafty.node.RaftVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The lease routes of DESIGN §4. Grants and revokes are log entries like any write; keepalives and
 * the remaining time are the leader's (a follower relays them to it); listing is a linearizable read.
 * The rules that keep a key alive for its TTL are {@code node.LeaseClock}'s.
 */
final class LeaseRoutes {

    /** What the routes need of the API server around them. */
    interface Plumbing {
        /** Proposes {@code command}; a failure is answered (or relayed to the leader) by the server. */
        void propose(RoutingContext ctx, Command command, Consumer<KvResult> onResult);

        /** Runs {@code read} once linearizable (see {@code ApiVerticle.afterReadBarrier}). */
        void afterReadBarrier(RoutingContext ctx, Runnable read);

        /** Answers a failure from the Raft side, relaying to the leader when that is where it belongs. */
        void failed(RoutingContext ctx, Throwable cause);
    }

    private static final Set<String> GRANT_FIELDS = Set.of("ttl", "id");

    private final Vertx vertx;
    private final RaftVerticle raft;
    private final KvStateMachine stateMachine;
    private final ApiVerticle.LeaseLimits limits;
    private final int maxListLimit;
    private final Plumbing plumbing;

    LeaseRoutes(Vertx vertx, RaftVerticle raft, KvStateMachine stateMachine, ApiVerticle.LeaseLimits limits,
                int maxListLimit, Plumbing plumbing) {
        this.vertx = vertx;
        this.raft = raft;
        this.stateMachine = stateMachine;
        this.limits = limits;
        this.maxListLimit = maxListLimit;
        this.plumbing = plumbing;
    }

    /** {@code POST /v1/leases {"ttl":S[,"id":N]}} → {@code {"id","ttl"}}; a TTL below the minimum is raised. */
    void grant(RoutingContext ctx) {
        JsonObject body = object(ctx.body().buffer());
        for (String field : body.fieldNames()) {
            if (!GRANT_FIELDS.contains(field)) {
                throw ApiException.badRequest("unknown field \"" + field + "\"; a grant is {\"ttl\":S} or "
                        + "{\"ttl\":S,\"id\":N}");
            }
        }
        long ttl = positive(body.getValue("ttl"), "ttl");
        if (ttl > limits.maxTtlSeconds()) {
            throw ApiException.badRequest("ttl is " + ttl + " s; the limit is " + limits.maxTtlSeconds()
                    + " (maxLeaseTtlSeconds)");
        }
        long id = body.containsKey("id") ? positive(body.getValue("id"), "id") : 0;
        if (stateMachine.leaseCount() >= limits.maxLeases()) {
            throw new ApiException(503, "overloaded", "the cluster holds " + limits.maxLeases()
                    + " leases (maxLeases); revoke some first", new JsonObject().put("applied", false));
        }
        long granted = Math.max(ttl, limits.minTtlSeconds());
        plumbing.propose(ctx, new Command.LeaseGrant(id, granted), result -> {
            if (result instanceof KvResult.LeaseGranted done) {
                JsonObject answer = new JsonObject().put("id", done.lease().id()).put("ttl", done.lease().ttlSeconds());
                if (granted != ttl) {
                    answer.put("requestedTtl", ttl).put("minTtl", limits.minTtlSeconds());
                }
                ApiVerticle.json(ctx, 200, answer);
            } else if (result instanceof KvResult.LeaseExists exists) {
                ApiVerticle.error(ctx, new ApiException(409, "lease_exists", "lease " + exists.id() + " exists"));
            } else {
                ctx.fail(new IllegalStateException("a grant was answered with " + result));
            }
        });
    }

    /** {@code POST /v1/leases/{id}/keepalive} → {@code {"id","ttl"}}: the lease runs its TTL from now. */
    void keepAlive(RoutingContext ctx) {
        long id = id(ctx);
        raft.keepAlive(id).onComplete(ar -> {
            if (ar.failed()) {
                plumbing.failed(ctx, ar.cause());
            } else if (ar.result().lease() == null) {
                notFound(ctx, id);
            } else {
                ApiVerticle.json(ctx, 200, new JsonObject().put("id", id).put("ttl", ar.result().lease().ttlSeconds()));
            }
        });
    }

    /** {@code GET /v1/leases/{id}} → {@code {"id","ttl","remaining","keys":[…]}} (the leader's view). */
    void get(RoutingContext ctx) {
        // The answer lists the lease's keys, which may be anyone's: with auth on, read on every key (or root).
        AccessControl.requireRead(ctx, io.rafty.kv.KeySelector.prefix(new byte[0]), "reading a lease's keys");
        long id = id(ctx);
        raft.leaseInfo(id).onComplete(ar -> {
            if (ar.failed()) {
                plumbing.failed(ctx, ar.cause());
                return;
            }
            Lease lease = ar.result().lease();
            if (lease == null) {
                notFound(ctx, id);
                return;
            }
            long remainingSeconds = ar.result().remainingNanos() < 0 ? lease.ttlSeconds()
                    : ar.result().remainingNanos() / 1_000_000_000L;
            vertx.executeBlocking(() -> stateMachine.leaseKeys(id, maxListLimit + 1), false).onComplete(keys -> {
                if (keys.failed()) {
                    ctx.fail(keys.cause());
                    return;
                }
                List<byte[]> found = keys.result();
                JsonArray names = new JsonArray();
                for (int i = 0; i < Math.min(found.size(), maxListLimit); i++) {
                    names.add(new String(found.get(i), StandardCharsets.UTF_8));
                }
                ApiVerticle.json(ctx, 200, new JsonObject().put("id", id).put("ttl", lease.ttlSeconds())
                        .put("remaining", remainingSeconds).put("keys", names).put("moreKeys", found.size() > maxListLimit));
            });
        });
    }

    /** {@code GET /v1/leases} → {@code {"leases":[{"id","ttl"}…]}}, a linearizable read. */
    void list(RoutingContext ctx) {
        AccessControl.requireRead(ctx, io.rafty.kv.KeySelector.prefix(new byte[0]), "listing the leases");
        plumbing.afterReadBarrier(ctx, () -> {
            JsonArray leases = new JsonArray();
            for (Lease lease : stateMachine.leases()) {
                leases.add(new JsonObject().put("id", lease.id()).put("ttl", lease.ttlSeconds()));
            }
            ApiVerticle.json(ctx, 200, new JsonObject().put("leases", leases));
        });
    }

    /** {@code DELETE /v1/leases/{id}} → {@code {"id","revision","deleted":n}}: every key of it at one revision. */
    void revoke(RoutingContext ctx) {
        // A revoke deletes every key attached to the lease, which may be anyone's: write on every key (or root).
        AccessControl.requireWrite(ctx, io.rafty.kv.KeySelector.prefix(new byte[0]), "revoking a lease");
        long id = id(ctx);
        plumbing.propose(ctx, new Command.LeaseRevoke(id), result -> {
            if (result instanceof KvResult.LeaseRevoked revoked) {
                ApiVerticle.json(ctx, 200, new JsonObject().put("id", id).put("revision", revoked.index())
                        .put("deleted", revoked.deletes().size()));
            } else if (result instanceof KvResult.LeaseNotFound) {
                notFound(ctx, id);
            } else {
                ctx.fail(new IllegalStateException("a revoke was answered with " + result));
            }
        });
    }

    static void notFound(RoutingContext ctx, long id) {
        ApiVerticle.error(ctx, notFound(id));
    }

    static ApiException notFound(long id) {
        return new ApiException(404, "lease_not_found", "lease " + id + " not found");
    }

    private static long id(RoutingContext ctx) {
        String raw = ctx.pathParam("id");
        try {
            long id = Long.parseLong(raw);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("a lease id is a positive integer, was \"" + raw + "\"");
    }

    private static JsonObject object(Buffer body) {
        try {
            if (body != null && body.length() > 0) {
                return body.toJsonObject();
            }
        } catch (DecodeException | ClassCastException e) {
            // answered below
        }
        throw ApiException.badRequest("the body must be a JSON object such as {\"ttl\":10}");
    }

    private static long positive(Object value, String field) {
        return RequestParams.jsonInteger(value, "\"" + field + "\"", 1);
    }
}
