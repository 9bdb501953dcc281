package io.rafty.api;

import io.rafty.node.NodeStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Supplier;

/**
 * The probes {@code GET /livez} and {@code GET /readyz}, in the spirit of etcd's (3.5.12+): liveness says
 * whether the process should be restarted, readiness whether traffic should be sent to it.
 *
 * <ul>
 *   <li><b>livez</b> needs nothing of the rest of the cluster — a node in a minority partition is alive,
 *       and restarting it would not help. It fails only when the node has fenced itself after a storage
 *       failure: then it serves nothing until restarted.</li>
 *   <li><b>readyz</b> fails, naming every failed check, while the node cannot answer clients as it should:
 *       it knows no leader ({@code leader}), it is fenced ({@code storage}), its state machine trails the
 *       commit index it knows by more than {@code readyMaxApplyLagEntries} ({@code applied}), or it is being
 *       rebuilt after a lost disk or has not yet been promoted from learner ({@code rebuilding}: like etcd's
 *       {@code non_learner}).</li>
 * </ul>
 *
 * Both read the status the driver publishes after every step, so they answer at once on the event loop and
 * never wait on Raft: a probe that hangs would be read as a dead node. {@code GET /health} (older, kept as it
 * was) answers like livez with a different body.
 */
final class HealthRoutes {

    private final Supplier<NodeStatus> status;
    private final long readyMaxApplyLagEntries;

    HealthRoutes(Supplier<NodeStatus> status, long readyMaxApplyLagEntries) {
        this.status = status;
        this.readyMaxApplyLagEntries = readyMaxApplyLagEntries;
    }

    void livez(RoutingContext ctx) {
        NodeStatus s = status.get();
        JsonArray reasons = new JsonArray();
        if (s == null) {
            reasons.add(reason("started", "the node has not started yet"));
        } else if (s.fenced()) {
            reasons.add(fencedReason());
        }
        answer(ctx, reasons, "not_live", new JsonObject().put("status", "ok"));
    }

    void readyz(RoutingContext ctx) {
        NodeStatus s = status.get();
        JsonArray reasons = new JsonArray();
        if (s == null) {
            reasons.add(reason("started", "the node has not started yet"));
            answer(ctx, reasons, "not_ready", null);
            return;
        }
        if (s.fenced()) {
            reasons.add(fencedReason());
        }
        if (s.leaderId() == 0) {
            reasons.add(reason("leader", "this node knows no leader in term " + s.term()
                    + " (an election is under way, or it cannot reach a majority)"));
        }
        long lag = s.commitIndex() - s.appliedIndex();
        if (lag > readyMaxApplyLagEntries) {
            reasons.add(reason("applied", "applied index " + s.appliedIndex() + " trails commit index "
                    + s.commitIndex() + " by " + lag + " entries; the limit is " + readyMaxApplyLagEntries
                    + " (readyMaxApplyLagEntries)"));
        }
        if (s.rebuilding()) {
            reasons.add(reason("rebuilding", "this node is catching up with the leader before it may vote (a new "
                    + "member, or its storage was replaced)"));
        }
        answer(ctx, reasons, "not_ready", new JsonObject().put("status", "ok").put("leaderId", s.leaderId())
                .put("commitIndex", s.commitIndex()).put("appliedIndex", s.appliedIndex()));
    }

    private static JsonObject fencedReason() {
        return reason("storage", "storage failed on this node; it no longer serves. Restart it once the disk is "
                + "healthy");
    }

    private static JsonObject reason(String check, String message) {
        return new JsonObject().put("check", check).put("message", message);
    }

    private static void answer(RoutingContext ctx, JsonArray reasons, String failedStatus, JsonObject ok) {
        ctx.response().putHeader("cache-control", "no-store");
        if (reasons.isEmpty()) {
            ApiVerticle.json(ctx, 200, ok);
        } else {
            ApiVerticle.json(ctx, 503, new JsonObject().put("status", failedStatus).put("reasons", reasons));
        }
    }
}
