package io.rafty.api;

import java.util.Set;

/**
 * The routes served without a token when auth is on, as "METHOD path" of the router (ANY: every method): the
 * short open list of docs/SECURITY.md. Every other route must answer 401 without a credential; the route walks
 * of {@link AuthClusterTest} and {@code SecureClusterTest} fail on a new route until it is either closed or
 * added here on purpose.
 */
public final class AuthOpenRoutes {

    public static final Set<String> ROUTES = Set.of("GET /health", "GET /livez", "GET /readyz", "GET /",
            "GET /dashboard/", "GET /openapi.json", "GET /docs", "GET /docs/swagger-initializer.js", "GET /docs/",
            "GET /v1/status", "POST /v1/auth/token", "GET /metrics", "ANY /metrics");

    private AuthOpenRoutes() {
    }
}
