package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OpenAPI document of {@code src/main/resources/openapi/openapi.json}, read as the tests need it: its
 * operations keyed the way the router names routes, and a check that a real response is one the document
 * promises (a status listed for the operation, a listed content type, a JSON body valid against the schema of
 * that status, {@code $ref}s resolved by the JSON Schema validator within the whole document).
 */
final class OpenApiSpec {

    /** Where the document is said to live, so that {@code #/components/...} references resolve inside it. */
    private static final String BASE = "https://rafty.invalid/openapi.json";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    /** One operation: its path template in the document, its method, and its JSON. */
    record Operation(String path, String method, JsonObject json) {
        String id() {
            return method.toUpperCase(Locale.ROOT) + " " + path;
        }
    }

    final String text;
    final JsonObject document;
    private final SchemaRegistry registry;
    private final Map<String, Operation> byRoute = new LinkedHashMap<>();
    private final Map<String, Schema> schemas = new ConcurrentHashMap<>();
    /** Operation id → statuses the tests saw it answer and found as documented. */
    private final Map<String, Set<Integer>> seen = new ConcurrentHashMap<>();

    private OpenApiSpec(String text) {
        this.text = text;
        this.document = new JsonObject(text);
        this.registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemas(Map.of(BASE, text)));
        JsonObject paths = document.getJsonObject("paths");
        for (String path : paths.fieldNames()) {
            JsonObject item = paths.getJsonObject(path);
            for (String method : item.fieldNames()) {
                if (METHODS.contains(method)) {
                    byRoute.put(routeKey(method, route(path, item)), new Operation(path, method, item.getJsonObject(method)));
                }
            }
        }
    }

    static OpenApiSpec load() {
        try (InputStream in = OpenApiSpec.class.getClassLoader().getResourceAsStream("openapi/openapi.json")) {
            assertNotNull(in, "openapi/openapi.json is on the classpath");
            return new OpenApiSpec(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The router's pattern for a document path: {@code x-rafty-route} when the path item gives one (a key that
     * is the rest of the path is a wildcard route), else the template with {@code {name}} as {@code :name}.
     */
    static String route(String path, JsonObject item) {
        String declared = item.getString("x-rafty-route");
        return declared != null ? declared : path.replaceAll("\\{([^}/]+)}", ":$1");
    }

    static String routeKey(String method, String route) {
        return method.toUpperCase(Locale.ROOT) + " " + route;
    }

    /** Every operation keyed "METHOD route", e.g. {@code GET /v1/leases/:id}, {@code PUT /v1/kv/*}. */
    Map<String, Operation> operationsByRoute() {
        return byRoute;
    }

    Operation operation(String path, String method) {
        JsonObject item = document.getJsonObject("paths").getJsonObject(path);
        assertNotNull(item, "the document has no path " + path);
        JsonObject json = item.getJsonObject(method.toLowerCase(Locale.ROOT));
        assertNotNull(json, "the document has no " + method + " " + path);
        return new Operation(path, method.toLowerCase(Locale.ROOT), json);
    }

    /**
     * Asserts that {@code response} is documented for the operation {@code method path} (the document's template,
     * such as {@code /v1/kv/{key}}): its status is listed explicitly (not only as {@code default}), its content
     * type is one of that status's, and a JSON body validates against that status's schema. Returns the body as
     * JSON when it is JSON, else null.
     */
    JsonObject check(String method, String path, HttpResponse<String> response) {
        Operation op = operation(path, method);
        String status = Integer.toString(response.statusCode());
        JsonObject responses = op.json().getJsonObject("responses");
        assertTrue(responses.containsKey(status), op.id() + " answered " + status + ", which the document does not "
                + "list (it lists " + responses.fieldNames() + "): " + response.body());
        String pointer = "/paths/" + escape(path) + "/" + op.method() + "/responses/" + status;
        JsonObject documented = responses.getJsonObject(status);
        String ref = documented.getString("$ref");
        if (ref != null) {
            pointer = ref.substring(1);
            documented = resolve(ref);
        }
        JsonObject content = documented.getJsonObject("content");
        String contentType = response.headers().firstValue("content-type").orElse("");
        String mediaType = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        seen.computeIfAbsent(op.id(), k -> new TreeSet<>()).add(response.statusCode());
        if (content == null) {
            return null;
        }
        assertTrue(content.containsKey(mediaType), op.id() + " " + status + " answered content type '" + contentType
                + "', the document lists " + content.fieldNames());
        if (!mediaType.equals("application/json")) {
            return null;
        }
        JsonObject body = new JsonObject(response.body());
        validate(pointer + "/content/" + escape(mediaType) + "/schema", response.body(), op.id() + " " + status);
        return body;
    }

    /** Asserts that {@code json} is valid against the schema at {@code pointer} (a JSON pointer into the document). */
    void validate(String pointer, String json, String what) {
        Schema schema = schemas.computeIfAbsent(pointer, p -> registry.getSchema(SchemaLocation.of(BASE + "#" + fragment(p))));
        List<com.networknt.schema.Error> errors = schema.validate(json, InputFormat.JSON);
        if (!errors.isEmpty()) {
            fail(what + ": the body does not match the document's schema: " + errors + "\nbody: " + json);
        }
    }

    /** The JSON pointer of the schema an SSE event of type {@code event} carries, per {@code x-rafty-events}. */
    String eventSchemaPointer(String path, String event) {
        JsonObject media = operation(path, "get").json().getJsonObject("responses").getJsonObject("200")
                .getJsonObject("content").getJsonObject("text/event-stream");
        JsonObject events = media.getJsonObject("x-rafty-events");
        assertNotNull(events, "GET " + path + " describes its SSE events in x-rafty-events");
        JsonObject schema = events.getJsonObject(event);
        assertNotNull(schema, "GET " + path + " does not document the SSE event type '" + event + "'");
        return schema.getString("$ref").substring(1);
    }

    /** The statuses each operation was seen to answer by {@link #check}. */
    Map<String, Set<Integer>> seen() {
        return seen;
    }

    JsonObject resolve(String ref) {
        assertTrue(ref.startsWith("#/"), "only local references are used: " + ref);
        Object at = document;
        for (String token : ref.substring(2).split("/")) {
            String name = token.replace("~1", "/").replace("~0", "~");
            at = ((JsonObject) at).getValue(name);
            assertNotNull(at, "unresolved reference " + ref);
        }
        return (JsonObject) at;
    }

    /** A path or media type as one JSON pointer token. */
    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** A JSON pointer as a URI fragment (RFC 6901 section 6): the braces of path templates percent-encoded. */
    private static String fragment(String pointer) {
        return pointer.replace("{", "%7B").replace("}", "%7D");
    }

    static void assertStatus(int expected, HttpResponse<String> response) {
        assertEquals(expected, response.statusCode(), response.body());
    }
}
