package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.RaftyNode;
import io.rafty.config.NodeConfig;
import io.rafty.config.TestConfigs;
import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.ForwardingKvStore;
import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStore;
import io.rafty.storage.StorageException;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN §1 "Honest about doubt", on three real nodes: a write with an {@code Idempotency-Key} whose
 * leader dies after committing it but before answering is retried on another node, and applies once.
 */
class IdempotentRetryTest {

    @TempDir
    Path dir;

    /** A store whose applies can be held: the entry commits on the others while this node never answers. */
    static final class GatedKvStore extends ForwardingKvStore {
        private volatile CountDownLatch gate;

        GatedKvStore(KvStore delegate) {
            super(delegate);
        }

        void hold() {
            gate = new CountDownLatch(1);
        }

        /** Lets a held apply go on, failing: the node fences, as one whose disk died under it. */
        void failHeld() {
            gate.countDown();
        }

        @Override
        public void write(Batch batch) {
            CountDownLatch held = gate;
            if (held != null) {
                try {
                    held.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new StorageException("test: the node dies before applying");
            }
            delegate.write(batch);
        }
    }

    @Test
    void aWriteRetriedElsewhereAfterItsLeaderDiedMidRequestAppliesOnceAndSaysReplayed() throws Exception {
        Map<Integer, GatedKvStore> stores = new ConcurrentHashMap<>();
        UnaryOperator<NodeConfig> patient = c -> TestConfigs.with(c, Map.of("electionTimeoutTicksMin", 20,
                "electionTimeoutTicksMax", 40));
        try (TestCluster cluster = new TestCluster(dir, 3, new VertxOptions(), patient,
                id -> new RaftyNode.StorageWrappers(UnaryOperator.identity(),
                        kv -> stores.compute(id, (k, old) -> new GatedKvStore(kv))))) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            int follower = cluster.anyFollower(leader);
            stores.get(leader).hold();

            HttpRequest.Builder put = HttpRequest.newBuilder(URI.create(cluster.url(leader) + "/v1/kv/payment/42"))
                    .header("Idempotency-Key", "charge-42")
                    .PUT(HttpRequest.BodyPublishers.ofString("charged"));
            CompletableFuture<HttpResponse<String>> first = cluster.http.sendAsync(put.build(),
                    HttpResponse.BodyHandlers.ofString());
            // The followers apply the entry: it committed. The leader holds its apply, so it never answers.
            for (int id : cluster.nodes.keySet()) {
                if (id != leader) {
                    await().atMost(Duration.ofSeconds(10)).until(() ->
                            cluster.get(id, "/v1/kv/payment/42?consistency=stale").statusCode() == 200);
                }
            }
            assertTrue(!first.isDone(), "the leader has not answered");
            stores.get(leader).failHeld();
            cluster.stop(leader);
            int firstStatus;
            try {
                firstStatus = first.get().statusCode();
            } catch (java.util.concurrent.ExecutionException e) {
                firstStatus = -1;   // the connection died with the node
            }
            assertNotEquals(200, firstStatus, "the client never learned that the first attempt applied");

            int newLeader = cluster.awaitLeader(Duration.ofSeconds(15));
            HttpResponse<String> retry = cluster.send(HttpRequest.newBuilder(
                            URI.create(cluster.url(follower) + "/v1/kv/payment/42"))
                    .header("Idempotency-Key", "charge-42")
                    .PUT(HttpRequest.BodyPublishers.ofString("charged")));
            assertEquals(200, retry.statusCode(), retry.body());
            assertEquals("true", retry.headers().firstValue("Idempotency-Replayed").orElse(null),
                    "the retry (leader now " + newLeader + ") is answered with the first attempt's result");
            JsonObject stored = new JsonObject(cluster.get(follower, "/v1/kv/payment/42").body());
            assertEquals(1, stored.getLong("version"), "applied exactly once");
            assertEquals(stored.getLong("revision"), new JsonObject(retry.body()).getLong("revision"),
                    "the replayed answer names the revision of the one apply");
        }
    }
}
