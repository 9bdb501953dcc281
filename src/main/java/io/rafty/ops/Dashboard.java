package io.rafty.ops;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The live dashboard (DESIGN §4, {@code GET /}): one page and its script and style sheet, plain files in
 * {@code src/main/resources/dashboard/} with no build step and nothing fetched from the internet. The page
 * itself polls the members' JSON API from the browser; this class only serves the files, which it reads from
 * the classpath once, when the API server is built (not on an event loop), and answers from memory.
 * docs/DASHBOARD.md says what the page shows and where each figure comes from.
 */
public final class Dashboard {

    public static final String PAGE_PATH = "/";
    public static final String ASSETS_PATH = "/dashboard/";
    private static final String RESOURCES = "dashboard/";
    private static final Map<String, String> ASSETS = Map.of(
            "dashboard.js", "text/javascript; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8");

    private final Buffer page;
    private final Map<String, Buffer> assets;

    private Dashboard(Buffer page, Map<String, Buffer> assets) {
        this.page = page;
        this.assets = assets;
    }

    /** Reads the page and its assets from the classpath. */
    public static Dashboard load() {
        ClassLoader loader = Dashboard.class.getClassLoader();
        Buffer page = read(loader, RESOURCES + "index.html");
        Map<String, Buffer> assets = new java.util.HashMap<>();
        for (String name : ASSETS.keySet()) {
            assets.put(name, read(loader, RESOURCES + name));
        }
        return new Dashboard(page, Map.copyOf(assets));
    }

    /** Adds {@code GET /} (the page) and {@code GET /dashboard/*} (its script and style sheet) to {@code router}. */
    public void routes(Router router) {
        router.get(PAGE_PATH).handler(ctx -> send(ctx, "text/html; charset=utf-8", page));
        router.get(ASSETS_PATH + "*").handler(this::asset);
    }

    private void asset(RoutingContext ctx) {
        String name = ctx.request().path().substring(ASSETS_PATH.length());
        Buffer body = assets.get(name);
        if (body == null) {
            ctx.response().setStatusCode(404).putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", "not_found").put("message", "the dashboard has no file "
                            + ctx.request().path()).toBuffer());
            return;
        }
        send(ctx, ASSETS.get(name), body);
    }

    private static void send(RoutingContext ctx, String contentType, Buffer body) {
        ctx.response().putHeader("content-type", contentType).putHeader("cache-control", "no-cache")
                .putHeader("x-content-type-options", "nosniff").end(body);
    }

    private static Buffer read(ClassLoader loader, String resource) {
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " is not on the classpath");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
