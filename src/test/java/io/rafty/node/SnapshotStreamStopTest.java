package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rafty.config.TestConfigs;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader stopped while it streams a snapshot closes its storage cleanly: the image it was reading (a
 * RocksDB snapshot and iterators) is released after the last chunk read has finished, so closing the
 * database neither fails ("unreleased snapshot") nor runs under a read in progress, and the node starts
 * again on the same storage in the same process.
 */
class SnapshotStreamStopTest {

    @TempDir
    Path dir;

    @Test
    void aLeaderStoppedMidStreamClosesItsStorageAndStartsAgain() throws Exception {
        // Tiny chunks make the stream hundreds of requests long, so the stop lands in the middle of it.
        try (TestCluster cluster = new TestCluster(dir, 3, new VertxOptions(),
                config -> TestConfigs.with(TestConfigs.snapshots(config, 200, 64L << 20, 20),
                        Map.of("snapshotChunkBytes", 64)))) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            SnapshotIntegrationTest.writeKeys(cluster, leader, "k", 1500);
            await().atMost(Duration.ofSeconds(20)).until(() -> cluster.nodes.get(leader).status().firstLogIndex() > 1);

            int follower = cluster.anyFollower(leader);
            cluster.stop(follower);
            cluster.wipe(follower);
            cluster.restart(follower);
            Path staging = dir.resolve("node" + follower + ".incoming-snapshot");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(1))
                    .until(() -> Files.exists(staging) && Files.size(staging) > 0);

            assertDoesNotThrow(() -> cluster.stop(leader), "stopping the leader mid-stream");
            cluster.restart(leader);
            int next = cluster.awaitLeader(Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(30)).until(() -> cluster.get(next, "/v1/kv/k1499").statusCode() == 200);
            assertEquals("value-1499", new JsonObject(cluster.get(next, "/v1/kv/k1499").body()).getString("value"));
        }
    }
}
