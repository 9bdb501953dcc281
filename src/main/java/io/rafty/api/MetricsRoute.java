package io.rafty.api;

import io.rafty.ops.Metrics;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code GET /metrics}: the node's meters in Prometheus text format, or 404 {@code metrics_disabled} when
 * the node runs with {@code KVSTORE_METRICS_ENABLED=false}. The scrape renders every meter, which is CPU
 * work the Raft event loop (shared with the API by default) should not wait for: it runs on a worker.
 */
final class MetricsRoute {

    private static final Logger LOG = Logger.getLogger(MetricsRoute.class.getName());

    private final Vertx vertx;
    private final Metrics metrics;

    /** @param metrics the node's metrics, or null when they are off */
    MetricsRoute(Vertx vertx, Metrics metrics) {
        this.vertx = vertx;
        this.metrics = metrics;
    }

    void scrape(RoutingContext ctx) {
        if (metrics == null) {
            ApiVerticle.error(ctx, new ApiException(404, "metrics_disabled", "metrics are off on this node; start it"
                    + " with KVSTORE_METRICS_ENABLED=true (or \"metricsEnabled\": true in its config file)"));
            return;
        }
        vertx.executeBlocking(metrics::scrape, false).onComplete(ar -> {
            if (ar.failed()) {
                LOG.log(Level.SEVERE, "rendering the metrics failed", ar.cause());
                ApiVerticle.error(ctx, new ApiException(500, "internal", "internal error"));
                return;
            }
            if (!ctx.response().closed()) {
                ctx.response().putHeader("content-type", Metrics.CONTENT_TYPE).end(ar.result());
            }
        });
    }
}
