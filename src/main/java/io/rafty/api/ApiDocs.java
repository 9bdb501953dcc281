package io.rafty.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * {@code GET /openapi.json} (the OpenAPI 3.1 document of the client API, kept by hand in
 * {@code src/main/resources/openapi/openapi.json}; {@code OpenApiRoutesTest} fails when it and the router
 * disagree) and {@code GET /docs}, Swagger UI from the {@code org.webjars:swagger-ui} jar on the classpath,
 * with its initializer replaced by one that loads {@code /openapi.json}. Nothing comes from the internet.
 *
 * <p>The document, the initializer and the webjar's version are read from the classpath when the API server
 * is built (on the thread that starts the node, not an event loop); the UI's files are served by Vert.x's
 * {@link StaticHandler}, which reads them off the event loop.
 */
final class ApiDocs {

    static final String SPEC_PATH = "/openapi.json";
    static final String DOCS_PATH = "/docs";
    private static final String SPEC_RESOURCE = "openapi/openapi.json";
    private static final String INITIALIZER_RESOURCE = "openapi/swagger-initializer.js";
    private static final String WEBJAR_PROPERTIES = "META-INF/maven/org.webjars/swagger-ui/pom.properties";
    private static final String WEBJAR_ROOT = "META-INF/resources/webjars/swagger-ui/";

    private final Buffer spec;
    private final Buffer initializer;
    private final String webjarRoot;

    private ApiDocs(Buffer spec, Buffer initializer, String webjarRoot) {
        this.spec = spec;
        this.initializer = initializer;
        this.webjarRoot = webjarRoot;
    }

    /** Reads the document, the initializer and the Swagger UI version from the classpath. */
    static ApiDocs load() {
        ClassLoader loader = ApiDocs.class.getClassLoader();
        Properties webjar = new Properties();
        try (InputStream in = open(loader, WEBJAR_PROPERTIES)) {
            webjar.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + WEBJAR_PROPERTIES, e);
        }
        String version = webjar.getProperty("version");
        if (version == null || version.isBlank()) {
            throw new IllegalStateException(WEBJAR_PROPERTIES + " names no version");
        }
        return new ApiDocs(read(loader, SPEC_RESOURCE), read(loader, INITIALIZER_RESOURCE),
                WEBJAR_ROOT + version);
    }

    /** Adds {@code /openapi.json}, {@code /docs} and the UI's files under {@code /docs/} to {@code router}. */
    void routes(Router router) {
        router.get(SPEC_PATH).handler(ctx -> send(ctx, "application/json", spec));
        // The UI's files are relative to the page (./swagger-ui.css), so the page must be at /docs/. (Vert.x
        // matches "/docs" to "/docs/" too; that one goes on to the page.)
        router.get(DOCS_PATH).handler(ctx -> {
            if (ctx.request().path().endsWith("/")) {
                ctx.next();
            } else {
                ctx.redirect(DOCS_PATH + "/");
            }
        });
        router.get(DOCS_PATH + "/swagger-initializer.js")
                .handler(ctx -> send(ctx, "text/javascript; charset=utf-8", initializer));
        router.get(DOCS_PATH + "/*").handler(StaticHandler.create(webjarRoot).setIndexPage("index.html"));
    }

    private static void send(RoutingContext ctx, String contentType, Buffer body) {
        ctx.response().putHeader("content-type", contentType).putHeader("cache-control", "no-cache").end(body);
    }

    private static InputStream open(ClassLoader loader, String resource) throws IOException {
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException(resource + " is not on the classpath");
        }
        return in;
    }

    private static Buffer read(ClassLoader loader, String resource) {
        try (InputStream in = open(loader, resource)) {
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
