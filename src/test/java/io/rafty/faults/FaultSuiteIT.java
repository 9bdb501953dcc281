package io.rafty.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.check.Budget;
import io.rafty.check.CheckResult;
import io.rafty.check.KvInput;
import io.rafty.check.KvOutput;
import io.rafty.check.LinearizabilityChecker;
import io.rafty.check.Operation;
import io.rafty.check.Outcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped jar under faults: 3 or 5 OS processes, every peer link through a {@link LinkProxy},
 * concurrent clients recording a history, and a {@link Nemesis} that kills, pauses, partitions
 * (two-way, one-way, bridged, flapping), slows and drops links, drawn from one printed seed.
 *
 * <p>Each run then heals everything and checks, failing on any of: a history that is not
 * linearizable (or that the checker could not decide within its budget); a node that exited by
 * itself; a cluster that does not elect a stable leader once healed; an HTTP status the API does not
 * promise; and, after SIGKILL of every node and a restart, an acknowledged write that is gone — the
 * final linearizable read of every key joins the history, which must still be linearizable, and every
 * acknowledged write-once key must hold its value.
 *
 * <p>{@code -Dfaults.durationSec} sets the fault phase of each run (default 30 s);
 * {@code -Dfaults.seed} replays a seed. Runs are kept under {@code target/faults/}: node logs, the
 * nemesis schedule and the checker's verdict; a line per run is appended to {@code target/faults/results.tsv}.
 */
@Tag("faults")
class FaultSuiteIT {

    private static final int CLIENTS = 8;
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3", "k4", "k5");
    private static final long THINK_TIME_MS_MAX = 20;
    private static final Budget CHECK_BUDGET = Budget.of(Budget.DEFAULT_MAX_STEPS_PER_KEY, Duration.ofSeconds(60));
    private static final Map<String, String> TUNABLES = Map.of(
            // Below the clients' 3 s timeout, so most doubt arrives as an honest 504 rather than a timeout.
            "KVSTORE_CLIENT_REQUEST_TIMEOUT_MS", "2000");
    private static final Path RUNS = Path.of(System.getProperty("faults.dir", "target/faults"));

    @Test
    void threeNodesUnderFaults() throws Exception {
        run("3nodes", 3);
    }

    @Test
    void fiveNodesUnderFaults() throws Exception {
        run("5nodes", 5);
    }

    private static long durationSec() {
        String value = System.getProperty("faults.durationSec", "");
        return value.isBlank() ? 30 : Long.parseLong(value.trim());
    }

    private static long seed() {
        String value = System.getProperty("faults.seed", "");
        return value.isBlank() ? ThreadLocalRandom.current().nextLong() : Long.parseLong(value.trim());
    }

    private void run(String name, int size) throws Exception {
        long seed = seed();
        long durationSec = durationSec();
        String testMethod = size == 3 ? "threeNodesUnderFaults" : "fiveNodesUnderFaults";
        System.out.printf("FaultSuiteIT %s seed=%d duration=%ds; replay with: ./mvnw -B verify -Dit.test='FaultSuiteIT#%s' "
                + "-Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false -Dfaults.seed=%d -Dfaults.durationSec=%d%n",
                name, seed, durationSec, testMethod, seed, durationSec);
        Path dir = RUNS.resolve(name + "-seed" + seed).toAbsolutePath();
        Files.createDirectories(dir);
        Path report = dir.resolve("report.txt");
        List<String> reportLines = new ArrayList<>();
        reportLines.add("seed=" + seed + " nodes=" + size + " durationSec=" + durationSec + " started=" + Instant.now());

        try (FaultCluster cluster = new FaultCluster(size, dir, TUNABLES)) {
            Nemesis nemesis = new Nemesis(cluster, seed);
            Workload workload = new Workload(cluster, KEYS, CLIENTS, THINK_TIME_MS_MAX);
            String verdict = "FAILED";
            try {
                Phases phases = new Phases();
                cluster.startAll();
                cluster.awaitStableLeader(Duration.ofSeconds(60));
                phases.end("startup");

                workload.start(seed);
                nemesis.run(TimeUnit.SECONDS.toMillis(durationSec)).get(durationSec + 120, TimeUnit.SECONDS);
                phases.end("faults");
                workload.stop();
                phases.end("clients-drain");
                nemesis.shutdown();
                cluster.healAll();
                reportLines.addAll(nemesis.log());
                reportLines.add("faults: " + nemesis.counts());

                // Healed, the cluster must come back on its own.
                int leader = cluster.awaitStableLeader(Duration.ofSeconds(30));
                phases.end("healed-leader");
                HttpClient http = Workload.newClient();
                for (String key : KEYS) {
                    definitely(workload, http, leader, new KvInput.Put(key, "final-" + key + "-" + seed));
                }
                List<Operation> beforeRestart = workload.history.operations();
                long checkStart = System.nanoTime();
                CheckResult first = LinearizabilityChecker.check(workload.history, CHECK_BUDGET);
                long checkMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkStart);
                phases.end("final-writes+check");
                reportLines.add("check before restart: " + first.explanation());
                assertTrue(first.isLinearizable(), first.explanation());

                // Crash everything at once, then every acknowledged write must still be there.
                cluster.noteCrashes();
                assertTrue(cluster.crashes.isEmpty(), "nodes crashed: " + cluster.crashes);
                cluster.killAll();
                cluster.startAll();
                leader = cluster.awaitStableLeader(Duration.ofSeconds(60));
                phases.end("kill-all+restart");
                Map<String, String> finalValues = new HashMap<>();
                for (String key : KEYS) {
                    KvOutput.GetResult read = (KvOutput.GetResult) definitely(workload, http, leader, new KvInput.Get(key));
                    finalValues.put(key, read.value());
                }
                CheckResult afterRestart = LinearizabilityChecker.check(workload.history, CHECK_BUDGET);
                reportLines.add("check after restart: " + afterRestart.explanation());
                assertTrue(afterRestart.isLinearizable(), afterRestart.explanation());

                int pinned = assertPinnedWritesSurvived(beforeRestart, finalValues);
                Map<String, String> once = readAll(http, cluster.url(leader), Workload.ONCE_PREFIX);
                for (Map.Entry<String, String> write : workload.acknowledgedOnce.entrySet()) {
                    assertEquals(write.getValue(), once.get(write.getKey()),
                            "acknowledged write-once key " + write.getKey() + " after restarting every node");
                }
                assertTrue(workload.unexpected.isEmpty(), "statuses the API does not promise: " + workload.unexpected);
                cluster.noteCrashes();
                assertTrue(cluster.crashes.isEmpty(), "nodes crashed: " + cluster.crashes);

                long unknownWrites = workload.history.operations().stream()
                        .filter(op -> op.outcome() instanceof Outcome.Unknown && !(op.input() instanceof KvInput.Get))
                        .count();
                String summary = String.format("%s\tseed=%d\tdurationSec=%d\t%s\tunknownWrites=%d\tpinnedKeys=%d/%d"
                                + "\twriteOnce=%d/%d acknowledged\tverdict=%s\tcheckMs=%d\tfaults=%s",
                        name, seed, durationSec, workload.counts, unknownWrites, pinned, KEYS.size(),
                        workload.acknowledgedOnce.size(), workload.onceAttempts.get(), afterRestart.verdict(),
                        checkMs, nemesis.counts());
                phases.end("final-reads+checks");
                reportLines.add("phase seconds: " + phases);
                reportLines.add(summary);
                System.out.println("FaultSuiteIT result: " + summary);
                verdict = "PASSED";
                appendResult(summary + "\tphaseSeconds: " + phases);
            } finally {
                nemesis.shutdown();
                reportLines.add("client outcomes: " + workload.counts + "; " + verdict);
                Files.write(report, reportLines);
                if (!"PASSED".equals(verdict)) {
                    appendResult(name + "\tseed=" + seed + "\tdurationSec=" + durationSec + "\t" + workload.counts
                            + "\tFAILED (see " + dir + ")");
                    System.out.println("FaultSuiteIT FAILED; node logs and report in " + dir);
                }
            }
        }
        // Passed: keep the logs and the report, drop the RocksDB directories.
        deleteRecursively(dir.resolve("data"));
    }

    /** Wall-clock seconds per phase of a run, to keep the default run short. */
    private static final class Phases {
        private final StringBuilder text = new StringBuilder();
        private long lastNanos = System.nanoTime();

        void end(String phase) {
            long now = System.nanoTime();
            text.append(text.length() == 0 ? "" : " ").append(phase).append('=')
                    .append(String.format("%.1f", (now - lastNanos) / 1e9));
            lastNanos = now;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /**
     * Repeats {@code input} against the leader (recording every attempt) until it gets a definite
     * answer; used only once the cluster is healed.
     */
    private static KvOutput definitely(Workload workload, HttpClient http, int leader, KvInput input) {
        AtomicReference<KvOutput> output = new AtomicReference<>();
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    output.set(workload.execute(http, 100, leader, input));
                    return output.get() != null;
                });
        return output.get();
    }

    /**
     * For each key, the last acknowledged write — if every other write that could have taken effect
     * completed before it was invoked, nothing can have overwritten it, and the value read after
     * the restart must be exactly its value. Returns how many keys were pinned so.
     */
    private static int assertPinnedWritesSurvived(List<Operation> operations, Map<String, String> finalValues) {
        int pinned = 0;
        for (String key : KEYS) {
            List<Operation> writes = operations.stream()
                    .filter(op -> op.key().equals(key) && mayHaveWritten(op))
                    .toList();
            Operation last = writes.stream().filter(op -> op.outcome() instanceof Outcome.Ok)
                    .max(Comparator.comparingLong(Operation::completeTime)).orElse(null);
            if (last == null || writes.stream().anyMatch(op -> op != last && op.completeTime() >= last.invokeTime())) {
                continue;
            }
            String expected = last.input() instanceof KvInput.Put put ? put.value()
                    : last.input() instanceof KvInput.Cas cas ? cas.newValue() : null;
            assertEquals(expected, finalValues.get(key), "key " + key + " after restarting every node; last write "
                    + last.describe());
            pinned++;
        }
        return pinned;
    }

    private static boolean mayHaveWritten(Operation op) {
        if (op.input() instanceof KvInput.Get || op.outcome() instanceof Outcome.Fail) {
            return false;
        }
        if (op.outcome() instanceof Outcome.Ok ok) {
            return !(ok.output() instanceof KvOutput.CasResult r && !r.swapped())
                    && !(ok.output() instanceof KvOutput.DeleteResult d && !d.found());
        }
        return true;
    }

    /** Every key under {@code prefix}, by linearizable listing pages. */
    private static Map<String, String> readAll(HttpClient http, String base, String prefix) throws Exception {
        Map<String, String> all = new HashMap<>();
        String after = null;
        while (true) {
            String uri = base + "/v1/kv?limit=1000&prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8)
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(uri))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            JsonObject page = new JsonObject(response.body());
            JsonArray items = page.getJsonArray("items");
            for (int i = 0; i < items.size(); i++) {
                JsonObject item = items.getJsonObject(i);
                all.put(item.getString("key"), item.getString("value"));
                after = item.getString("key");
            }
            if (!page.getBoolean("more")) {
                return all;
            }
        }
    }

    private static synchronized void appendResult(String line) throws IOException {
        Files.createDirectories(RUNS);
        Files.writeString(RUNS.resolve("results.tsv"), Instant.now() + "\t" + line + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
