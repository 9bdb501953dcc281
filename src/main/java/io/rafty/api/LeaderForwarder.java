package io.rafty.api;

import io.rafty.node.RequestFailure;
import io.rafty.security.NodeTls;
import io.rafty.security.PeerAuth;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import java.net.ConnectException;
import java.util.Map;

/**
 * Relays a client request from a follower to the leader and the leader's answer back, verbatim
 * (status, content type, Retry-After, body). Key reads and writes normally go through the peer channel
 * instead ({@code RaftVerticle}); this relay serves the cluster view and admin requests, and the
 * requests the local Raft could not take (a read unconfirmed because the leader changed, a forwarded
 * write the leader refused). A request is forwarded at most once: the hop is marked
 * with a header, and a node that receives a forwarded request it cannot serve answers 503 itself.
 *
 * <p>A peer route relayed this way (join discovery, {@code GET /raft/cluster}, asked of a follower) is signed
 * afresh for the leader with the cluster secret, when there is one; client routes are relayed as they came.
 *
 * <p>What a failed hop means for a write: if the connection was never made, the leader never saw
 * the write (503, not applied); once the request may have been sent, its fate is unknown (504).
 */
final class LeaderForwarder {

    static final String FORWARDED_HEADER = "x-rafty-forwarded";

    private final HttpClient client;
    private final Map<Integer, String> addresses;
    private final int timeoutMs;
    /** Null: no cluster secret. */
    private final PeerAuth peerAuth;

    LeaderForwarder(Vertx vertx, Map<Integer, String> addresses, int timeoutMs, PeerAuth peerAuth) {
        this(vertx, addresses, timeoutMs, peerAuth, NodeTls.NONE);
    }

    /** As the other constructor; a relay to the leader goes over peer TLS when {@code tls} has it. */
    LeaderForwarder(Vertx vertx, Map<Integer, String> addresses, int timeoutMs, PeerAuth peerAuth,
                    NodeTls tls) {
        this.peerAuth = peerAuth;
        this.addresses = addresses;
        this.timeoutMs = timeoutMs;
        this.client = io.rafty.transport.QuietConnections.client(vertx, tls.peerClient(new HttpClientOptions()
                .setKeepAlive(true).setTcpNoDelay(true).setConnectTimeout(timeoutMs)),
                new PoolOptions().setHttp1MaxSize(32), "forward");
    }

    boolean wasForwarded(RoutingContext ctx) {
        return ctx.request().getHeader(FORWARDED_HEADER) != null;
    }

    void forward(RoutingContext ctx, int leaderId, boolean isWrite) {
        String base = addresses.get(leaderId);
        if (base == null || base.isEmpty()) {
            ApiVerticle.error(ctx, Failures.toApi(RequestFailure.noLeader("the leader's address is unknown", 0)));
            return;
        }
        HttpMethod method = ctx.request().method();
        Buffer body = ctx.body() == null || ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        RequestOptions options = new RequestOptions()
                .setAbsoluteURI(base + ctx.request().uri())
                .setMethod(method)
                .setTimeout(timeoutMs)
                .putHeader(FORWARDED_HEADER, "1");
        for (String name : new String[] {"content-type", ApiVerticle.IDEMPOTENCY_KEY, "authorization"}) {
            String value = ctx.request().getHeader(name);
            if (value != null) {
                options.putHeader(name, value);
            }
        }
        if (peerAuth != null && ctx.request().path().startsWith("/raft/")) {
            peerAuth.sign(method.name(), ctx.request().uri(), leaderId, Map.of(FORWARDED_HEADER, "1"), body.getBytes())
                    .forEach(options::putHeader);
        }
        client.request(options)
                .compose(request -> request.send(body).compose(response -> response.body()
                        .map(responseBody -> new Relayed(response, responseBody))))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        relay(ctx, ar.result());
                    } else {
                        boolean neverSent = ar.cause() instanceof ConnectException;
                        RequestFailure failure = (!isWrite || neverSent)
                                ? RequestFailure.noLeader("the leader could not be reached: " + ar.cause().getMessage(),
                                        0)
                                : RequestFailure.outcomeUnknown("the connection to the leader failed after the write "
                                        + "was sent: " + ar.cause().getMessage());
                        ApiVerticle.error(ctx, Failures.toApi(failure));
                    }
                });
    }

    private record Relayed(HttpClientResponse response, Buffer body) {
    }

    private static void relay(RoutingContext ctx, Relayed relayed) {
        if (ctx.response().ended() || ctx.response().closed()) {
            return;
        }
        MultiMap headers = relayed.response().headers();
        ctx.response().setStatusCode(relayed.response().statusCode());
        for (String name : new String[] {"content-type", "retry-after", "x-rafty-revision",
                ApiVerticle.IDEMPOTENCY_REPLAYED}) {
            String value = headers.get(name);
            if (value != null) {
                ctx.response().putHeader(name, value);
            }
        }
        ctx.response().end(relayed.body());
    }

    void close() {
        client.close();
    }
}
