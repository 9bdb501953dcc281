package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's etcdctl (3.4, gRPC only) against three in-process nodes, asserting its printed output.
 * Skips itself when etcdctl is not installed; .ci/run installs it (package etcd-client).
 */
class EtcdctlIT {

    private static final long COMMAND_TIMEOUT_SECONDS = Etcdctl.COMMAND_TIMEOUT_SECONDS;

    @TempDir
    static Path root;
    static EtcdCluster cluster;
    static String endpoints;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(etcdctlPath() != null, "etcdctl is not installed (apt-get install etcd-client); skipping");
        cluster = new EtcdCluster(root, 3);
        cluster.awaitLeader();
        cluster.awaitStarted();
        // Without the scheme: etcdctl 3.4 dials each endpoint of `endpoint status/health` with the endpoint as
        // the HTTP/2 :authority, and Vert.x's server resets a stream whose authority is "http://host:port".
        endpoints = hostPort(1) + "," + hostPort(2) + "," + hostPort(3);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String hostPort(int id) {
        return "127.0.0.1:" + cluster.nodes.get(id).etcdPort();
    }

    private static String etcdctlPath() {
        return Etcdctl.find("etcdctl");
    }

    /** Runs etcdctl against {@code endpoint}; returns stdout, failing on a non-zero exit. */
    private static String etcdctlAt(String endpoint, String stdin, String... args) throws Exception {
        Etcdctl.Run run = Etcdctl.run(endpoint, stdin, List.of(args));
        assertEquals(0, run.exitCode(), "etcdctl " + String.join(" ", args) + ": " + run.output());
        return run.output();
    }

    private static String etcdctl(String... args) throws Exception {
        return etcdctlAt(cluster.endpoint(2), "", args);
    }

    @Test
    void putGetPrefixRevisionDeleteAndCompaction() throws Exception {
        assertEquals("OK\n", etcdctl("put", "ctl/a", "1"));
        String first = etcdctl("get", "ctl/a", "-w", "json");
        long revision = new JsonObject(first).getJsonObject("header").getLong("revision");
        assertEquals("OK\n", etcdctl("put", "ctl/a", "2"));
        assertEquals("OK\n", etcdctl("put", "ctl/b", "3"));
        assertEquals("ctl/a\n2\nctl/b\n3\n", etcdctl("get", "--prefix", "ctl/"));
        assertEquals("ctl/a\n1\n", etcdctl("get", "ctl/a", "--rev=" + revision));
        assertEquals("ctl/a\nctl/b\n", etcdctl("get", "--prefix", "--keys-only", "ctl/").replace("\n\n", "\n"));
        assertEquals("1\n", etcdctl("del", "ctl/b"));
        assertEquals("ctl/a\n2\n", etcdctl("get", "--prefix", "ctl/"));
        long head = new JsonObject(etcdctl("get", "ctl/a", "-w", "json")).getJsonObject("header").getLong("revision");
        assertEquals("compacted revision " + head + "\n", etcdctl("compaction", Long.toString(head)));
        String compacted = runFailing("get", "ctl/a", "--rev=" + revision);
        assertTrue(compacted.contains("etcdserver: mvcc: required revision has been compacted"), compacted);
    }

    @Test
    void txnFromStdin() throws Exception {
        etcdctl("put", "tx/t", "old");
        String script = "value(\"tx/t\") = \"old\"\n\nput tx/t new\nget tx/t\n\nget ctl/none\n\n";
        assertEquals("SUCCESS\n\nOK\n\ntx/t\nnew\n", etcdctlAt(cluster.endpoint(1), script, "txn"));
        String again = etcdctlAt(cluster.endpoint(3), script, "txn");
        assertEquals("FAILURE\n\n", again.substring(0, "FAILURE\n\n".length()));
    }

    @Test
    void memberListEndpointStatusAndHealth() throws Exception {
        String members = etcdctl("member", "list");
        for (int id = 1; id <= 3; id++) {
            String peer = cluster.nodes.get(id).url();
            assertTrue(members.contains(Long.toHexString(id) + ", started, node" + id + ", " + peer), members);
        }
        assertTrue(members.contains(cluster.endpoint(2)), members);
        // Each endpoint is asked in turn, so an election between two of the calls (a loaded machine can
        // starve a leader's heartbeats) shows as disagreement; wait for an answer from a settled cluster.
        JsonArray[] answer = new JsonArray[1];
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
            answer[0] = new JsonArray(etcdctlAt(endpoints, "", "endpoint", "status", "-w", "json"));
            return answer[0].size() == 3 && answer[0].stream().map(e -> ((JsonObject) e).getJsonObject("Status")
                    .getLong("leader")).distinct().count() == 1;
        });
        JsonArray status = answer[0];
        long leader = status.getJsonObject(0).getJsonObject("Status").getLong("leader");
        assertTrue(leader >= 1 && leader <= 3, status.encode());
        for (int i = 0; i < 3; i++) {
            JsonObject s = status.getJsonObject(i).getJsonObject("Status");
            assertEquals(leader, s.getLong("leader"));
            assertTrue(s.getLong("raftAppliedIndex") > 0, s.encode());
            assertTrue(s.getString("version").startsWith("3."), s.encode());
        }
        String health = etcdctlAt(endpoints, "", "endpoint", "health");
        for (int id = 1; id <= 3; id++) {
            assertTrue(health.contains(hostPort(id) + " is healthy"), health);
        }
    }

    @Test
    void watchFromARevisionSeesEveryChangeInOrder() throws Exception {
        long first = new JsonObject(etcdctl("put", "w/a", "1", "-w", "json")).getJsonObject("header")
                .getLong("revision");
        etcdctl("put", "w/b", "2");
        etcdctl("del", "w/a");
        List<String> command = List.of(etcdctlPath(), "--endpoints=" + cluster.endpoint(3), "watch", "--prefix",
                "w/", "--rev=" + first);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("ETCDCTL_API", "3");
        Process watch = builder.start();
        StringBuffer seen = new StringBuffer();
        Thread reader = new Thread(() -> {
            try (var in = watch.getInputStream()) {
                byte[] buffer = new byte[4096];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException ignored) {
                // The process was stopped: what it printed is in `seen`.
            }
        }, "etcdctl-watch-reader");
        reader.start();
        try {
            // etcdctl prints a delete's (empty) value line too, as it does against etcd.
            String expected = "PUT\nw/a\n1\nPUT\nw/b\n2\nDELETE\nw/a\n\n";
            Awaitility.await().atMost(Duration.ofSeconds(COMMAND_TIMEOUT_SECONDS))
                    .until(() -> seen.length() >= expected.length() || !watch.isAlive());
            etcdctl("put", "w/c", "3");
            String live = expected + "PUT\nw/c\n3\n";
            Awaitility.await().atMost(Duration.ofSeconds(COMMAND_TIMEOUT_SECONDS))
                    .until(() -> seen.length() >= live.length() || !watch.isAlive());
            assertEquals(live, seen.toString(), "history from the revision, then the live change");
        } finally {
            watch.destroyForcibly();
            reader.join(TimeUnit.SECONDS.toMillis(COMMAND_TIMEOUT_SECONDS));
        }
    }

    @Test
    void leaseGrantAttachKeepAliveTimeToLiveAndRevoke() throws Exception {
        String granted = etcdctl("lease", "grant", "60");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^lease ([0-9a-f]+) granted with TTL\\(60s\\)\n$")
                .matcher(granted);
        assertTrue(m.matches(), granted);
        String id = m.group(1);
        assertEquals("found 1 leases\n" + id + "\n", etcdctl("lease", "list"), "LeaseLeases, which jetcd-grpc lacks");
        assertEquals("OK\n", etcdctl("put", "--lease=" + id, "l/k", "v"));
        assertEquals("lease " + id + " keepalived with TTL(60)\n", etcdctl("lease", "keep-alive", "--once", id));
        String ttl = etcdctl("lease", "timetolive", "--keys", id);
        assertTrue(ttl.startsWith("lease " + id + " granted with TTL(60s), remaining("), ttl);
        assertTrue(ttl.endsWith("attached keys([l/k])\n"), ttl);
        assertEquals("lease " + id + " revoked\n", etcdctl("lease", "revoke", id));
        assertEquals("", etcdctl("get", "l/k"), "the revoke deleted the attached key");
        String gone = etcdctl("lease", "timetolive", id);
        assertEquals("lease " + id + " already expired\n", gone);
        assertEquals("found 0 leases\n", etcdctl("lease", "list"));
    }

    @Test
    void memberAddListPromoteAndRemove() throws Exception {
        String learnerUrl = "http://127.0.0.1:" + EtcdCluster.freePort();
        String added = etcdctl("member", "add", "newbie", "--learner", "--peer-urls=" + learnerUrl);
        assertTrue(added.startsWith(String.format("Member %16x added to cluster ", 4)), added);
        assertTrue(added.contains("ETCD_NAME=\"newbie\"\n"), added);
        assertTrue(added.contains("newbie=" + learnerUrl), added);
        assertTrue(added.contains("ETCD_INITIAL_CLUSTER_STATE=\"existing\"\n"), added);
        String members = etcdctl("member", "list");
        assertTrue(members.contains("4, unstarted, , " + learnerUrl + ", , true\n"), members);
        assertTrue(runFailing("member", "add", "again", "--learner", "--peer-urls=" + learnerUrl)
                .contains("etcdserver: Peer URLs already exists"));
        // Nobody started node 4, so it is not in sync with the leader.
        assertTrue(runFailing("member", "promote", "4")
                .contains("etcdserver: can only promote a learner member which is in sync with leader"));
        assertTrue(runFailing("member", "promote", "1").contains("etcdserver: can only promote a learner member\n"));
        String removed = etcdctl("member", "remove", "4");
        assertTrue(removed.startsWith(String.format("Member %16x removed from cluster ", 4)), removed);
        assertTrue(runFailing("member", "remove", "4").contains("etcdserver: member not found"));

        // Without --learner: a learner the leader promotes by itself once it has caught up.
        String voterUrl = "http://127.0.0.1:" + EtcdCluster.freePort();
        assertTrue(etcdctl("member", "add", "voter", "--peer-urls=" + voterUrl)
                .startsWith(String.format("Member %16x added to cluster ", 5)));
        assertTrue(etcdctl("member", "list").contains("5, unstarted, , " + voterUrl + ", , true\n"));
        etcdctl("member", "remove", "5");
        assertTrue(!etcdctl("member", "list").contains(voterUrl));
    }

    private static String runFailing(String... args) throws Exception {
        Etcdctl.Run run = Etcdctl.run(cluster.endpoint(2), "", List.of(args));
        assertTrue(run.exitCode() != 0, run.output());
        return run.output();
    }
}
