package io.rafty.api;

import io.rafty.node.RaftVerticle;
import io.rafty.node.RequestFailure;
import io.rafty.raft.Membership;
import io.rafty.raft.MembershipChangeException;
import io.rafty.raft.PeerProgress;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiConsumer;

/**
 * The membership admin API (DESIGN roadmap, issue 8), served by the leader; a follower forwards.
 *
 * <ul>
 *   <li>{@code POST /v1/cluster/members {"id","address","learner"}}: adds a learner; with
 *       {@code "learner": false} (the default) the leader promotes it to voter by itself once it has
 *       caught up. Adding a member that exists with the same address answers 200 at once.</li>
 *   <li>{@code DELETE /v1/cluster/members/{id}}: removes a voter or learner (not the last voter).</li>
 *   <li>{@code POST /v1/cluster/members/{id}/promote}: makes a caught-up learner a voter.</li>
 *   <li>{@code POST /v1/cluster/leader {"id"}}: leadership transfer.</li>
 * </ul>
 * Changes are single-server (dissertation §4.1), one at a time: a request made while another change
 * is uncommitted gets 409 {@code change_in_progress}. Answers once the change is applied here.
 */
final class AdminRoutes {

    private final RaftVerticle raft;
    private final long promotionLagEntries;
    private final BiConsumer<RoutingContext, Throwable> onLeaderFailure;
    private final java.util.function.IntFunction<String> addressOf;

    AdminRoutes(RaftVerticle raft, long promotionLagEntries, BiConsumer<RoutingContext, Throwable> onLeaderFailure,
                java.util.function.IntFunction<String> addressOf) {
        this.raft = raft;
        this.addressOf = addressOf;
        this.promotionLagEntries = promotionLagEntries;
        this.onLeaderFailure = onLeaderFailure;
    }

    void addMember(RoutingContext ctx) {
        JsonObject body = jsonBody(ctx);
        int id = positiveId(body.getValue("id"));
        Object rawAddress = body.getValue("address");
        if (!(rawAddress instanceof String address) || !(address.startsWith("http://")
                || address.startsWith("https://"))) {
            throw ApiException.badRequest("address must be the member's base URL, e.g. http://127.0.0.1:3004");
        }
        Object learnerValue = body.getValue("learner", false);
        if (!(learnerValue instanceof Boolean learner)) {
            throw ApiException.badRequest("learner must be true or false");
        }
        answer(ctx, raft.changeMembership(current -> {
            if (current.contains(id)) {
                String known = current.addresses().get(id);
                if (known != null && !known.equals(address)) {
                    throw new ApiException(409, "member_exists", "node " + id + " is already a member at " + known);
                }
                return current;
            }
            return current.withLearner(id, address, !learner);
        }));
    }

    void removeMember(RoutingContext ctx) {
        int id = pathId(ctx);
        answer(ctx, raft.changeMembership(current -> {
            if (!current.contains(id)) {
                throw new ApiException(404, "member_not_found", "node " + id + " is not a member");
            }
            if (current.isVoter(id) && current.voters().size() == 1) {
                throw ApiException.badRequest("node " + id + " is the last voter; a cluster needs one");
            }
            return current.without(id);
        }));
    }

    void promoteMember(RoutingContext ctx) {
        int id = pathId(ctx);
        raft.progress().onComplete(progress -> {
            if (progress.succeeded() && !progress.result().isEmpty()) {
                long leaderLast = raft.status().lastLogIndex();
                for (PeerProgress peer : progress.result()) {
                    boolean behind = peer.matchIndex() == 0 || !peer.replicating()
                            || leaderLast - peer.matchIndex() > promotionLagEntries;
                    if (peer.id() == id && !peer.voter() && behind) {
                        ApiVerticle.error(ctx, new ApiException(409, "learner_not_ready", "learner " + id + " is "
                                + (leaderLast - peer.matchIndex()) + " entries behind; promote it once it has caught up"));
                        return;
                    }
                }
            }
            answer(ctx, raft.changeMembership(current -> {
                if (current.isVoter(id)) {
                    return current;
                }
                if (!current.isLearner(id)) {
                    throw new ApiException(404, "member_not_found", "node " + id + " is not a member");
                }
                return current.promoted(id);
            }));
        });
    }

    void transferLeader(RoutingContext ctx) {
        int id = positiveId(jsonBody(ctx).getValue("id"));
        raft.transferLeadership(id).onComplete(ar -> {
            if (ar.succeeded()) {
                ApiVerticle.json(ctx, 200, new JsonObject().put("leaderId", id));
            } else {
                fail(ctx, ar.cause());
            }
        });
    }

    private void answer(RoutingContext ctx, Future<Membership> change) {
        change.onComplete(ar -> {
            if (ar.succeeded()) {
                ApiVerticle.json(ctx, 200, describe(ar.result(), addressOf));
            } else {
                fail(ctx, ar.cause());
            }
        });
    }

    private void fail(RoutingContext ctx, Throwable cause) {
        if (cause instanceof ApiException api) {
            ApiVerticle.error(ctx, api);
        } else if (cause instanceof MembershipChangeException change) {
            String code = change.getMessage().contains("in progress") ? "change_in_progress" : "invalid_change";
            ApiVerticle.error(ctx, new ApiException(409, code, change.getMessage()));
        } else if (cause instanceof IllegalArgumentException bad) {
            ApiVerticle.error(ctx, ApiException.badRequest(bad.getMessage()));
        } else if (cause instanceof RequestFailure) {
            onLeaderFailure.accept(ctx, cause);
        } else {
            ctx.fail(cause);
        }
    }

    static JsonObject describe(Membership membership, java.util.function.IntFunction<String> addressOf) {
        JsonArray members = new JsonArray();
        for (int id : membership.all()) {
            members.add(new JsonObject().put("id", id)
                    .put("address", membership.addresses().getOrDefault(id, addressOf.apply(id)))
                    .put("voter", membership.isVoter(id))
                    .put("autoPromote", membership.autoPromote().contains(id)));
        }
        return new JsonObject().put("members", members);
    }

    private static JsonObject jsonBody(RoutingContext ctx) {
        try {
            JsonObject body = ctx.body().asJsonObject();
            if (body == null) {
                throw ApiException.badRequest("a JSON object body is required");
            }
            return body;
        } catch (DecodeException | ClassCastException e) {
            throw ApiException.badRequest("the body must be a JSON object");
        }
    }

    private static int positiveId(Object value) {
        if (value instanceof Integer id && id > 0) {
            return id;
        }
        throw ApiException.badRequest("id must be a positive integer");
    }

    private static int pathId(RoutingContext ctx) {
        try {
            int id = Integer.parseInt(ctx.pathParam("id"));
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // fall through to the 400 below
        }
        throw ApiException.badRequest("member id must be a positive integer");
    }
}
