package io.rafty.api;

import io.rafty.security.PeerAuth;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gate in front of every peer route ({@code /raft/*}) when the node has a cluster secret: it runs
 * after the body handler (the MAC covers the body) and before any peer handler, so a refused request
 * reaches nothing that could change state. A refusal is 401 {@code unauthenticated} with the reason,
 * and at most one WARNING line per {@link #LOG_INTERVAL_MS} (counting the ones it kept quiet about): a
 * misconfigured peer sends many requests a second, and neither a flood of lines nor a line with the MAC
 * in it helps anyone.
 */
final class PeerAuthHandler implements Handler<RoutingContext> {

    private static final Logger LOG = Logger.getLogger(PeerAuthHandler.class.getName());
    static final long LOG_INTERVAL_MS = 10_000;

    private final PeerAuth auth;
    private final LongSupplier clockMs;
    private long lastLogMs = Long.MIN_VALUE;
    private long quietRefusals;

    PeerAuthHandler(PeerAuth auth, LongSupplier clockMs) {
        this.auth = auth;
        this.clockMs = clockMs;
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
        logRefusal(ctx, outcome);
        ctx.response().putHeader("www-authenticate", "rafty-peer-hmac-sha256-v1");
        ApiVerticle.error(ctx, new ApiException(401, "unauthenticated", "peer request refused: "
                + outcome.description() + "; every node of a cluster needs the same cluster secret "
                + "(KVSTORE_CLUSTER_SECRET or KVSTORE_CLUSTER_SECRET_FILE)"));
    }

    private void logRefusal(RoutingContext ctx, PeerAuth.Outcome outcome) {
        long now = clockMs.getAsLong();
        long quiet;
        synchronized (this) {
            if (lastLogMs != Long.MIN_VALUE && now - lastLogMs < LOG_INTERVAL_MS) {
                quietRefusals++;
                return;
            }
            lastLogMs = now;
            quiet = quietRefusals;
            quietRefusals = 0;
        }
        // The method, path and peer address only: never a header, least of all the MAC.
        LOG.log(Level.WARNING, "refused a peer request " + ctx.request().method() + " " + ctx.request().path()
                + " from " + ctx.request().remoteAddress() + ": " + outcome.description()
                + (quiet == 0 ? "" : " (and " + quiet + " more refused since the last such line)"));
    }
}
