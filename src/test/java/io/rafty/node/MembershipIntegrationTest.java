package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Role;
import io.rafty.check.CheckResult;
import io.rafty.check.History;
import io.rafty.check.KvInput;
import io.rafty.check.KvOutput;
import io.rafty.check.LinearizabilityChecker;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes on real nodes while clients write and read (issue 8): every history is checked
 * by the linearizability checker, and every acknowledged write is read back at the end.
 */
class MembershipIntegrationTest {

    private static final int CLIENTS = 4;
    private static final List<String> KEYS = List.of("a", "b", "c");

    @TempDir
    Path dir;
    private TestCluster cluster;
    private final History history = new History();
    private final Map<String, String> lastAcknowledged = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private ExecutorService clients;
    private final List<Future<?>> workers = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        stopClients();
        if (cluster != null) {
            cluster.close();
        }
    }

    private long now() {
        return System.nanoTime();
    }

    /** Closed-loop clients: puts with unique values and linearizable gets on a few keys, any running node. */
    private void startClients() {
        clients = Executors.newFixedThreadPool(CLIENTS);
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            workers.add(clients.submit(() -> {
                for (int i = 0; running.get() && i < 100_000; i++) {
                    List<Integer> nodes = new ArrayList<>(cluster.nodes.keySet());
                    int node = nodes.get(ThreadLocalRandom.current().nextInt(nodes.size()));
                    String key = KEYS.get(ThreadLocalRandom.current().nextInt(KEYS.size()));
                    boolean write = ThreadLocalRandom.current().nextBoolean();
                    String value = "c" + client + "-" + i;
                    History.Call call = history.invoke(client, now(),
                            write ? KvInput.put(key, value) : KvInput.get(key));
                    try {
                        HttpRequest.Builder request = HttpRequest.newBuilder(
                                URI.create(cluster.url(node) + "/v1/kv/" + key)).timeout(Duration.ofSeconds(3));
                        HttpResponse<String> response = cluster.http.send(write
                                        ? request.PUT(HttpRequest.BodyPublishers.ofString(value)).build()
                                        : request.GET().build(), HttpResponse.BodyHandlers.ofString());
                        int status = response.statusCode();
                        if (write && status == 200) {
                            history.ok(call, now(), KvOutput.putOk());
                            lastAcknowledged.put(key, value);
                        } else if (!write && status == 200) {
                            history.ok(call, now(), KvOutput.value(new JsonObject(response.body()).getString("value")));
                        } else if (!write && status == 404) {
                            history.ok(call, now(), KvOutput.absent());
                        } else if (status == 503) {
                            history.fail(call, now());
                        } else {
                            history.unknown(call);
                        }
                    } catch (java.net.ConnectException e) {
                        history.fail(call, now());
                    } catch (Exception e) {
                        history.unknown(call);
                    }
                }
                return null;
            }));
        }
    }

    private void stopClients() throws Exception {
        running.set(false);
        if (clients != null) {
            for (Future<?> worker : workers) {
                worker.get(30, TimeUnit.SECONDS);
            }
            clients.shutdown();
            clients = null;
        }
    }

    private void assertHistoryLinearizable() throws Exception {
        stopClients();
        CheckResult result = LinearizabilityChecker.check(history);
        assertTrue(result.isLinearizable(), result.explanation());
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        assertTrue(history.operations().size() > 50, "the workload ran: " + history.operations().size());
        for (String key : KEYS) {
            HttpResponse<String> read = cluster.get(leader, "/v1/kv/" + key);
            if (lastAcknowledged.containsKey(key)) {
                assertEquals(200, read.statusCode(), "acknowledged writes to " + key + " survive");
            }
        }
    }

    /** Sends an admin request again while it is answered 503 (definitely not applied), as a client would. */
    private HttpResponse<String> untilNot503(java.util.concurrent.Callable<HttpResponse<String>> request)
            throws Exception {
        HttpResponse<String> response = request.call();
        for (int attempt = 1; response.statusCode() == 503 && attempt < 5; attempt++) {
            cluster.awaitLeader(Duration.ofSeconds(10));
            response = request.call();
        }
        return response;
    }

    private void awaitOperations(int count) {
        await().atMost(Duration.ofSeconds(30)).until(() -> history.operations().size() >= count);
    }

    private Membershipview membership(int node) {
        return new Membershipview(cluster.nodes.get(node).status());
    }

    private record Membershipview(NodeStatus status) {
        boolean isVoter(int id) {
            return status.membership().isVoter(id);
        }

        boolean contains(int id) {
            return status.membership().contains(id);
        }
    }

    private void awaitEveryNode(java.util.function.Predicate<Membershipview> condition) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> {
            for (int id : cluster.nodes.keySet()) {
                if (!condition.test(membership(id))) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void growsToFiveUnderLoadAndShrinksBackToThree() throws Exception {
        cluster = new TestCluster(dir, 3);
        cluster.awaitLeader(Duration.ofSeconds(10));
        startClients();
        for (int id = 4; id <= 5; id++) {
            int port = TestCluster.freePort();
            int via = 1 + ThreadLocalRandom.current().nextInt(3);
            int member = id;
            HttpResponse<String> added = untilNot503(() -> cluster.post(via, "/v1/cluster/members",
                    new JsonObject().put("id", member).put("address", "http://127.0.0.1:" + port).encode()));
            assertEquals(200, added.statusCode(), added.body());
            HttpResponse<String> again = cluster.post(via, "/v1/cluster/members",
                    new JsonObject().put("id", id).put("address", "http://127.0.0.1:" + port).encode());
            assertEquals(200, again.statusCode(), "adding the same member again is idempotent: " + again.body());
            cluster.startJoining(id, port, cluster.url(via));
            awaitEveryNode(view -> view.isVoter(member));
        }
        assertEquals(5, cluster.nodes.get(cluster.awaitLeader(Duration.ofSeconds(10))).status().membership()
                .voters().size());
        for (int id = 5; id >= 4; id--) {
            int gone = id;
            HttpResponse<String> removed = untilNot503(() -> cluster.delete(1, "/v1/cluster/members/" + gone));
            assertEquals(200, removed.statusCode(), removed.body());
            int member = id;
            awaitEveryNode(view -> !view.contains(member) || view.status().id() == member);
            cluster.stop(id);
        }
        assertHistoryLinearizable();
    }

    @Test
    void removingTheLeaderHandsOverToTheOthers() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        startClients();
        awaitOperations(50);
        HttpResponse<String> removed = untilNot503(
                () -> cluster.delete(cluster.anyFollower(leader), "/v1/cluster/members/" + leader));
        assertEquals(200, removed.statusCode(), removed.body());
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.nodes.get(leader).status().role() != Role.LEADER);
        cluster.stop(leader);
        int next = cluster.awaitLeader(Duration.ofSeconds(10));
        assertNotEquals(leader, next);
        assertEquals(2, cluster.nodes.get(next).status().membership().voters().size());
        awaitOperations(history.operations().size() + 50);
        assertHistoryLinearizable();
    }

    @Test
    void leadershipTransferMovesTheLeaderUnderLoad() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        startClients();
        int target = cluster.anyFollower(leader);
        awaitOperations(50);
        HttpResponse<String> moved = untilNot503(() -> cluster.post(target, "/v1/cluster/leader",
                new JsonObject().put("id", target).encode()));
        assertEquals(200, moved.statusCode(), moved.body());
        assertEquals(target, cluster.awaitLeader(Duration.ofSeconds(5)));
        awaitOperations(history.operations().size() + 50);
        assertHistoryLinearizable();
    }

    @Test
    void invalidAdminRequestsGetClear4xx() throws Exception {
        cluster = new TestCluster(dir, 3);
        int leader = cluster.awaitLeader(Duration.ofSeconds(10));
        assertEquals(404, cluster.delete(leader, "/v1/cluster/members/9").statusCode());
        assertEquals(400, cluster.post(leader, "/v1/cluster/members", "{\"id\":0}").statusCode());
        assertEquals(400, cluster.post(leader, "/v1/cluster/members", "not json").statusCode());
        assertEquals(200, cluster.post(leader, "/v1/cluster/members",
                "{\"id\":7,\"address\":\"http://127.0.0.1:9\",\"learner\":true}").statusCode());
        HttpResponse<String> conflict = cluster.post(leader, "/v1/cluster/members",
                "{\"id\":7,\"address\":\"http://127.0.0.1:10\"}");
        assertEquals(409, conflict.statusCode(), conflict.body());
        HttpResponse<String> notReady = cluster.post(leader, "/v1/cluster/members/7/promote", "{}");
        assertEquals(409, notReady.statusCode(), "an unreachable learner has not caught up: " + notReady.body());
        HttpResponse<String> learnerLead = cluster.post(leader, "/v1/cluster/leader", "{\"id\":7}");
        assertEquals(409, learnerLead.statusCode(), "a learner cannot lead");
        assertEquals("invalid_change", new JsonObject(learnerLead.body()).getString("error"));
        assertEquals(200, cluster.delete(leader, "/v1/cluster/members/7").statusCode());
    }
}
