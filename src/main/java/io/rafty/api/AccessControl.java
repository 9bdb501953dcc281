package io.rafty.api;

import io.rafty.kv.KeySelector;
import io.rafty.kv.Txn;
import io.rafty.node.RaftVerticle;
import io.rafty.security.Auth;
import io.rafty.security.Permissions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The auth gate of the client API (docs/SECURITY.md "Every entry point"), one handler ahead of every client route,
 * and the per-route checks the key routes make with what it found.
 *
 * <p>With auth enforced, every path is in one of three classes, decided here by path alone so that a route added
 * later is closed by default:
 * <ul>
 *   <li><b>open</b> — {@link #OPEN_PATHS} and the prefixes {@link #OPEN_PREFIXES}: probes, the node's own
 *       status, the static dashboard page and API docs, the token route; {@code /metrics} too unless {@code authMetricsOpen=false};</li>
 *   <li><b>key routes</b> — {@link #KEY_ROUTE_PREFIXES}: any authenticated user passes the gate; the handler then
 *       checks read or write on exactly the keys it touches ({@link #requireRead}, {@link #requireWrite},
 *       {@link #requireTxn});</li>
 *   <li><b>everything else</b> — admin, cluster, status, the auth API's user and role routes, unknown paths:
 *       the root role.</li>
 * </ul>
 * The peer routes under {@code /raft/} are not client routes: the cluster secret guards them
 * ({@link PeerAuthHandler}), and this gate lets them by.
 *
 * <p>Without a credential: 401 {@code unauthenticated}; with one that does not allow the request: 403
 * {@code permission_denied}. A genuine token naming a user this node has not applied yet (it was just created,
 * through another node) gets one read barrier, which brings the node up to the leader's commit, and is checked again.
 */
final class AccessControl {

    /** The routing-context key under which the gate leaves a {@link Grant}. */
    static final String GRANT = "rafty.grant";

    /**
     * Paths served without a credential when auth is on. {@code /v1/status} is this node's own role, term and
     * indexes, no key or value (etcd's Maintenance.Status needs no permission either); {@code run-cluster.sh
     * status} and the dashboard's first call read it.
     */
    static final Set<String> OPEN_PATHS = Set.of("/health", "/livez", "/readyz", "/", "/openapi.json", "/docs",
            "/v1/status", AuthRoutes.TOKEN_PATH);
    /** Path prefixes served without a credential: the dashboard's and Swagger UI's static files. */
    static final Set<String> OPEN_PREFIXES = Set.of("/dashboard/", "/docs/");
    /** Paths (and path prefixes, ending in '/') of the routes that check key permissions themselves. */
    static final Set<String> KEY_ROUTE_PREFIXES = Set.of("/v1/kv", "/v1/kv/", "/v1/watch", "/v1/watch/", "/v1/txn",
            "/v1/leases", "/v1/leases/");

    /**
     * What a request may do: {@link #ALL} when auth is off (or the route is open), else the principal the gate
     * authenticated, whose permissions come from the node's applied auth table as of the request.
     */
    record Grant(Auth.Principal principal) {
        static final Grant ALL = new Grant(null);

        boolean root() {
            return principal == null || principal.root();
        }

        /** The user name, or null when auth is off. */
        String user() {
            return principal == null ? null : principal.user().name();
        }
    }

    private final Auth auth;
    private final RaftVerticle raft;
    private final Consumer<Boolean> failureCounter;

    /** {@code failureCounter} counts refusals: true for 401, false for 403. */
    AccessControl(Auth auth, RaftVerticle raft, Consumer<Boolean> failureCounter) {
        this.auth = auth;
        this.raft = raft;
        this.failureCounter = failureCounter;
    }

    /** The path class of {@code path}; see the class comment. */
    enum PathClass { OPEN, KEYS, ROOT, PEER }

    PathClass classify(String path) {
        if (path.startsWith("/raft/") || path.equals("/raft")) {
            return PathClass.PEER;
        }
        if (OPEN_PATHS.contains(path) || (path.equals("/metrics") && auth.settings().metricsOpen())) {
            return PathClass.OPEN;
        }
        for (String prefix : OPEN_PREFIXES) {
            if (path.startsWith(prefix)) {
                return PathClass.OPEN;
            }
        }
        for (String prefix : KEY_ROUTE_PREFIXES) {
            if (prefix.endsWith("/") ? path.startsWith(prefix) : path.equals(prefix)) {
                return PathClass.KEYS;
            }
        }
        return PathClass.ROOT;
    }

    void handle(RoutingContext ctx) {
        if (!auth.enforced()) {
            ctx.put(GRANT, Grant.ALL);
            ctx.next();
            return;
        }
        PathClass pathClass = classify(ctx.normalizedPath());
        if (pathClass == PathClass.PEER || pathClass == PathClass.OPEN) {
            // No grant: an open route checks nothing, and a key check there would fail closed.
            ctx.next();
            return;
        }
        String header = ctx.request().getHeader("authorization");
        try {
            admit(ctx, pathClass, auth.authenticate(header));
        } catch (Auth.Unauthenticated e) {
            if (!e.retryAfterCatchUp()) {
                refuse(ctx, e.getMessage());
                return;
            }
            HttpServerRequest request = ctx.request();
            request.pause();
            raft.readBarrier().onComplete(ar -> {
                try {
                    admit(ctx, pathClass, auth.authenticate(header));
                } catch (Auth.Unauthenticated again) {
                    refuse(ctx, again.getMessage());
                } catch (ApiException refused) {
                    ApiVerticle.error(ctx, refused);
                } finally {
                    if (!request.isEnded()) {
                        request.resume();
                    }
                }
            });
        }
    }

    private void admit(RoutingContext ctx, PathClass pathClass, Auth.Principal principal) {
        if (pathClass == PathClass.ROOT && !principal.root()) {
            failureCounter.accept(false);
            throw denied(ctx.request().method() + " " + ctx.normalizedPath() + " needs the root role");
        }
        ctx.put(GRANT, new Grant(principal));
        ctx.next();
    }

    private void refuse(RoutingContext ctx, String message) {
        failureCounter.accept(true);
        ctx.response().putHeader("www-authenticate", "Bearer realm=\"rafty\"");
        ApiVerticle.error(ctx, unauthenticated(message));
    }

    static ApiException unauthenticated(String message) {
        return new ApiException(401, "unauthenticated", message);
    }

    static ApiException denied(String message) {
        return new ApiException(403, "permission_denied", message);
    }

    /** The grant the gate left; a route that runs without one is a wiring bug, refused rather than let through. */
    static Grant grant(RoutingContext ctx) {
        Grant grant = ctx.get(GRANT);
        if (grant == null) {
            throw unauthenticated("this request needs a token");
        }
        return grant;
    }

    /** Refuses (403) unless the request may read every key of {@code keys}. */
    static void requireRead(RoutingContext ctx, KeySelector keys, String what) {
        require(ctx, keys, Permissions.Need.READ, what);
    }

    /** Refuses (403) unless the request may write every key of {@code keys}. */
    static void requireWrite(RoutingContext ctx, KeySelector keys, String what) {
        require(ctx, keys, Permissions.Need.WRITE, what);
    }

    /** Refuses (403) unless the request is root's (or auth is off). */
    static void requireRoot(RoutingContext ctx, String what) {
        if (!grant(ctx).root()) {
            throw denied(what + " needs the root role");
        }
    }

    /** Refuses (403) unless every compare and op of {@code txn} is allowed; see {@link Permissions#txnRefusal}. */
    static void requireTxn(RoutingContext ctx, Txn txn) {
        Grant grant = grant(ctx);
        if (grant.root()) {
            return;
        }
        String refusal = Permissions.txnRefusal(grant.principal().state(), grant.principal().user(), txn);
        if (refusal != null) {
            throw denied("the transaction's " + refusal);
        }
    }

    private static void require(RoutingContext ctx, KeySelector keys, Permissions.Need need, String what) {
        Grant grant = grant(ctx);
        if (grant.root()) {
            return;
        }
        if (!Permissions.allows(grant.principal().state(), grant.principal().user(), keys, need)) {
            throw denied(what + " needs " + need.name().toLowerCase(java.util.Locale.ROOT) + " permission on "
                    + describe(keys) + " for user " + grant.user());
        }
    }

    private static String describe(KeySelector keys) {
        return switch (keys.kind()) {
            case KEY -> "key " + KeyCodec.display(keys.bytes());
            case PREFIX -> keys.bytes().length == 0 ? "every key (the empty prefix)"
                    : "every key under prefix " + KeyCodec.display(keys.bytes());
            case RANGE -> "the range from " + KeyCodec.display(keys.bytes());
        };
    }
}
