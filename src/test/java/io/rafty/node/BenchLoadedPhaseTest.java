package io.rafty.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.bench.BenchMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench tool's loaded phase on three real in-process nodes: writes measured plain, then beside
 * watchers and kept leases ({@code --watchers}, {@code --kept-leases}); the leases are granted on the
 * cluster and kept alive through the window, and a kept lease that goes away is reported lost and fails
 * the run.
 */
class BenchLoadedPhaseTest {

    private static final Duration BUDGET = Duration.ofSeconds(30);
    private static final long FIRST_LEASE = 1_000_000_001L;
    private static final Pattern LEASES = Pattern.compile(
            "LEASES kept=(\\d+) ttl_s=(\\d+) keepalives_per_s=(\\d+) .* failed=(\\d+) lost=(\\d+)");

    @TempDir
    Path dir;

    private TestCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private record Run(int code, String out) {
    }

    private static Run bench(StringWriter out, String endpoints, String... extra) {
        String[] base = {"bench", "--endpoints", endpoints, "--workload", "put", "--clients", "4", "--duration", "2s",
            "--warmup", "1s", "--keys", "20", "--event-loops", "1", "--timeout", "5s"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        int code = BenchMain.run(args, new PrintWriter(out, true), new PrintWriter(new StringWriter()));
        System.out.print(out);
        return new Run(code, out.toString());
    }

    /** Three in-process nodes; their leader. */
    private int startCluster() throws Exception {
        cluster = new TestCluster(dir, 3);
        return cluster.awaitLeader(BUDGET);
    }

    private String endpoints(int leader) {
        return cluster.url(leader) + "," + cluster.url(cluster.anyFollower(leader));
    }

    @Test
    void writesAreMeasuredPlainThenBesideWatchersAndKeptLeases() throws Exception {
        int leader = startCluster();
        Run run = bench(new StringWriter(), endpoints(leader), "--watchers", "3", "--kept-leases", "40");
        assertEquals(0, run.code(), run.out());
        assertTrue(run.out().contains("kept-leases=40 lease-ttl=30s"), run.out());
        assertTrue(Pattern.compile("RESULT workload=put .* errors=0 watchers=0 leases=0").matcher(run.out()).find(),
                run.out());
        assertTrue(Pattern.compile("RESULT workload=put .* errors=0 watchers=3 leases=40").matcher(run.out()).find(),
                run.out());
        assertTrue(run.out().contains("leases: 40 granted (ttl 30 s)"), run.out());
        assertTrue(run.out().contains("WATCH watchers=3 "), run.out());
        Matcher leases = LEASES.matcher(run.out());
        assertTrue(leases.find(), run.out());
        assertEquals("40", leases.group(1));
        // Each of the 40 leases is kept alive every 10 s (the default TTL, 30 s, / 3): 4 per second in the window.
        assertTrue(Long.parseLong(leases.group(3)) >= 2, "keepalives kept pace: " + leases.group());
        assertEquals("0", leases.group(4), "no keepalive failed: " + leases.group());
        assertEquals("0", leases.group(5), "no kept lease was lost: " + leases.group());
        // The leases are the cluster's: the first and the last are there (granted for 30 s, so not expired yet).
        for (long id : new long[] {FIRST_LEASE, FIRST_LEASE + 39}) {
            assertEquals(200, cluster.get(leader, "/v1/leases/" + id).statusCode(), "lease " + id);
        }
    }

    @Test
    void watchersOfAnotherPrefixAreOwedNothingAndSentNothing() throws Exception {
        int leader = startCluster();
        Run run = bench(new StringWriter(), endpoints(leader), "--watchers", "4", "--watch-prefix", "elsewhere/");
        assertEquals(0, run.code(), run.out());
        assertTrue(run.out().contains("watch-prefix=elsewhere/"), run.out());
        assertTrue(run.out().contains("no event is expected"), run.out());
        Matcher watch = Pattern.compile("watch: (\\d+) writes acknowledged in the window, (\\d+) deliveries of them "
                + "recorded \\((\\d+) expected\\)").matcher(run.out());
        assertTrue(watch.find(), run.out());
        assertTrue(Long.parseLong(watch.group(1)) > 0, "writes went on: " + watch.group());
        assertEquals("0", watch.group(2), "no watcher of elsewhere/ got a write to bench/: " + watch.group());
        assertEquals("0", watch.group(3), watch.group());
        assertTrue(Pattern.compile("WATCH watchers=4 events_per_s=0 .* missed=0 cancelled=0").matcher(run.out()).find(),
                run.out());
    }

    @Test
    void aKeptLeaseThatGoesAwayIsLostAndFailsTheRun() throws Exception {
        int leader = startCluster();
        StringWriter out = new StringWriter();
        CompletableFuture<Run> running = CompletableFuture.supplyAsync(() -> bench(out, endpoints(leader),
                "--kept-leases", "10", "--lease-ttl", "3s"));
        // Once the leases are granted (the warm-up of the loaded phase follows), one of them is revoked.
        await().atMost(BUDGET).until(() -> out.toString().contains("leases: 10 granted"));
        assertEquals(200, cluster.delete(leader, "/v1/leases/" + FIRST_LEASE).statusCode());
        Run run = running.get(60, TimeUnit.SECONDS);
        assertEquals(1, run.code(), run.out());
        Matcher leases = LEASES.matcher(run.out());
        assertTrue(leases.find(), run.out());
        assertTrue(Long.parseLong(leases.group(5)) > 0, "the revoked lease's keepalives were lost: " + leases.group());
        assertTrue(run.out().contains("404 lease_not_found (keepalive)"), run.out());
    }
}
