package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes of the shipped jar on three "hosts" — Linux network namespaces joined by a bridge, each with
 * its own address and its loopback down — so every byte between nodes crosses a real interface, as between
 * machines. The nodes elect a leader, serve linearizable reads of each other's writes, survive a SIGKILL of
 * the leader, and the killed node catches up when it comes back.
 *
 * <p>Needs root and iproute2 (CI has both: .ci/run installs iproute2); elsewhere it is skipped with the
 * reason. The namespaces, veths and bridge are removed after the test, and a crashed run's leftovers
 * before it ({@link NetworkNamespaces#removeLeftovers()}).
 */
class MultiHostIT {

    private static final int NODES = 3;
    private static final int KEYS_PER_ROUND = 30;
    private static final Duration FIRST_LEADER = Duration.ofSeconds(40);
    private static final Duration REQUEST = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private NetworkNamespaces net;
    private JarCluster cluster;

    @BeforeEach
    void createHosts() throws Exception {
        NetworkNamespaces.removeLeftovers();
        try {
            net = NetworkNamespaces.create(NODES);
        } catch (NetworkNamespaces.Unavailable e) {
            Assumptions.abort("network namespaces unavailable, MultiHostIT skipped: " + e.getMessage());
        }
        Map<Integer, String> hosts = new TreeMap<>();
        for (int id = 1; id <= NODES; id++) {
            hosts.put(id, net.address(id));
        }
        // A fresh namespace has no listener at all, so any port is free there; the same one on every
        // host, as a real deployment would have it.
        cluster = new JarCluster(dir, hosts, JarProcess.freePort(), net::launcher);
    }

    @AfterEach
    void removeHosts() throws InterruptedException {
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
        }
    }

    @Test
    void threeHostsElectServeSurviveALeaderKillAndCatchUp() throws Exception {
        for (int id = 1; id <= NODES; id++) {
            cluster.start(id);
        }
        int leader = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), FIRST_LEADER);
        long firstTerm = cluster.status(leader).getLong("term");

        // No loopback shortcut: each node is a java process in its own namespace, whose loopback is down,
        // and the cluster names every member by its bridge address.
        for (int id = 1; id <= NODES; id++) {
            long pid = cluster.processes.get(id).process.pid();
            String command = ProcessHandle.of(pid).flatMap(p -> p.info().command()).orElse("");
            assertTrue(command.endsWith("/java"), "node " + id + " pid " + pid + " is " + command + ", not java");
            assertTrue(net.runsIn(pid, id), "node " + id + " is not in namespace " + net.namespace(id));
            String loopback = net.loopbackState(id);
            assertFalse(loopback.contains(",UP") || loopback.contains("<UP"), "lo is up in host " + id + ": " + loopback);
        }
        JsonArray members = new JsonObject(cluster.get(leader, "/v1/cluster").body()).getJsonArray("members");
        assertEquals(NODES, members.size(), members.encode());
        for (int i = 0; i < members.size(); i++) {
            JsonObject member = members.getJsonObject(i);
            int id = member.getInteger("id");
            assertEquals(cluster.url(id), member.getString("address"), members.encode());
            assertTrue(member.getString("address").startsWith("http://" + net.address(id) + ":"), members.encode());
        }

        // Writes through a follower (forwarded to the leader over the bridge), linearizable reads through
        // every other node.
        int writer = leader % NODES + 1;
        Map<String, String> acknowledged = new LinkedHashMap<>();
        List<Integer> all = List.of(1, 2, 3);
        writeRound(writer, all, "before-", acknowledged);
        for (int id = 1; id <= NODES; id++) {
            if (id != writer) {
                assertAllReadable(id, all, acknowledged);
            }
        }

        // SIGKILL the leader: the java process itself (ip netns exec exec'd it), which leaves its host empty.
        cluster.processes.get(leader).kill();
        assertEquals(List.of(), net.pidsIn(leader), "processes left in the killed leader's namespace");
        List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
        survivors.remove(Integer.valueOf(leader));
        int newLeader = cluster.awaitLeaderFollowedByAll(survivors, Duration.ofSeconds(20));
        assertTrue(newLeader != leader);
        assertTrue(cluster.status(newLeader).getLong("term") > firstTerm, "a new term after the kill");
        int survivingFollower = survivors.get(0) == newLeader ? survivors.get(1) : survivors.get(0);
        writeRound(survivingFollower, survivors, "after-", acknowledged);
        for (int id : survivors) {
            assertAllReadable(id, survivors, acknowledged);
        }

        // The killed node comes back on its host from its own disk and catches up over the bridge.
        cluster.start(leader);
        long target = cluster.status(newLeader).getLong("commitIndex");
        int rejoined = leader;
        cluster.awaitWithLogs(Duration.ofSeconds(30), () -> {
            JsonObject s = cluster.status(rejoined);
            return s != null && s.getLong("appliedIndex") >= target;
        });
        cluster.awaitLeaderFollowedByAll(all, Duration.ofSeconds(20));
        assertAllReadable(rejoined, all, acknowledged);
    }

    /**
     * Writes through {@code node} until {@link #KEYS_PER_ROUND} new keys are acknowledged. A 503 (definitely
     * not applied) or a 504 (outcome unknown) is what the contract allows around a leader change, which a
     * loaded machine can cause at any time: such a key is not counted, and the next attempt waits until
     * {@code live} agree on a leader. Any other answer fails the test.
     */
    private void writeRound(int node, List<Integer> live, String prefix, Map<String, String> acknowledged)
            throws Exception {
        int acked = 0;
        for (int attempt = 0; acked < KEYS_PER_ROUND; attempt++) {
            assertTrue(attempt < KEYS_PER_ROUND * 3, "only " + acked + " writes acknowledged in " + attempt
                    + " attempts" + cluster.describeNodes());
            String key = prefix + attempt;
            String value = "value-" + key + "-via-" + node;
            HttpResponse<String> response = cluster.http.send(cluster.request(node, "/v1/kv/" + key, REQUEST)
                    .PUT(HttpRequest.BodyPublishers.ofString(value)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 200) {
                acknowledged.put(key, value);
                acked++;
            } else if (response.statusCode() == 503 || response.statusCode() == 504) {
                cluster.awaitLeaderFollowedByAll(live, Duration.ofSeconds(15));
            } else {
                throw new AssertionError("PUT " + key + " via node " + node + ": " + response.statusCode() + " "
                        + response.body() + cluster.describeNodes());
            }
        }
    }

    /**
     * Every acknowledged write, read linearizably (the default) through {@code node}, must have its value.
     * A {@code 503 no_leader} (the leader changed before the read was confirmed: nothing was read) is
     * retried once {@code live} agree on a leader again, at most twice per key; anything else fails.
     */
    private void assertAllReadable(int node, List<Integer> live, Map<String, String> acknowledged) throws Exception {
        for (Map.Entry<String, String> write : acknowledged.entrySet()) {
            HttpResponse<String> read = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                read = cluster.http.send(cluster.request(node, "/v1/kv/" + write.getKey(), REQUEST).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (read.statusCode() != 503 || !read.body().contains("\"no_leader\"")) {
                    break;
                }
                cluster.awaitLeaderFollowedByAll(live, Duration.ofSeconds(15));
            }
            assertEquals(200, read.statusCode(), () -> "GET via node " + node + ": " + cluster.describeNodes());
            assertEquals(write.getValue(), new JsonObject(read.body()).getString("value"), write.getKey());
        }
    }
}
