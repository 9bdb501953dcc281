package io.rafty.api;

import io.rafty.security.PeerAuth;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.function.LongSupplier;

/**
 * The gate in front of every peer route ({@code /raft/*}) when the node has a cluster secret: it runs
 * after the body handler (the MAC covers the body) and before any peer handler, so a refused request
 * reaches nothing that could change state. A refusal is 401 {@code unauthenticated} with the reason,
 * and at most one WARNING line per {@link #LOG_INTERVAL_MS} (counting the ones it kept quiet about): a
 * misconfigured peer sends many requests a second, and neither a flood of lines nor a line with the MAC
 * in it helps anyone.
 */
final class PeerAuthHandler implements Handler<RoutingContext> {

    static final long LOG_INTERVAL_MS = PeerRefusals.LOG_INTERVAL_MS;

    private final PeerAuth auth;
    private final PeerRefusals refusals;

    PeerAuthHandler(PeerAuth auth, LongSupplier clockMs) {
        this(auth, new PeerRefusals(clockMs));
    }

    /** As the other constructor, logging refusals through {@code refusals} (shared with the TLS gate). */
    PeerAuthHandler(PeerAuth auth, PeerRefusals refusals) {
        this.auth = auth;
        this.refusals = refusals;
    }

    @Override
    public void handle(RoutingContext ctx) {
        Buffer body = ctx.body() == null ? null : ctx.body().buffer();
        PeerAuth.Outcome outcome = auth.verify(ctx.request().method().name(), ctx.request().uri(),
                ctx.request().headers(), body == null ? new byte[0] : body.getBytes());
        if (outcome == PeerAuth.Outcome.ACCEPTED) {
            ctx.next();
            return;
        }
        refusals.refused(ctx, outcome.description());
        ctx.response().putHeader("www-authenticate", "rafty-peer-hmac-sha256-v1");
        ApiVerticle.error(ctx, new ApiException(401, "unauthenticated", "peer request refused: "
                + outcome.description() + "; every node of a cluster needs the same cluster secret "
                + "(KVSTORE_CLUSTER_SECRET or KVSTORE_CLUSTER_SECRET_FILE)"));
    }
}
