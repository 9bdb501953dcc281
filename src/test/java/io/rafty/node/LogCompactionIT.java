package io.rafty.node;

import io.rafty.config.TestConfigs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7's figure: 200 000 keys written with a snapshot every 10 000 entries keep the log's size
 * on disk bounded. Prints the figures it measures (they are quoted in the README).
 */
class LogCompactionIT {

    private static final int KEYS = 200_000;
    private static final int STEP = 20_000;
    private static final long LOG_BYTES_BOUND = 32L << 20;

    @TempDir
    Path dir;

    private static long directoryBytes(Path directory) throws java.io.IOException {
        try (var files = java.nio.file.Files.walk(directory)) {
            return files.filter(java.nio.file.Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void logStaysBoundedOverTwoHundredThousandKeys() throws Exception {
        try (TestCluster cluster = new TestCluster(dir, 3, new VertxOptions(),
                config -> TestConfigs.snapshots(config, 10_000, 64L << 20, 1_000))) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            long maxLogBytes = 0;
            long started = System.nanoTime();
            for (int written = 0; written < KEYS; written += STEP) {
                SnapshotIntegrationTest.writeKeys(cluster, leader, "key-" + written + "-", STEP);
                long[] sizes = new long[3];
                int i = 0;
                for (RaftyNode node : cluster.nodes.values()) {
                    sizes[i++] = node.logBytesOnDisk();
                    maxLogBytes = Math.max(maxLogBytes, node.logBytesOnDisk());
                }
                NodeStatus status = cluster.nodes.get(leader).status();
                System.out.printf("compaction: %d keys, log entries %d..%d, log bytes on disk %d / %d / %d,"
                                + " node 1 directory %d bytes%n", written + STEP, status.firstLogIndex(),
                        status.lastLogIndex(), sizes[0], sizes[1], sizes[2], directoryBytes(dir.resolve("node1")));
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("compaction: %d keys in %.1f s; largest log on disk %d bytes%n", KEYS, seconds, maxLogBytes);
            assertTrue(maxLogBytes < LOG_BYTES_BOUND, "log on disk reached " + maxLogBytes + " bytes");
            NodeStatus status = cluster.nodes.get(leader).status();
            assertTrue(status.lastLogIndex() - status.firstLogIndex() < 10_000 + 1_000 + 2 * 1024,
                    "log in memory is bounded too: " + status);
            JsonObject last = new JsonObject(cluster.get(leader, "/v1/kv/key-180000-19999").body());
            assertEquals("value-19999", last.getString("value"));
        }
    }
}
