package io.rafty.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same scripted etcdctl session against a real three-member etcd 3.4 (Debian's etcd-server, on loopback)
 * and against three Rafty nodes must print the same thing, once lease ids are normalised (each server picks
 * its own). Revisions never appear in the script's outputs: Rafty's are Raft log indexes and differ from
 * etcd's on purpose (docs/ETCD.md). Skips itself when etcd or etcdctl is not installed; .ci/run installs both.
 */
class EtcdDifferentialIT {

    private static final Pattern LEASE_ID = Pattern.compile("lease ([0-9a-f]+) granted");

    @TempDir
    static Path root;
    static EtcdCluster rafty;
    static final List<Process> etcd = new ArrayList<>();
    static String etcdEndpoint;

    /** One etcdctl command: its arguments, and what it reads from stdin. */
    private record Step(String stdin, String... args) {
    }

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Etcdctl.find("etcd") != null && Etcdctl.find("etcdctl") != null,
                "etcd or etcdctl is not installed (apt-get install etcd-server etcd-client); skipping");
        int[] client = new int[3];
        int[] peer = new int[3];
        StringBuilder initial = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            client[i] = EtcdCluster.freePort();
            peer[i] = EtcdCluster.freePort();
            initial.append(i == 0 ? "" : ",").append("m").append(i).append("=http://127.0.0.1:").append(peer[i]);
        }
        for (int i = 0; i < 3; i++) {
            ProcessBuilder builder = new ProcessBuilder(Etcdctl.find("etcd"), "--name", "m" + i,
                    "--data-dir", root.resolve("etcd-m" + i).toString(),
                    "--listen-client-urls", "http://127.0.0.1:" + client[i],
                    "--advertise-client-urls", "http://127.0.0.1:" + client[i],
                    "--listen-peer-urls", "http://127.0.0.1:" + peer[i],
                    "--initial-advertise-peer-urls", "http://127.0.0.1:" + peer[i],
                    "--initial-cluster", initial.toString(), "--initial-cluster-state", "new",
                    "--initial-cluster-token", "rafty-differential")
                    .redirectErrorStream(true).redirectOutput(root.resolve("etcd-m" + i + ".log").toFile());
            builder.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
            etcd.add(builder.start());
        }
        etcdEndpoint = "127.0.0.1:" + client[0];
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                Etcdctl.run(etcdEndpoint, "", List.of("endpoint", "health")).exitCode() == 0);
        rafty = new EtcdCluster(root.resolve("rafty"), 3);
        rafty.awaitLeader();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (Process process : etcd) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        if (rafty != null) {
            rafty.close();
        }
    }

    /** Runs the steps against one server; returns each step's output with lease ids normalised. */
    private static List<String> session(String endpoint, List<Step> steps) throws Exception {
        List<String> outputs = new ArrayList<>();
        String lease = null;
        for (Step step : steps) {
            List<String> args = new ArrayList<>();
            for (String arg : step.args()) {
                args.add(lease == null ? arg : arg.replace("$LEASE", lease));
            }
            Etcdctl.Run run = Etcdctl.run(endpoint, step.stdin(), args);
            String output = run.output();
            Matcher granted = LEASE_ID.matcher(output);
            if (granted.find()) {
                lease = granted.group(1);
            }
            if (lease != null) {
                output = output.replace(lease, "<lease>");
            }
            outputs.add("exit " + run.exitCode() + ": " + output);
        }
        return outputs;
    }

    @Test
    void theSameEtcdctlSessionPrintsTheSameOnEtcdAndOnRafty() throws Exception {
        String txn = "value(\"d/a\") = \"1\"\n\nput d/a 10\nget d/a\n\nget d/b\n\n";
        // A range read and a range delete inside a transaction.
        String rangeTxn = "value(\"e/a\") = \"1\"\n\nget e/a e/c\ndel --prev-kv e/b e/c\n\nget e/a\n\n";
        List<Step> steps = List.of(
                new Step("", "put", "d/a", "1"),
                new Step("", "put", "d/b", "2"),
                new Step("", "put", "d/c", "3"),
                new Step("", "get", "d/a"),
                new Step("", "get", "d/missing"),
                new Step("", "get", "--prefix", "d/"),
                new Step("", "get", "--prefix", "--keys-only", "d/"),
                new Step("", "get", "--prefix", "--limit=2", "d/"),
                new Step("", "get", "--from-key", "d/b"),
                new Step("", "get", "d/a", "d/c"),
                new Step("", "get", "--prefix", "--count-only", "d/", "-w", "fields"),
                new Step("", "get", "--prefix", "--sort-by=VALUE", "--order=DESCEND", "d/"),
                new Step(txn, "txn"),
                new Step(txn, "txn"),
                new Step("", "put", "--prev-kv", "d/b", "20"),
                new Step("", "del", "--prev-kv", "d/c"),
                new Step("", "del", "d/missing"),
                new Step("", "lease", "grant", "60"),
                new Step("", "lease", "list"),
                new Step("", "put", "--lease=$LEASE", "d/leased", "x"),
                new Step("", "lease", "keep-alive", "--once", "$LEASE"),
                new Step("", "lease", "timetolive", "--keys", "$LEASE"),
                new Step("", "lease", "revoke", "$LEASE"),
                new Step("", "get", "d/leased"),
                new Step("", "lease", "timetolive", "$LEASE"),
                new Step("", "lease", "revoke", "$LEASE"),
                new Step("", "lease", "list"),
                new Step("", "del", "--prefix", "d/"),
                new Step("", "get", "--prefix", "d/"),
                new Step("", "put", "e/a", "1"),
                new Step("", "put", "e/b", "2"),
                new Step("", "put", "e/b/x", "3"),
                new Step("", "put", "e/c", "4"),
                new Step("", "put", "e/d", "5"),
                new Step(rangeTxn, "txn"),
                new Step("", "get", "--prefix", "e/"),
                new Step("", "put", "e/b", "6"),
                new Step("", "del", "--prev-kv", "e/b", "e/d"),
                new Step("", "get", "--prefix", "e/"),
                new Step("", "del", "--prev-kv", "--from-key", "e/a"),
                new Step("", "get", "--from-key", "e"));
        List<String> fromEtcd = session(etcdEndpoint, steps);
        List<String> fromRafty = session("127.0.0.1:" + rafty.nodes.get(2).etcdPort(), steps);
        assertEquals(steps.size(), fromRafty.size());
        for (int i = 0; i < steps.size(); i++) {
            String command = String.join(" ", steps.get(i).args());
            String expected = normaliseTimes(fromEtcd.get(i));
            String actual = normaliseTimes(fromRafty.get(i));
            if (command.contains("-w fields")) {
                // Only the count and the keys' fields are compared: the header's ids and revisions differ by design.
                expected = countLine(expected);
                actual = countLine(actual);
            }
            assertEquals(expected, actual, "etcdctl " + command);
        }
        // The session did what it says on etcd itself: a sanity check on the script, not on Rafty.
        assertTrue(fromEtcd.get(0).startsWith("exit 0: OK"), fromEtcd.get(0));
        assertEquals("exit 0: d/a\n1\nd/b\n2\nd/c\n3\n", fromEtcd.get(5));
        assertTrue(fromEtcd.get(12).startsWith("exit 0: SUCCESS"), fromEtcd.get(12));
        assertTrue(fromEtcd.get(13).startsWith("exit 0: FAILURE"), fromEtcd.get(13));
        assertTrue(fromEtcd.get(25).startsWith("exit 1: "), fromEtcd.get(25));
        assertTrue(fromEtcd.get(18).startsWith("exit 0: found 1 leases\n<lease>\n"), fromEtcd.get(18));
        assertEquals("exit 0: SUCCESS\n\ne/a\n1\ne/b\n2\ne/b/x\n3\n\n2\ne/b\n2\ne/b/x\n3\n", fromEtcd.get(34));
        assertEquals("exit 0: 2\ne/b\n6\ne/c\n4\n", fromEtcd.get(37));
        assertEquals("exit 0: 2\ne/a\n1\ne/d\n5\n", fromEtcd.get(39));
        assertEquals("exit 0: ", fromEtcd.get(40));
    }

    /**
     * What differs between any two runs, whatever the server: a lease's remaining seconds, and the time and
     * client connection etcdctl's own retry warnings name.
     */
    private static String normaliseTimes(String output) {
        return output.replaceAll("remaining\\(\\d+s\\)", "remaining(<s>)")
                .replaceAll("\"ts\":\"[^\"]*\"", "\"ts\":\"<ts>\"")
                .replaceAll("\"target\":\"[^\"]*\"", "\"target\":\"<target>\"");
    }

    private static String countLine(String output) {
        for (String line : output.split("\n")) {
            if (line.startsWith("\"Count\"")) {
                return line;
            }
        }
        return output;
    }
}
