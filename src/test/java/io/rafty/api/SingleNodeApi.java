package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;

/** A single-voter node for API tests, and the requests and assertions they share. */
final class SingleNodeApi {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private SingleNodeApi() {
    }

    /** Starts {@code config} (a node without peers) and waits until it leads. */
    static RaftyNode start(NodeConfig config) throws Exception {
        Map<Integer, String> addresses = new ConcurrentHashMap<>();
        RaftyNode node = RaftyNode.start(config, addresses, new VertxOptions());
        addresses.put(config.id(), node.url());
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.status().leaderId() == config.id());
        // The leader binds itself to its storage with one configuration entry of its own; tests that count
        // entries start after it.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> node.status().membership().bindsStorage()
                && node.status().appliedIndex() == node.status().lastLogIndex());
        return node;
    }

    static HttpResponse<String> send(RaftyNode node, String method, String path, byte[] body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The response is a JSON error with this status and code, and a message that names the problem. */
    static void assertError(HttpResponse<String> response, int status, String code) {
        assertEquals(status, response.statusCode(), response.body());
        JsonObject body = new JsonObject(response.body());
        assertEquals(code, body.getString("error"));
        assertTrue(body.getString("message").length() > 5, "message names the problem");
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
    }
}
