package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document and the router describe the same client API: a route added to
 * {@code ApiVerticle.router()} without its operation in {@code openapi.json} fails here, and so does an
 * operation in the document that no route serves. Peer routes ({@code /raft/*}) and Swagger UI's static files
 * under {@code /docs/} are not client API and are left out on both sides.
 */
class OpenApiRoutesTest {

    @TempDir
    static Path dir;
    private static RaftyNode node;

    @BeforeAll
    static void start() throws Exception {
        node = SingleNodeApi.start(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    /** "METHOD pattern" for every route of the router that answers requests, as the document keys them. */
    private static Set<String> routerOperations() {
        Set<String> operations = new TreeSet<>();
        for (Route route : node.api().routes()) {
            Set<HttpMethod> methods = route.methods();
            if (methods == null || methods.isEmpty()) {
                continue; // body handlers, the query-parameter limit and the failure handler: no operation of their own
            }
            // (Vert.x compiles ":id" paths to a regex too, but keeps the path; a pure regex route has none.)
            assertTrue(route.getPath() != null, "a route given as a regex cannot be matched to the document: " + route);
            String pattern = route.isExactPath() ? route.getPath() : route.getPath() + "*";
            if (pattern.startsWith("/raft/") || pattern.startsWith(ApiDocs.DOCS_PATH + "/")) {
                continue;
            }
            for (HttpMethod method : methods) {
                operations.add(OpenApiSpec.routeKey(method.name(), pattern));
            }
        }
        return operations;
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
        Set<String> routed = routerOperations();
        Set<String> documented = new TreeSet<>(OpenApiSpec.load().operationsByRoute().keySet());

        Set<String> undocumented = new TreeSet<>(routed);
        undocumented.removeAll(documented);
        Set<String> unrouted = new TreeSet<>(documented);
        unrouted.removeAll(routed);
        assertTrue(undocumented.isEmpty(), "routes missing from src/main/resources/openapi/openapi.json: "
                + undocumented + " (add an operation for each; a wildcard route needs \"x-rafty-route\")");
        assertTrue(unrouted.isEmpty(), "operations in openapi.json that no route serves: " + unrouted);
    }

    @Test
    void theComparisonSeesTheRoutesItShould() {
        // Guards the test above against comparing two empty sets: the router's view includes known routes.
        Set<String> routed = routerOperations();
        assertTrue(routed.contains("PUT /v1/kv/*"), routed.toString());
        assertTrue(routed.contains("DELETE /v1/leases/:id"), routed.toString());
        assertTrue(routed.contains("GET /readyz"), routed.toString());
        assertFalse(routed.stream().anyMatch(r -> r.contains(" /raft/")), routed.toString()); // peer routes, not /v1/raft/log
    }

    @Test
    void everyOperationListsAnErrorForItsFailuresAndAJsonSchemaForItsJsonAnswers() {
        for (OpenApiSpec.Operation op : OpenApiSpec.load().operationsByRoute().values()) {
            var responses = op.json().getJsonObject("responses");
            assertTrue(responses.containsKey("default"), op.id() + " documents the errors any route can give");
            assertTrue(responses.fieldNames().stream().anyMatch(s -> s.startsWith("2") || s.startsWith("3")),
                    op.id() + " documents its success");
            assertTrue(op.json().getString("operationId") != null, op.id() + " has an operationId");
        }
    }
}
