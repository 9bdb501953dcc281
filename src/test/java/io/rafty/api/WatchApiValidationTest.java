package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to the watch and history endpoints gets a JSON 4xx (or 503) before any stream starts:
 * unknown parameters, revisions that are negative, zero or not numbers, a malformed {@code Last-Event-ID},
 * progress intervals out of range, a compaction body that is not {@code {"revision":R}}, and one watcher
 * more than the node serves.
 */
class WatchApiValidationTest {

    private static final int MAX_WATCHERS = 2;

    @TempDir
    static Path dir;
    private static RaftyNode node;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        node = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(1, 0, List.of(), dir.resolve("n1")),
                Map.of("maxWatchers", MAX_WATCHERS)));
        SingleNodeApi.send(node, "PUT", "/v1/kv/k", "v".getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path)).GET()
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertBadRequest(HttpResponse<String> response, String mentions) {
        SingleNodeApi.assertError(response, 400, "bad_request");
        String message = new JsonObject(response.body()).getString("message");
        assertTrue(message.contains(mentions), message);
    }

    @Test
    void unknownParametersAreRefused() throws Exception {
        assertBadRequest(get("/v1/watch?prefix=a&fromrevision=3"), "fromrevision");
        assertBadRequest(get("/v1/watch/k?since=3"), "since");
    }

    @Test
    void revisionsMustBePositiveIntegers() throws Exception {
        assertBadRequest(get("/v1/watch?prefix=a&fromRevision=-1"), "fromRevision");
        assertBadRequest(get("/v1/watch?prefix=a&fromRevision=0"), "fromRevision");
        assertBadRequest(get("/v1/watch?prefix=a&fromRevision=abc"), "fromRevision");
        assertBadRequest(get("/v1/watch?prefix=a&fromRevision=99999999999999999999"), "fromRevision");
        assertBadRequest(get("/v1/kv/k?revision=-5"), "revision");
        assertBadRequest(get("/v1/kv/k?revision=1.5"), "revision");
        assertBadRequest(get("/v1/kv?prefix=a&revision=x"), "revision");
    }

    @Test
    void aMalformedLastEventIdIsRefused() throws Exception {
        assertBadRequest(get("/v1/watch?prefix=a", "Last-Event-ID", "abc"), "Last-Event-ID");
        assertBadRequest(get("/v1/watch?prefix=a", "Last-Event-ID", "-2"), "Last-Event-ID");
    }

    @Test
    void otherWatchParametersAreChecked() throws Exception {
        assertBadRequest(get("/v1/watch?prefix=a&prevKv=yes"), "prevKv");
        assertBadRequest(get("/v1/watch?prefix=a&progressMs=5"), "progressMs");
        assertBadRequest(get("/v1/watch?prefix=a&progressMs=-1"), "progressMs");
        assertBadRequest(get("/v1/watch"), "prefix");
        assertBadRequest(get("/v1/watch/k?prefix=a"), "prefix");
        assertBadRequest(get("/v1/watch/" + "k".repeat(1025)), "limit");
        assertBadRequest(get("/v1/watch?prefix=a&consistency=eventual"), "consistency");
    }

    @Test
    void aFutureRevisionIs400AndTheAnswerNamesTheCurrentOne() throws Exception {
        HttpResponse<String> future = get("/v1/kv/k?revision=1000000");
        SingleNodeApi.assertError(future, 400, "future_revision");
        assertTrue(new JsonObject(future.body()).getLong("revision") >= 1);
    }

    @Test
    void compactionTakesExactlyARevision() throws Exception {
        for (String body : List.of("", "[]", "{}", "{\"revision\":\"3\"}", "{\"revision\":0}", "{\"revision\":-3}",
                "{\"revision\":1.5}", "{\"revision\":3,\"extra\":1}", "not json")) {
            HttpResponse<String> response = SingleNodeApi.send(node, "POST", "/v1/compact",
                    body.getBytes(StandardCharsets.UTF_8));
            SingleNodeApi.assertError(response, 400, "bad_request");
        }
        SingleNodeApi.assertError(SingleNodeApi.send(node, "POST", "/v1/compact",
                "{\"revision\":100000}".getBytes(StandardCharsets.UTF_8)), 400, "future_revision");
    }

    @Test
    void oneWatcherMoreThanTheNodeServesGets503BeforeAnyStream() throws Exception {
        List<InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_WATCHERS; i++) {
                HttpResponse<InputStream> stream = HTTP.send(HttpRequest.newBuilder(
                        URI.create(node.url() + "/v1/watch?prefix=limit/")).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertEquals(200, stream.statusCode());
                open.add(stream.body());
            }
            Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> node.status().watchers() == MAX_WATCHERS);
            HttpResponse<String> refused = get("/v1/watch?prefix=limit/");
            SingleNodeApi.assertError(refused, 503, "overloaded");
            assertTrue(refused.headers().firstValue("retry-after").isPresent());
        } finally {
            for (InputStream stream : open) {
                stream.close();
            }
        }
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> node.status().watchers() == 0);
    }
}
