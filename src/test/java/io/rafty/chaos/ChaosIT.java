package io.rafty.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.cli.RaftyCli;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code rafty chaos} end to end, as a user runs it (the CLI in this JVM, three nodes of the fat jar as
 * processes): a short run passes with one verdict line and its files, and serves its faults on the
 * dashboard feed while it runs; the same with nodes that answer linearizable reads from their own
 * commit index (a deliberate bug) fails with a counterexample. Seeds are fixed so a failure replays.
 */
class ChaosIT {

    private static final Path JAR = Path.of(System.getProperty("rafty.jar", "target/rafty.jar"));
    private static final Path RUNS = Path.of(System.getProperty("chaos.dir", "target/chaos-it"));
    private static final Pattern FEED = Pattern.compile("chaos: feed (http://127\\.0\\.0\\.1:\\d+/chaos/events)");
    private static final long RUN_BUDGET_S = 240;

    private record Outcome(int exitCode, String out, String err) {
    }

    private static CompletableFuture<Outcome> chaos(StringWriter out, String... args) {
        return CompletableFuture.supplyAsync(() -> {
            StringWriter err = new StringWriter();
            int code = RaftyCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            return new Outcome(code, out.toString(), err.toString());
        });
    }

    private static String verdictLine(String out) {
        return out.lines().filter(line -> line.startsWith("chaos PASS") || line.startsWith("chaos FAIL")
                || line.startsWith("chaos INCONCLUSIVE")).findFirst().orElse("(no verdict line)\n" + out);
    }

    @Test
    void aShortRunOfTheHealthyJarPassesAndFeedsItsFaultsToTheDashboard() throws Exception {
        Path dir = RUNS.resolve("pass").toAbsolutePath();
        ChaosRun.deleteRecursively(dir);
        StringWriter out = new StringWriter();
        CompletableFuture<Outcome> run = chaos(out, "chaos", "--duration", "15s", "--seed", "1801",
                "--faults", "kill,pause,partition,slow", "--jar", JAR.toString(), "--dir", dir.toString(),
                "--feed-linger", "1ms");

        // While it runs: the feed answers with CORS, and the faults appear in it as they happen.
        AtomicReference<String> feed = new AtomicReference<>();
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
            Matcher matcher = FEED.matcher(out.toString());
            if (matcher.find()) {
                feed.set(matcher.group(1));
            }
            // The feed line comes before the nodes start, the dashboard line once they have: wait for both.
            return feed.get() != null && out.toString().contains("dashboard: ") || run.isDone();
        });
        assertTrue(feed.get() != null, "no feed line in: " + out);
        assertTrue(out.toString().contains("dashboard: http://127.0.0.1:"), out.toString());
        HttpClient http = HttpClient.newHttpClient();
        List<JsonObject> seen = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(RUN_BUDGET_S)).pollInterval(Duration.ofMillis(300)).until(() -> {
            long after = seen.isEmpty() ? 0 : seen.get(seen.size() - 1).getLong("seq");
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(feed.get() + "?after=" + after))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("*", response.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            JsonObject body = new JsonObject(response.body());
            JsonArray events = body.getJsonArray("events");
            for (int i = 0; i < events.size(); i++) {
                seen.add(events.getJsonObject(i));
            }
            return seen.stream().anyMatch(e -> !"verdict".equals(e.getString("kind"))) || run.isDone();
        });
        assertTrue(seen.stream().anyMatch(e -> e.getString("kind").matches("kill|pause|partition|slow")),
                "no fault in the feed: " + seen);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i).getLong("seq") > seen.get(i - 1).getLong("seq"), "sequence numbers: " + seen);
        }

        Outcome outcome = run.get(RUN_BUDGET_S, TimeUnit.SECONDS);
        String verdict = verdictLine(outcome.out());
        assertEquals(0, outcome.exitCode(), verdict + "\n" + outcome.err());
        assertTrue(verdict.startsWith("chaos PASS: seed=1801 nodes=3 duration=15s ops="), verdict);
        assertTrue(verdict.contains("keys checked=6"), verdict);
        assertTrue(Files.size(dir.resolve("history.jsonl")) > 0, "history saved");
        assertTrue(Files.readString(dir.resolve("report.txt")).contains(verdict), "report ends with the verdict");
        assertTrue(Files.notExists(dir.resolve("counterexample.txt")), "no counterexample on a pass");
    }

    /**
     * Every node answers a linearizable read from its own commit index, the leader without a heartbeat
     * round and a follower without asking the leader: a node resumed from SIGSTOP answers the reads
     * queued at it from the state it was frozen in. Pauses only, so that every fault can expose it.
     */
    @Test
    void nodesThatReadFromTheirOwnCommitIndexFailTheRunWithACounterexample() throws Exception {
        Path dir = RUNS.resolve("deliberate-bug").toAbsolutePath();
        ChaosRun.deleteRecursively(dir);
        StringWriter out = new StringWriter();
        Outcome outcome = chaos(out, "chaos", "--duration", "15s", "--seed", "1802", "--faults", "pause",
                "--deliberate-bug", "FOLLOWER_READ_FROM_LOCAL_COMMIT,READ_WITHOUT_READ_INDEX",
                "--jar", JAR.toString(), "--dir", dir.toString(), "--feed-linger", "1ms")
                .get(RUN_BUDGET_S, TimeUnit.SECONDS);
        String verdict = verdictLine(outcome.out());
        assertEquals(1, outcome.exitCode(), verdict + "\n" + outcome.err());
        assertTrue(verdict.startsWith("chaos FAIL: seed=1802"), verdict);
        assertTrue(verdict.contains("not linearizable"), verdict);
        assertTrue(outcome.out().contains("counterexample: " + dir.resolve("counterexample.txt")), outcome.out());
        String counterexample = Files.readString(dir.resolve("counterexample.txt"));
        assertTrue(counterexample.contains("is not linearizable"), counterexample);
        assertTrue(counterexample.contains("cannot be placed before it completed"), counterexample);
        assertTrue(counterexample.contains("[node "), counterexample);
        assertTrue(counterexample.contains("pause node") || counterexample.contains("resume node"), counterexample);
        for (int id = 1; id <= 3; id++) {
            assertTrue(Files.readString(dir.resolve("node" + id + ".log")).contains("RUNS WITH DELIBERATE BUGS"),
                    "node " + id + " warns that it runs with a deliberate bug");
        }
    }
}
