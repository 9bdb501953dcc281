package io.rafty.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench --target zookeeper} against a standalone ZooKeeper server in this JVM, on an ephemeral
 * port: a short run of each workload completes without errors, and what it wrote is in the znodes.
 */
class ZooKeeperTargetTest {

    private static final int KEYS = 40;
    private static final int VALUE_BYTES = 100;
    private static final Pattern RESULT = Pattern.compile("(?m)^RESULT workload=(\\w+) .*ops_per_s=(\\d+) .*errors=(\\d+)(.*)$");
    private static final Pattern OK_COUNT = Pattern.compile("(?m)^result: (\\d+) ok in ");

    /** The server's INFO lines (its banner, environment, every session) would bury a failure's output. */
    private static final java.util.logging.Logger ZOOKEEPER_LOG = java.util.logging.Logger.getLogger("org.apache.zookeeper");

    @TempDir
    static Path dataDir;
    private static ServerCnxnFactory factory;
    private static ZooKeeperServer server;
    private static String endpoint;

    @BeforeAll
    static void startServer() throws IOException, InterruptedException {
        ZOOKEEPER_LOG.setLevel(java.util.logging.Level.WARNING);
        server = new ZooKeeperServer(dataDir.resolve("snapshots").toFile(), dataDir.resolve("log").toFile(), 2000);
        // 0: no limit on connections per address, since every bench client holds a session.
        factory = ServerCnxnFactory.createFactory(new InetSocketAddress("127.0.0.1", 0), 0);
        factory.startup(server);
        endpoint = "127.0.0.1:" + factory.getLocalPort();
    }

    @AfterAll
    static void stopServer() {
        if (factory != null) {
            factory.shutdown();
        }
        if (server != null) {
            server.shutdown();
        }
    }

    private record Run(int code, String out, String err) {
    }

    private static Run bench(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] line = new String[args.length + 1];
        line[0] = "bench";
        System.arraycopy(args, 0, line, 1, args.length);
        int code = BenchMain.run(line, new PrintWriter(out), new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    /** A connected client of the test server, for reading back what the bench wrote. */
    private static ZooKeeper connect() throws IOException, InterruptedException {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(endpoint, 10_000, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        assertTrue(connected.await(10, TimeUnit.SECONDS), "the checking client connects");
        return zk;
    }

    private static Matcher result(Run run) {
        Matcher result = RESULT.matcher(run.out());
        assertTrue(result.find(), run.out() + run.err());
        return result;
    }

    /** The RESULT line of a run that exited 0 and did some operations of {@code workload}, none failed. */
    private static Matcher cleanResult(Run run, String workload) {
        assertEquals(0, run.code(), run.out() + run.err());
        Matcher result = result(run);
        assertEquals(workload, result.group(1));
        assertTrue(Long.parseLong(result.group(2)) > 0, run.out());
        assertEquals("0", result.group(3), run.out());
        return result;
    }

    private static long okCount(Run run) {
        Matcher ok = OK_COUNT.matcher(run.out());
        assertTrue(ok.find(), run.out());
        return Long.parseLong(ok.group(1));
    }

    @Test
    void putRunSetsDataOnEveryKeyAndEveryAcknowledgedWriteIsThere() throws Exception {
        Run run = bench("--target", "zookeeper", "--endpoints", endpoint, "--workload", "put", "--clients", "8",
                "--duration", "1s", "--keys", String.valueOf(KEYS), "--value-size", String.valueOf(VALUE_BYTES),
                "--event-loops", "2", "--key-prefix", "puts/");
        Matcher result = cleanResult(run, "put");
        assertTrue(run.out().contains("target=zookeeper"), run.out());
        long acknowledged = okCount(run);
        assertTrue(acknowledged > 0, run.out());

        ZooKeeper zk = connect();
        try {
            long versions = 0;
            for (int key = 0; key < KEYS; key++) {
                Stat stat = new Stat();
                byte[] data = zk.getData(ZooKeeperSender.path("puts/", key), false, stat);
                assertEquals(VALUE_BYTES, data.length, "key " + key);
                versions += stat.getVersion();
            }
            // The znodes were created at version 0; each setData that succeeded added one, so the
            // writes the run counted (the measured ones, without those answered after the window) are
            // at most the versions the znodes went through.
            assertTrue(versions >= acknowledged, "versions " + versions + " < acknowledged writes " + acknowledged);
            byte[] first = zk.getData(ZooKeeperSender.path("puts/", 0), false, null);
            byte[] last = zk.getData(ZooKeeperSender.path("puts/", KEYS - 1), false, null);
            assertEquals(new String(first, StandardCharsets.US_ASCII),
                    new String(last, StandardCharsets.US_ASCII), "every write stores the same value");
            assertTrue(new String(first, StandardCharsets.US_ASCII).matches("[a-z]+"),
                    "the generator's value, letters a-z");
        } finally {
            zk.close();
        }
    }

    @Test
    void syncGetRunIsTheLinearizableReadAndCompletesWithoutErrors() throws Exception {
        Run run = bench("--target", "zookeeper", "--endpoints", endpoint, "--workload", "get", "--clients", "8",
                "--duration", "1s", "--keys", String.valueOf(KEYS), "--value-size", String.valueOf(VALUE_BYTES),
                "--event-loops", "1", "--key-prefix", "reads/");
        Matcher result = cleanResult(run, "get");
        assertTrue(result.group(4).contains("reads=linearizable(sync+getData)"), result.group(0));
        assertTrue(run.out().contains("preload: " + KEYS + " keys"), run.out());

        // The preload wrote every key once with setData, after the setup created it.
        ZooKeeper zk = connect();
        try {
            for (int key = 0; key < KEYS; key++) {
                Stat stat = new Stat();
                byte[] data = zk.getData(ZooKeeperSender.path("reads/", key), false, stat);
                assertEquals(VALUE_BYTES, data.length, "key " + key);
                assertTrue(stat.getVersion() >= 1, "key " + key + " was written by the preload");
            }
        } finally {
            zk.close();
        }
    }

    @Test
    void staleGetRunIsLabelledStale() {
        Run run = bench("--target", "zookeeper", "--endpoints", endpoint, "--workload", "get", "--stale",
                "--clients", "4", "--duration", "1s", "--keys", "10", "--no-preload", "--event-loops", "1",
                "--key-prefix", "stale/");
        Matcher result = cleanResult(run, "get");
        assertTrue(result.group(4).contains("reads=stale(getData)"), result.group(0));
        assertTrue(run.out().contains("reads=stale(getData)"), "the header says so too: " + run.out());
    }

    @Test
    void noServerIsACleanFailureWithinTheTimeout() throws IOException {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        long start = System.nanoTime();
        Run run = bench("--target", "zookeeper", "--endpoints", "127.0.0.1:" + closedPort, "--clients", "2",
                "--duration", "1s", "--timeout", "1s", "--keys", "5");
        assertEquals(1, run.code(), run.out() + run.err());
        assertTrue(run.out().contains("could not open the zookeeper target"), run.out());
        assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) < 10, "bounded by the timeout");
    }
}
