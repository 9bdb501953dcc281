package io.rafty.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.config.TestConfigs;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Work that cannot complete piles up only to a bound: with both followers stopped nothing commits and
 * no read is confirmed, so writes and reads wait at the leader — at most {@code maxPendingProposals} and
 * {@code maxPendingReads} of them; the rest get 503 overloaded (not applied, safe to retry) at once.
 */
class PendingLimitsTest {

    private static final int MAX_PENDING = 5;
    private static final int REQUESTS = 300;

    @TempDir
    Path dir;

    @Test
    void writesAndReadsBeyondThePendingLimitsGet503Overloaded() throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, new VertxOptions(),
                // Without CheckQuorum the isolated leader keeps leading, so requests reach the pending maps.
                c -> TestConfigs.with(c, Map.of("maxPendingProposals", MAX_PENDING, "maxPendingReads", MAX_PENDING,
                        "checkQuorum", false, "clientRequestTimeoutMs", 3000)),
                id -> io.rafty.RaftyNode.StorageWrappers.NONE)) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            assertEquals(200, cluster.put(leader, "before", "v").statusCode());
            for (int id : List.copyOf(cluster.nodes.keySet())) {
                if (id != leader) {
                    cluster.stop(id);
                }
            }

            Map<String, Integer> writes = fire(cluster, leader, "PUT");
            assertTrue(writes.getOrDefault("503 overloaded", 0) >= REQUESTS - 2 * MAX_PENDING, writes.toString());
            assertTrue(writes.getOrDefault("504 outcome_unknown", 0) >= 1, "some writes waited: " + writes);
            assertEquals(REQUESTS, writes.getOrDefault("503 overloaded", 0)
                    + writes.getOrDefault("504 outcome_unknown", 0), "only overloaded or unknown: " + writes);

            Map<String, Integer> reads = fire(cluster, leader, "GET");
            assertTrue(reads.getOrDefault("503 overloaded", 0) >= REQUESTS - 2 * MAX_PENDING, reads.toString());
            assertEquals(REQUESTS, reads.getOrDefault("503 overloaded", 0) + reads.getOrDefault("503 no_leader", 0),
                    "only overloaded or unconfirmed: " + reads);

            assertEquals(200, cluster.get(leader, "/health").statusCode());
        }
    }

    /** Sends {@link #REQUESTS} concurrent requests and counts the answers by status and error code. */
    private static Map<String, Integer> fire(TestCluster cluster, int node, String method) throws Exception {
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.url(node) + "/v1/kv/pending-" + i))
                    .timeout(Duration.ofSeconds(20)).version(HttpClient.Version.HTTP_1_1)
                    .method(method, method.equals("PUT") ? HttpRequest.BodyPublishers.ofString("x")
                            : HttpRequest.BodyPublishers.noBody())
                    .build();
            inFlight.add(cluster.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (CompletableFuture<HttpResponse<String>> response : inFlight) {
            HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
            String code = answer.statusCode() == 200 ? "" : new JsonObject(answer.body()).getString("error");
            counts.merge(answer.statusCode() + " " + code, 1, Integer::sum);
        }
        return counts;
    }
}
