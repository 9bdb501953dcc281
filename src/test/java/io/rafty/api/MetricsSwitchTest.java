package io.rafty.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.TestConfigs;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KVSTORE_METRICS_ENABLED: on by default, and off means a 404 that says so, while the node serves as usual. */
class MetricsSwitchTest {

    @TempDir
    Path dir;

    @Test
    void metricsOffAnswers404MetricsDisabledAndTheNodeStillServes() throws Exception {
        try (RaftyNode node = SingleNodeApi.start(TestConfigs.with(TestConfigs.node(1, 0, List.of(),
                dir.resolve("off")), Map.of("metricsEnabled", false)))) {
            HttpResponse<String> metrics = SingleNodeApi.send(node, "GET", "/metrics", new byte[0]);
            SingleNodeApi.assertError(metrics, 404, "metrics_disabled");
            assertTrue(metrics.body().contains("KVSTORE_METRICS_ENABLED"), metrics.body());
            assertEquals(200, SingleNodeApi.send(node, "PUT", "/v1/kv/a", "1".getBytes(StandardCharsets.UTF_8))
                    .statusCode());
        }
    }

    @Test
    void metricsOnByDefaultAnswersPrometheusText() throws Exception {
        try (RaftyNode node = SingleNodeApi.start(TestConfigs.node(1, 0, List.of(), dir.resolve("on")))) {
            HttpResponse<String> metrics = SingleNodeApi.send(node, "GET", "/metrics", new byte[0]);
            assertEquals(200, metrics.statusCode(), metrics.body());
            assertTrue(metrics.body().contains("# TYPE rafty_has_leader gauge"), metrics.body());
            assertTrue(metrics.body().contains("rafty_has_leader 1.0"), metrics.body());
        }
    }
}
