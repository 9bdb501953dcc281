package io.rafty.api;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Cross-origin access for the dashboard ({@code GET /}): the page, served by one member, polls every member of
 * the cluster, so a member answers a browser request whose {@code Origin} is the base URL of a member of its
 * cluster (itself included) with the CORS headers that let the page read the answer. A page from any other
 * origin gets no such headers, so a web site the operator happens to visit cannot read the store through the
 * operator's browser. The loopback names {@code localhost}, {@code 127.0.0.1} and {@code [::1]} count as one
 * host, so a page opened at {@code http://localhost:3001} may poll members configured as
 * {@code http://127.0.0.1:3002}.
 *
 * <p>Preflight requests ({@code OPTIONS} with {@code Access-Control-Request-Method}, sent by browsers before a
 * PUT or DELETE from another origin) from such an origin are answered 204 here; from any other, they go on to
 * the router, which answers 405.
 *
 * <p>With auth on, this handler runs ahead of the auth gate ({@link AccessControl}) on {@code /v1/*} and
 * {@code /metrics}: a preflight carries no credential (browsers never send one), so it must be answered before the
 * gate would refuse it, and {@code authorization} is among the allowed request headers so that the signed-in
 * dashboard may send its bearer token to other members. Answering a preflight admits nothing: the real request
 * that follows goes through the gate like any other, and its 401 or 403 carries these headers, so the page can
 * read why it was refused.
 */
final class CrossOrigin {

    /** How long a browser may cache a preflight answer. */
    static final int PREFLIGHT_MAX_AGE_SECONDS = 600;
    private static final String ALLOWED_METHODS = "GET, PUT, POST, DELETE";
    private static final String ALLOWED_HEADERS = "content-type, authorization, idempotency-key";
    private static final String EXPOSED_HEADERS = "retry-after, x-rafty-revision, idempotency-replayed";
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");

    private final Supplier<Collection<String>> memberAddresses;

    /** @param memberAddresses the base URLs of the cluster's members, read on every request (membership changes) */
    CrossOrigin(Supplier<Collection<String>> memberAddresses) {
        this.memberAddresses = memberAddresses;
    }

    void handle(RoutingContext ctx) {
        String origin = ctx.request().getHeader("origin");
        if (origin == null || !allowed(origin)) {
            ctx.next();
            return;
        }
        HttpServerResponse response = ctx.response();
        response.putHeader("access-control-allow-origin", origin).putHeader("vary", "origin");
        if (ctx.request().method() == HttpMethod.OPTIONS
                && ctx.request().getHeader("access-control-request-method") != null) {
            response.putHeader("access-control-allow-methods", ALLOWED_METHODS)
                    .putHeader("access-control-allow-headers", ALLOWED_HEADERS)
                    .putHeader("access-control-max-age", Integer.toString(PREFLIGHT_MAX_AGE_SECONDS))
                    .setStatusCode(204).end();
            return;
        }
        response.putHeader("access-control-expose-headers", EXPOSED_HEADERS);
        ctx.next();
    }

    boolean allowed(String origin) {
        String wanted = normalized(origin);
        if (wanted == null) {
            return false;
        }
        for (String address : memberAddresses.get()) {
            if (wanted.equals(normalized(address))) {
                return true;
            }
        }
        return false;
    }

    /** {@code scheme://host:port} with loopback names folded into one, or null when it is no such URL. */
    static String normalized(String url) {
        if (url == null || url.isEmpty()) {
            return null;
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            String host = uri.getHost();
            if (scheme == null || host == null) {
                return null;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            host = host.toLowerCase(Locale.ROOT);
            int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
            return scheme + "://" + (LOOPBACK.contains(host) ? "loopback" : host) + ":" + port;
        } catch (URISyntaxException e) {
            return null;
        }
    }
}
