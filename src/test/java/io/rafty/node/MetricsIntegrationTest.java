package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /metrics on a real three-node cluster: the rafty_ series with their Prometheus types, counters and
 * histograms that move with writes, leadership as each node sees it, and the JVM's and Vert.x's HTTP
 * series beside them (DESIGN §4, Operations).
 */
class MetricsIntegrationTest {

    private static final Duration BUDGET = Duration.ofSeconds(10);

    @TempDir
    Path root;
    private TestCluster cluster;

    @BeforeEach
    void start() throws Exception {
        cluster = new TestCluster(root, 3);
    }

    @AfterEach
    void stop() {
        cluster.close();
    }

    @Test
    void raftySeriesHaveTheirPrometheusTypes() throws Exception {
        int leader = cluster.awaitSettled(BUDGET);
        Scrape scrape = scrape(leader);
        Map<String, String> expected = new HashMap<>();
        for (String gauge : new String[] {"rafty_has_leader", "rafty_is_leader", "rafty_proposals_pending",
                "rafty_watchers", "rafty_leases", "rafty_term", "rafty_commit_index", "rafty_applied_index",
                "rafty_snapshot_index", "rafty_storage_fenced"}) {
            expected.put(gauge, "gauge");
        }
        for (String counter : new String[] {"rafty_leader_changes_seen_total", "rafty_proposals_committed_total",
                "rafty_proposals_applied_total", "rafty_proposals_failed_total"}) {
            expected.put(counter, "counter");
        }
        for (String histogram : new String[] {"rafty_wal_fsync_duration_seconds", "rafty_apply_duration_seconds",
                "rafty_peer_round_trip_time_seconds"}) {
            expected.put(histogram, "histogram");
        }
        expected.forEach((name, type) -> assertEquals(type, scrape.types.get(name), name + " in\n" + scrape.text));
        // Histograms are Prometheus histograms: cumulative buckets up to +Inf, not client-side quantiles.
        assertTrue(scrape.text.contains("rafty_wal_fsync_duration_seconds_bucket{le=\"1.0E-4\"}")
                || scrape.text.contains("rafty_wal_fsync_duration_seconds_bucket{le=\"0.0001\"}"), scrape.text);
        assertTrue(scrape.text.contains("rafty_wal_fsync_duration_seconds_bucket{le=\"+Inf\"}"), scrape.text);
    }

    @Test
    void writesMoveTheCountersAndHistograms() throws Exception {
        int leader = cluster.awaitSettled(BUDGET);
        int follower = cluster.anyFollower(leader);
        Scrape before = scrape(leader);

        for (int i = 0; i < 20; i++) {
            assertEquals(200, cluster.put(i % 2 == 0 ? leader : follower, "metrics/k" + i, "v" + i).statusCode());
        }
        assertEquals(200, cluster.post(leader, "/v1/leases", "{\"ttl\":60}").statusCode());

        await().atMost(BUDGET).untilAsserted(() -> {
            Scrape after = scrape(leader);
            assertTrue(after.value("rafty_proposals_committed_total") >= before.value("rafty_proposals_committed_total")
                    + 21, "21 writes committed: " + after.value("rafty_proposals_committed_total"));
            assertTrue(after.value("rafty_proposals_applied_total") >= before.value("rafty_proposals_applied_total")
                    + 21, "21 writes applied: " + after.value("rafty_proposals_applied_total"));
            assertTrue(after.value("rafty_wal_fsync_duration_seconds_count")
                    > before.value("rafty_wal_fsync_duration_seconds_count"), "the log was synced");
            assertTrue(after.value("rafty_wal_fsync_duration_seconds_sum") > 0);
            assertTrue(after.value("rafty_apply_duration_seconds_count")
                    > before.value("rafty_apply_duration_seconds_count"), "batches were applied");
            assertEquals(1, after.value("rafty_leases"), "the granted lease is in the store");
            assertEquals(after.value("rafty_applied_index"), after.value("rafty_proposals_applied_total"));
        });
        Scrape after = scrape(leader);
        // Answered writes are no longer pending; none of these failed.
        assertEquals(0, after.value("rafty_proposals_pending"));
        assertEquals(before.value("rafty_proposals_failed_total"), after.value("rafty_proposals_failed_total"));
        // Every peer answered batches, each timed under its own label.
        for (int peer = 1; peer <= 3; peer++) {
            if (peer != leader) {
                assertTrue(after.value("rafty_peer_round_trip_time_seconds_count", "peer=\"" + peer + "\"") > 0,
                        "round trips to node " + peer + " in\n" + after.text);
            }
        }
        // The follower forwarded half of the writes: they were pending there and are answered now.
        assertEquals(0, scrape(follower).value("rafty_proposals_pending"));
    }

    @Test
    void everyNodeKnowsTheLeaderAndOnlyTheLeaderSaysItLeads() throws Exception {
        int leader = cluster.awaitSettled(BUDGET);
        for (int id = 1; id <= 3; id++) {
            int node = id;
            await().atMost(BUDGET).untilAsserted(() -> {
                Scrape scrape = scrape(node);
                assertEquals(1, scrape.value("rafty_has_leader"), "node " + node);
                assertEquals(node == leader ? 1 : 0, scrape.value("rafty_is_leader"), "node " + node);
                assertTrue(scrape.value("rafty_leader_changes_seen_total") >= 1, "node " + node);
                assertTrue(scrape.value("rafty_term") >= 1, "node " + node);
                assertEquals(0, scrape.value("rafty_storage_fenced"), "node " + node);
            });
        }
    }

    @Test
    void aWriteThatCannotCommitCountsAsFailedAndALoneNodeHasNoLeader() throws Exception {
        int leader = cluster.awaitSettled(BUDGET);
        Scrape before = scrape(leader);
        for (int id = 1; id <= 3; id++) {
            if (id != leader) {
                cluster.stop(id);
            }
        }
        // Without a quorum the write is refused or times out (503 / 504), never applied.
        HttpResponse<String> write = cluster.put(leader, "metrics/lost", "v");
        assertTrue(write.statusCode() == 503 || write.statusCode() == 504, write.statusCode() + " " + write.body());
        await().atMost(BUDGET).untilAsserted(() -> {
            Scrape after = scrape(leader);
            assertTrue(after.value("rafty_proposals_failed_total") >= before.value("rafty_proposals_failed_total")
                    + 1, "the write counted as failed");
            assertEquals(0, after.value("rafty_proposals_pending"));
            // CheckQuorum: the old leader steps down once it hears from no majority.
            assertEquals(0, after.value("rafty_has_leader"));
            assertEquals(0, after.value("rafty_is_leader"));
        });
    }

    @Test
    void jvmAndHttpServerSeriesSitBesideRaftys() throws Exception {
        int leader = cluster.awaitSettled(BUDGET);
        assertEquals(200, cluster.put(leader, "metrics/http", "v").statusCode());
        assertEquals(404, cluster.get(leader, "/v1/kv/metrics/absent").statusCode());
        HttpResponse<String> grant = cluster.post(leader, "/v1/leases", "{\"ttl\":60}");
        assertEquals(200, grant.statusCode(), grant.body());
        long lease = new io.vertx.core.json.JsonObject(grant.body()).getLong("id");
        assertEquals(200, cluster.post(leader, "/v1/leases/" + lease + "/keepalive", "").statusCode());
        await().atMost(BUDGET).untilAsserted(() -> {
            Scrape scrape = scrape(leader);
            for (String jvm : new String[] {"jvm_memory_used_bytes", "jvm_gc_memory_allocated_bytes_total",
                    "jvm_threads_live_threads", "process_cpu_usage", "system_cpu_count", "process_uptime_seconds"}) {
                assertTrue(scrape.types.containsKey(jvm), jvm + " in\n" + scrape.text);
            }
            // Requests by the route that answered (its template: "/v1/kv/*" shows as "/v1/kv/", never the key),
            // method and status code.
            assertTrue(scrape.value("vertx_http_server_requests_total",
                    "code=\"200\"", "method=\"PUT\"", "route=\"/v1/kv/\"") >= 1, scrape.text);
            assertTrue(scrape.value("vertx_http_server_requests_total",
                    "code=\"404\"", "method=\"GET\"", "route=\"/v1/kv/\"") >= 1, scrape.text);
            assertTrue(scrape.value("vertx_http_server_requests_total",
                    "code=\"200\"", "route=\"/v1/leases/:id/keepalive\"") >= 1, scrape.text);
            assertFalse(scrape.text.contains("metrics/http"), "no raw path becomes a label");
            assertFalse(scrape.text.contains("/v1/leases/" + lease), "no lease id becomes a label");
            assertEquals("histogram", scrape.types.get("vertx_http_server_response_time_seconds"), scrape.text);
            // Peer batches arrive through the same server: their route is the peer path.
            assertTrue(scrape.value("vertx_http_server_requests_total", "route=\"/raft/messages\"") >= 1);
        });
    }

    @Test
    void scrapeAnswersPrometheusText() throws Exception {
        int leader = cluster.awaitSettled(BUDGET);
        HttpResponse<String> response = cluster.get(leader, "/metrics");
        assertEquals(200, response.statusCode());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("text/plain"),
                response.headers().toString());
    }

    private Scrape scrape(int node) throws Exception {
        HttpResponse<String> response = cluster.get(node, "/metrics");
        assertEquals(200, response.statusCode(), response.body());
        return new Scrape(response.body());
    }

    /** A parsed Prometheus text page: each series' TYPE, and the values of its samples. */
    private static final class Scrape {

        private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE);
        private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$",
                Pattern.MULTILINE);

        final String text;
        final Map<String, String> types = new HashMap<>();

        Scrape(String text) {
            this.text = text;
            Matcher type = TYPE.matcher(text);
            while (type.find()) {
                types.put(type.group(1), type.group(2));
            }
        }

        /** The sum of the samples named {@code name} whose labels contain every one of {@code labels}. */
        double value(String name, String... labels) {
            Matcher sample = SAMPLE.matcher(text);
            double sum = 0;
            boolean found = false;
            while (sample.find()) {
                if (!sample.group(1).equals(name)) {
                    continue;
                }
                String sampleLabels = sample.group(2) == null ? "" : sample.group(2);
                boolean matches = true;
                for (String label : labels) {
                    matches &= sampleLabels.contains(label);
                }
                if (matches) {
                    sum += Double.parseDouble(sample.group(3));
                    found = true;
                }
            }
            assertTrue(found, "no sample " + name + " " + String.join(",", labels));
            return sum;
        }
    }
}
