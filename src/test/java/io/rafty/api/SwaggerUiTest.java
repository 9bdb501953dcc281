package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /docs} as a browser loads it: the redirect to the page, every script, stylesheet and icon the page
 * references (all from the node itself, none from a CDN), and the initializer that points the UI at
 * {@code /openapi.json}.
 */
class SwaggerUiTest {

    private static final HttpClient BROWSER = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(5)).build();

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

    private static HttpResponse<String> get(URI uri) throws Exception {
        return BROWSER.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String contentType(HttpResponse<String> response) {
        return response.headers().firstValue("content-type").orElse("");
    }

    @Test
    void thePageAndEverythingItReferencesAreServedFromTheNode() throws Exception {
        HttpResponse<String> page = get(URI.create(node.url() + "/docs"));
        assertEquals(200, page.statusCode(), page.body());
        assertEquals("/docs/", page.uri().getPath(), "/docs redirects to the page, whose references are relative");
        assertTrue(contentType(page).startsWith("text/html"), contentType(page));

        Document html = Jsoup.parse(page.body(), page.uri().toString());
        List<Element> references = new ArrayList<>();
        references.addAll(html.select("script[src]"));
        references.addAll(html.select("link[href]"));
        references.addAll(html.select("img[src]"));
        assertTrue(html.select("script[src]").size() >= 3, "the bundle, the preset and the initializer: " + html);
        boolean initializerSeen = false;
        for (Element reference : references) {
            String url = reference.hasAttr("src") ? reference.absUrl("src") : reference.absUrl("href");
            URI uri = URI.create(url);
            assertEquals(URI.create(node.url()).getAuthority(), uri.getAuthority(), "served by the node, not fetched "
                    + "from elsewhere: " + url);
            HttpResponse<String> asset = get(uri);
            assertEquals(200, asset.statusCode(), url);
            assertFalse(asset.body().isEmpty(), url);
            String type = contentType(asset);
            if (uri.getPath().endsWith(".js")) {
                assertTrue(type.startsWith("text/javascript") || type.startsWith("application/javascript"), url + " " + type);
            } else if (uri.getPath().endsWith(".css")) {
                assertTrue(type.startsWith("text/css"), url + " " + type);
            } else if (uri.getPath().endsWith(".png")) {
                assertTrue(type.startsWith("image/png"), url + " " + type);
            }
            if (uri.getPath().equals("/docs/swagger-initializer.js")) {
                initializerSeen = true;
                assertTrue(asset.body().contains("url: \"/openapi.json\""), asset.body());
                assertFalse(asset.body().contains("petstore"), "the webjar's own initializer is replaced");
            }
        }
        assertTrue(initializerSeen, "the page loads /docs/swagger-initializer.js: " + html);
    }

    @Test
    void theDocumentTheUiLoadsIsServed() throws Exception {
        HttpResponse<String> spec = get(URI.create(node.url() + "/openapi.json"));
        assertEquals(200, spec.statusCode());
        assertTrue(contentType(spec).startsWith("application/json"), contentType(spec));
        assertTrue(new io.vertx.core.json.JsonObject(spec.body()).getString("openapi").startsWith("3."));
    }

    @Test
    void aFileTheUiDoesNotHaveIsA404() throws Exception {
        HttpResponse<String> missing = get(URI.create(node.url() + "/docs/no-such-file.js"));
        assertEquals(404, missing.statusCode());
        assertEquals("not_found", new io.vertx.core.json.JsonObject(missing.body()).getString("error"));
        // Out of the webjar's folder, e.g. to another webjar's files or this jar's classes: not served.
        for (String escape : List.of("/docs/%2e%2e/%2e%2e/swagger-ui/index.html", "/docs/..%2f..%2fopenapi/openapi.json",
                "/docs/%2e%2e/%2e%2e/%2e%2e/%2e%2e/io/rafty/Main.class")) {
            HttpResponse<String> outside = get(URI.create(node.url() + escape));
            assertEquals(404, outside.statusCode(), escape + ": " + outside.body());
        }
    }
}
