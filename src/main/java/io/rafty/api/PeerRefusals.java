package io.rafty.api;

import io.vertx.ext.web.RoutingContext;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The log of refused peer requests, shared by the gates in front of {@code /raft/*} ({@link PeerCertificateHandler},
 * {@link PeerAuthHandler}): at most one WARNING line per {@link #LOG_INTERVAL_MS}, counting the ones it kept quiet
 * about. A misconfigured peer sends many requests a second, and neither a flood of lines nor a line with a
 * credential in it helps anyone: a line names the method, path, peer address and reason, never a header or a
 * certificate's bytes.
 */
final class PeerRefusals {

    private static final Logger LOG = Logger.getLogger(PeerAuthHandler.class.getName());
    static final long LOG_INTERVAL_MS = 10_000;

    private final LongSupplier clockMs;
    private long lastLogMs = Long.MIN_VALUE;
    private long quietRefusals;

    PeerRefusals(LongSupplier clockMs) {
        this.clockMs = clockMs;
    }

    void refused(RoutingContext ctx, String reason) {
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
        LOG.log(Level.WARNING, "refused a peer request " + ctx.request().method() + " " + ctx.request().path()
                + " from " + ctx.request().remoteAddress() + ": " + reason
                + (quiet == 0 ? "" : " (and " + quiet + " more refused since the last such line)"));
    }
}
