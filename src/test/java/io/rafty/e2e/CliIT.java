package io.rafty.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code rafty} client as users run it: {@code java -jar target/rafty.jar <command>} as an OS process
 * against one three-node cluster of the same jar, checking stdout, stderr and the exit code of every
 * command. The membership and leadership tests change the cluster, so they run last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliIT {

    private static final Duration CLI_BUDGET = Duration.ofSeconds(30);
    private static final Duration CLUSTER_BUDGET = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    private static JarCluster cluster;
    private static String endpoints;
    private static final AtomicInteger runs = new AtomicInteger();

    @BeforeAll
    static void startCluster() throws IOException {
        cluster = new JarCluster(dir, 3);
        for (int id = 1; id <= 3; id++) {
            cluster.start(id);
        }
        endpoints = cluster.url(1) + "," + cluster.url(2) + "," + cluster.url(3);
        cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), CLUSTER_BUDGET);
    }

    @AfterAll
    static void stopCluster() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** What one CLI process printed and returned. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    /** A CLI process still running (watch, say). */
    record Started(Process process, Path out, Path err) {
        Run await() throws Exception {
            if (!process.waitFor(CLI_BUDGET.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the CLI did not exit within " + CLI_BUDGET + ": " + Files.readString(err));
            }
            return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
        }
    }

    /** Starts {@code java -jar rafty.jar args...}, with RAFTY_ENDPOINTS naming the cluster and stdin from {@code stdin}. */
    private static Started start(String stdin, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1", "-jar", JarProcess.JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        int n = runs.incrementAndGet();
        Path in = dir.resolve("cli-" + n + ".in");
        Files.writeString(in, stdin == null ? "" : stdin);
        Path out = dir.resolve("cli-" + n + ".out");
        Path err = dir.resolve("cli-" + n + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().keySet().removeIf(k -> k.startsWith("KVSTORE_") || k.startsWith("RAFTY_"));
        builder.environment().put("RAFTY_ENDPOINTS", endpoints);
        return new Started(builder.start(), out, err);
    }

    private static Run cli(String... args) throws Exception {
        return start(null, args).await();
    }

    private static Run cliWithStdin(String stdin, String... args) throws Exception {
        return start(stdin, args).await();
    }

    private static String deadEndpoint() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }
    }

    private static void assertNoStackTrace(Run run) {
        assertFalse(run.err().contains("\tat ") || run.out().contains("\tat "), "no stack trace: " + run);
    }

    @Test
    @Order(1)
    void putThenGetOnAnotherNodeAndAsJson() throws Exception {
        Run put = cli("put", "greeting", "hello world", "--endpoints", cluster.url(1));
        assertEquals(0, put.code(), put::toString);
        assertTrue(put.out().matches("OK \\(revision \\d+\\)\\R"), put::toString);
        long revision = Long.parseLong(put.out().replaceAll("\\D", ""));

        Run get = cli("get", "greeting", "--endpoints", cluster.url(3));
        assertEquals(0, get.code(), get::toString);
        assertEquals("hello world\n", get.out());

        Run json = cli("get", "greeting", "-o", "json");
        assertEquals(0, json.code(), json::toString);
        JsonObject entry = new JsonObject(json.out());
        assertEquals("hello world", entry.getString("value"));
        assertEquals(revision, entry.getLong("revision"));
    }

    @Test
    @Order(2)
    void valueFromStdinWithPreconditionsAndStaleRead() throws Exception {
        String value = "first line\nsecond line é";
        Run put = cliWithStdin(value, "put", "from-stdin", "-", "--prev-exist", "false");
        assertEquals(0, put.code(), put::toString);
        Run again = cliWithStdin(value, "put", "from-stdin", "-", "--prev-exist", "false");
        assertEquals(1, again.code(), again::toString);
        assertTrue(again.err().startsWith("rafty put: compare_failed: "), again::toString);
        // A linearizable read on node 2 returns once node 2 has applied the write; a stale read there then sees it.
        Run get = cli("get", "from-stdin", "-o", "json", "--endpoints", cluster.url(2));
        assertEquals(0, get.code(), get::toString);
        assertEquals(value, new JsonObject(get.out()).getString("value"));
        Run stale = cli("get", "from-stdin", "--stale", "--endpoints", cluster.url(2));
        assertEquals(0, stale.code(), stale::toString);
        assertEquals(value + "\n", stale.out());
    }

    @Test
    @Order(3)
    void failsOverPastADeadFirstEndpointAndSaysSoWithVerbose() throws Exception {
        String dead = deadEndpoint();
        assertEquals(0, cli("put", "failover", "works").code());
        Run run = cli("get", "failover", "-v", "--endpoints", dead + "," + cluster.url(2));
        assertEquals(0, run.code(), run::toString);
        assertEquals("works\n", run.out());
        assertTrue(run.err().contains(dead + "/v1/kv/failover: connection refused, trying the next endpoint"), run::toString);
        assertTrue(run.err().contains(cluster.url(2) + "/v1/kv/failover answered 200"), run::toString);

        Run quiet = cli("get", "failover", "--endpoints", dead + "," + cluster.url(2));
        assertEquals("", quiet.err(), "without -v nothing on stderr: " + quiet);
    }

    @Test
    @Order(4)
    void missingKeyExits1() throws Exception {
        Run run = cli("get", "no-such-key");
        assertEquals(1, run.code(), run::toString);
        assertEquals("", run.out());
        assertEquals("rafty get: key_not_found: key not found: no-such-key\n", run.err());
        Run del = cli("del", "no-such-key");
        assertEquals(1, del.code(), del::toString);
    }

    @Test
    @Order(5)
    void usageErrorsAndBadInputExit2() throws Exception {
        Run missingValue = cli("put", "only-key");
        assertEquals(2, missingValue.code(), missingValue::toString);
        assertTrue(missingValue.err().contains("Missing required parameter"), missingValue::toString);
        Run badOption = cli("ls", "--limit", "many");
        assertEquals(2, badOption.code(), badOption::toString);
        Run future = cli("get", "greeting", "--rev", "999999999");
        assertEquals(2, future.code(), future::toString);
        assertTrue(future.err().startsWith("rafty get: future_revision: "), future::toString);
        Path notJson = dir.resolve("not-json.txt");
        Files.writeString(notJson, "compare: nope");
        Run badTxn = cli("txn", notJson.toString());
        assertEquals(2, badTxn.code(), badTxn::toString);
        assertTrue(badTxn.err().contains("is not a JSON object"), badTxn::toString);
        for (Run run : List.of(missingValue, badOption, future, badTxn)) {
            assertNoStackTrace(run);
        }
    }

    @Test
    @Order(6)
    void noReachableEndpointExits3() throws Exception {
        String a = deadEndpoint();
        String b = deadEndpoint();
        Run run = cli("put", "k", "v", "--endpoints", a + "," + b);
        assertEquals(3, run.code(), run::toString);
        assertTrue(run.err().contains(a + ": connection refused") && run.err().contains(b + ": connection refused"),
                run::toString);
        Run status = cli("cluster", "status", "--endpoints", a);
        assertEquals(3, status.code(), status::toString);
    }

    @Test
    @Order(7)
    void listsPagesAndDeletesByPrefix() throws Exception {
        for (String key : List.of("app/a", "app/b", "app/c")) {
            assertEquals(0, cli("put", key, "value of " + key).code());
        }
        Run limited = cli("ls", "app/", "--limit", "2");
        assertEquals(0, limited.code(), limited::toString);
        List<String> lines = limited.out().lines().toList();
        assertEquals(3, lines.size(), limited::toString);
        assertTrue(lines.get(0).startsWith("KEY") && lines.get(1).startsWith("app/a ") && lines.get(2).startsWith("app/b "),
                limited::toString);
        assertTrue(limited.err().contains("more keys follow"), limited::toString);

        JsonObject all = new JsonObject(cli("ls", "app/", "-o", "json").out());
        assertEquals(3, all.getJsonArray("items").size());
        assertFalse(all.getBoolean("more"));

        Run values = cli("get", "app/", "--prefix");
        assertEquals(0, values.code(), values::toString);
        assertTrue(values.out().contains("app/c  value of app/c"), values::toString);

        Run one = cli("del", "app/a");
        assertEquals(0, one.code(), one::toString);
        assertTrue(one.out().startsWith("deleted app/a (revision "), one::toString);
        Run rest = cli("del", "app/", "--prefix");
        assertEquals(0, rest.code(), rest::toString);
        assertTrue(rest.out().startsWith("deleted 2 keys (revision "), rest::toString);
        assertEquals(0, new JsonObject(cli("ls", "app/", "-o", "json").out()).getJsonArray("items").size());
    }

    @Test
    @Order(8)
    void transactionsSayWhichBranchRanAndExit1WhenTheComparesFail() throws Exception {
        assertEquals(0, cli("put", "txn/balance", "10").code());
        Path file = dir.resolve("txn-ok.json");
        Files.writeString(file, "{\"compare\":[{\"key\":\"txn/balance\",\"target\":\"value\",\"op\":\"==\",\"value\":\"10\"}],"
                + "\"success\":[{\"op\":\"put\",\"key\":\"txn/balance\",\"value\":\"5\"},{\"op\":\"get\",\"key\":\"txn/balance\"}],"
                + "\"failure\":[]}");
        Run ok = cli("txn", file.toString());
        assertEquals(0, ok.code(), ok::toString);
        assertTrue(ok.out().startsWith("SUCCESS"), ok::toString);
        assertTrue(ok.out().contains("get  txn/balance  5"), ok::toString);

        String failing = "{\"compare\":[{\"key\":\"txn/balance\",\"target\":\"value\",\"op\":\"==\",\"value\":\"10\"}],"
                + "\"success\":[{\"op\":\"put\",\"key\":\"txn/balance\",\"value\":\"0\"}],"
                + "\"failure\":[{\"op\":\"get\",\"key\":\"txn/balance\"}]}";
        Run failed = cliWithStdin(failing, "txn", "-o", "json");
        assertEquals(1, failed.code(), failed::toString);
        JsonObject body = new JsonObject(failed.out());
        assertFalse(body.getBoolean("succeeded"));
        assertEquals("5", body.getJsonArray("results").getJsonObject(0).getJsonArray("items").getJsonObject(0)
                .getString("value"));
        Run table = cliWithStdin(failing, "txn");
        assertEquals(1, table.code(), table::toString);
        assertTrue(table.out().startsWith("FAILURE"), table::toString);
    }

    @Test
    @Order(9)
    void watchPrintsChangesWrittenByAnotherCommandThenStopsAtCount() throws Exception {
        Started watch = start(null, "watch", "--prefix", "watched/", "--count", "2", "--timeout", "25s",
                "--endpoints", cluster.url(2));
        Awaitility.await().atMost(CLI_BUDGET).until(() -> Files.readString(watch.err()).contains("watching prefix"));
        Run first = cli("put", "watched/one", "1", "--endpoints", cluster.url(1));
        Run second = cli("put", "watched/two", "2", "--endpoints", cluster.url(3));
        Run run = watch.await();
        assertEquals(0, run.code(), run::toString);
        long r1 = Long.parseLong(first.out().replaceAll("\\D", ""));
        long r2 = Long.parseLong(second.out().replaceAll("\\D", ""));
        assertEquals(r1 + " put watched/one 1\n" + r2 + " put watched/two 2\n", run.out());
        assertTrue(run.err().startsWith("rafty watch: watching prefix 'watched/' on " + cluster.url(2)), run::toString);

        // From a past revision the history replays; -o json prints the server's change messages.
        Run replay = cli("watch", "watched/one", "--rev", Long.toString(r1), "--count", "1", "-o", "json");
        assertEquals(0, replay.code(), replay::toString);
        JsonObject change = new JsonObject(replay.out());
        assertEquals(r1, change.getLong("revision"));
        assertEquals("1", change.getJsonArray("events").getJsonObject(0).getString("value"));

        Run idle = cli("watch", "never/written", "--count", "1", "--timeout", "1500ms");
        assertEquals(1, idle.code(), "the count was not reached before the timeout: " + idle);
    }

    @Test
    @Order(10)
    void leaseGrantAttachKeepaliveTtlRevoke() throws Exception {
        Run grant = cli("lease", "grant", "60", "-o", "json");
        assertEquals(0, grant.code(), grant::toString);
        long id = new JsonObject(grant.out()).getLong("id");
        assertEquals(0, cli("put", "leased/key", "v", "--lease", Long.toString(id)).code());

        Run ttl = cli("lease", "ttl", Long.toString(id), "--keys");
        assertEquals(0, ttl.code(), ttl::toString);
        assertTrue(ttl.out().startsWith("lease " + id + ": TTL 60s, remaining "), ttl::toString);
        assertTrue(ttl.out().contains("\n  leased/key\n"), ttl::toString);

        Run keepalive = cli("lease", "keepalive", Long.toString(id), "--once");
        assertEquals(0, keepalive.code(), keepalive::toString);
        assertEquals("lease " + id + " kept alive, TTL 60s\n", keepalive.out());

        Run revoke = cli("lease", "revoke", Long.toString(id));
        assertEquals(0, revoke.code(), revoke::toString);
        assertTrue(revoke.out().startsWith("lease " + id + " revoked, 1 keys deleted"), revoke::toString);
        assertEquals(1, cli("get", "leased/key").code());
        Run gone = cli("lease", "ttl", Long.toString(id));
        assertEquals(1, gone.code(), gone::toString);
        assertTrue(gone.err().contains("lease_not_found"), gone::toString);
        Run badTtl = cli("lease", "grant", "0");
        assertEquals(2, badTtl.code(), badTtl::toString);
    }

    @Test
    @Order(11)
    void clusterStatusAsksEveryEndpointAndMembersShowsTheLeadersView() throws Exception {
        String dead = deadEndpoint();
        Run status = cli("cluster", "status", "--endpoints", endpoints + "," + dead);
        assertEquals(0, status.code(), status::toString);
        List<String> lines = status.out().lines().toList();
        assertEquals(5, lines.size(), status::toString);
        assertEquals(1, lines.stream().filter(l -> l.contains(" leader ")).count(), status::toString);
        assertTrue(lines.get(4).startsWith(dead) && lines.get(4).contains("down: connection refused"), status::toString);

        JsonObject json = new JsonObject(cli("cluster", "status", "-o", "json").out());
        JsonArray all = json.getJsonArray("endpoints");
        assertEquals(3, all.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, all.getJsonObject(i).getJsonObject("status").getInteger("id"));
        }

        Run members = cli("cluster", "members");
        assertEquals(0, members.code(), members::toString);
        for (int id = 1; id <= 3; id++) {
            assertTrue(members.out().contains("\n" + id + "   " + cluster.url(id)), members::toString);
        }
    }

    @Test
    @Order(12)
    void benchAndHelpStillWork() throws Exception {
        Run bench = cli("bench", "--help");
        assertEquals(0, bench.code(), bench::toString);
        assertTrue(bench.out().contains("Closed-loop"), bench::toString);
        Run help = cli("--help");
        assertEquals(0, help.code(), help::toString);
        assertTrue(help.out().contains("Exit codes:"), help::toString);
    }

    @Test
    @Order(20)
    void addPromoteAndRemoveAFourthNode() throws Exception {
        // A learner that never starts can be added and removed.
        Run ghost = cli("cluster", "add", "5", deadEndpoint(), "--learner");
        assertEquals(0, ghost.code(), ghost::toString);
        assertTrue(ghost.out().lines().anyMatch(l -> l.startsWith("5 ") && l.endsWith("learner")), ghost::toString);
        Run ghostGone = cli("cluster", "remove", "5");
        assertEquals(0, ghostGone.code(), ghostGone::toString);
        assertFalse(ghostGone.out().lines().anyMatch(l -> l.startsWith("5 ")), ghostGone::toString);

        int port = JarProcess.freePort();
        String url = "http://127.0.0.1:" + port;
        Run add = cli("cluster", "add", "4", url, "--learner");
        assertEquals(0, add.code(), add::toString);
        JarProcess node4 = JarProcess.start(dir, "node4", Map.of("KVSTORE_ID", "4", "KVSTORE_PORT", Integer.toString(port),
                "KVSTORE_STORAGE_DIR", dir.resolve("data").resolve("node4").toString(), "KVSTORE_JOIN", cluster.url(1)));
        try {
            cluster.awaitWithLogs(CLUSTER_BUDGET, () -> {
                HttpResponse<String> view = cluster.get(1, "/v1/cluster");
                if (view == null || view.statusCode() != 200) {
                    return false;
                }
                JsonArray members = new JsonObject(view.body()).getJsonArray("members");
                for (int i = 0; i < members.size(); i++) {
                    JsonObject m = members.getJsonObject(i);
                    if (m.getInteger("id") == 4) {
                        return m.getLong("matchIndex") > 0 && m.getLong("lag") == 0;
                    }
                }
                return false;
            });
            Run promote = cli("cluster", "promote", "4");
            assertEquals(0, promote.code(), promote::toString);
            assertTrue(promote.out().lines().anyMatch(l -> l.startsWith("4 ") && l.endsWith("voter")), promote::toString);
            Run members = cli("cluster", "members", "-o", "json");
            assertEquals(4, new JsonObject(members.out()).getJsonArray("members").size(), members::toString);

            Run remove = cli("cluster", "remove", "4");
            assertEquals(0, remove.code(), remove::toString);
            assertFalse(remove.out().lines().anyMatch(l -> l.startsWith("4 ")), remove::toString);
            Run missing = cli("cluster", "remove", "4");
            assertEquals(1, missing.code(), missing::toString);
            assertTrue(missing.err().contains("member_not_found"), missing::toString);
        } finally {
            node4.kill();
        }
    }

    @Test
    @Order(21)
    void transferHandsLeadershipToTheNamedNode() throws Exception {
        int leader = cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), CLUSTER_BUDGET);
        int target = leader == 3 ? 1 : leader + 1;
        Run transfer = cli("cluster", "transfer", Integer.toString(target));
        assertEquals(0, transfer.code(), transfer::toString);
        assertEquals("node " + target + " is the leader\n", transfer.out());
        assertEquals(target, cluster.awaitLeaderFollowedByAll(List.of(1, 2, 3), CLUSTER_BUDGET));
        assertNotEquals(leader, target);
    }
}
