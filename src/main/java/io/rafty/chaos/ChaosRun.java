package io.rafty.chaos;

import io.rafty.check.Budget;
import io.rafty.check.CheckResult;
import io.rafty.check.KvInput;
import io.rafty.check.KvOutput;
import io.rafty.check.LinearizabilityChecker;
import io.rafty.check.Operation;
import io.rafty.check.Outcome;
import io.rafty.config.DeliberateBugFlag;
import io.rafty.raft.DeliberateBug;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One chaos run: start a cluster of the fat jar behind per-link proxies, let clients work while the
 * {@link Nemesis} breaks it, heal, then judge. The judgement, in order:
 *
 * <ol>
 *   <li>healed, the cluster must agree on a leader within {@link Settings#healedLeaderBudget()};</li>
 *   <li>one final acknowledged put per key, then the whole history must be linearizable (the checker
 *       running out of budget makes the run INCONCLUSIVE, never a pass);</li>
 *   <li>SIGKILL every node, restart them all, read every key linearizably and check the history again
 *       with those reads: every acknowledged write must still be visible as the clients saw it;</li>
 *   <li>every acknowledged write-once key ({@code once/N}, written by one request and never touched
 *       again) must hold its value, and every key whose last acknowledged write nothing else can have
 *       overwritten must hold exactly that value;</li>
 *   <li>no node may exit by itself, and no answer may carry a status the API does not promise.</li>
 * </ol>
 *
 * <p>Everything lands in {@link Settings#runDir()}: {@code history.jsonl} (every operation, on the
 * clock of microseconds since the start), {@code report.txt} (the nemesis schedule and the findings),
 * {@code counterexample.txt} on a violation, the node logs and, on a failure only, their data.
 */
public final class ChaosRun {

    /** An operation's {@code [invoke..complete]} in a checker explanation. */
    private static final Pattern TIME_RANGE = Pattern.compile("\\[(\\d+)\\.\\.(\\d+|inf)]");
    /** The line of a checker explanation naming the operation that could not be placed. */
    private static final Pattern BLOCKED_LINE = Pattern.compile("Then #\\d+ client .*");
    /** A line describing one operation, {@code #17 client 3 [..]}; group 1 is its id. */
    private static final Pattern OPERATION_LINE = Pattern.compile("#(\\d+) client \\d+ \\[");
    /** Faults this long before a counterexample's blocked operation are shown beside it (a pause lasts up to 5 s). */
    private static final long COUNTEREXAMPLE_CONTEXT_MICROS = 6_000_000;
    private static final Duration FINAL_OPERATION_BUDGET = Duration.ofSeconds(30);
    private static final long FINAL_OPERATION_RETRY_MS = 200;
    private static final int FINAL_CLIENT_ID = 100;

    /**
     * How to run.
     *
     * @param jar             the fat jar the nodes run
     * @param runDir          where logs, data and results go (created)
     * @param nodeEnv         extra environment for every node (tunables); identities are set per node
     * @param deliberateBugs  bugs the nodes are started with ({@link DeliberateBugFlag}); empty normally
     * @param staleReads      clients read {@code ?consistency=stale}: another way to show the check has teeth
     * @param replay          the command line that replays this run, printed in the verdict
     * @param progress        where progress lines go (the nemesis schedule among them)
     */
    public record Settings(int nodes, Duration duration, long seed, Set<FaultKind> faults, Path jar, Path runDir,
                           Map<String, String> nodeEnv, Set<DeliberateBug> deliberateBugs, int clients,
                           List<String> keys, long thinkTimeMsMax, boolean staleReads, Budget checkBudget,
                           Duration startupBudget, Duration healedLeaderBudget, String replay,
                           Consumer<String> progress) {

        /** The clients and keys of the fault suite, its timeouts, and the given essentials. */
        public static Settings defaults(int nodes, Duration duration, long seed, Set<FaultKind> faults, Path jar,
                                        Path runDir, String replay, Consumer<String> progress) {
            return new Settings(nodes, duration, seed, faults, jar, runDir,
                    // Below the clients' 3 s timeout, so most doubt arrives as an honest 504 rather than a timeout.
                    Map.of("KVSTORE_CLIENT_REQUEST_TIMEOUT_MS", "2000"), Set.of(), 8,
                    List.of("k0", "k1", "k2", "k3", "k4", "k5"), 20, false,
                    Budget.of(Budget.DEFAULT_MAX_STEPS_PER_KEY, Duration.ofSeconds(60)), Duration.ofSeconds(60),
                    Duration.ofSeconds(30), replay, progress);
        }

        public Settings withDeliberateBugs(Set<DeliberateBug> bugs) {
            return new Settings(nodes, duration, seed, faults, jar, runDir, nodeEnv, bugs, clients, keys,
                    thinkTimeMsMax, staleReads, checkBudget, startupBudget, healedLeaderBudget, replay, progress);
        }

        public Settings withStaleReads(boolean stale) {
            return new Settings(nodes, duration, seed, faults, jar, runDir, nodeEnv, deliberateBugs, clients, keys,
                    thinkTimeMsMax, stale, checkBudget, startupBudget, healedLeaderBudget, replay, progress);
        }
    }

    private final Settings settings;
    private final ChaosEvents events;
    private final long startNanos;

    /** @param events where the faults are recorded as they happen (the feed reads it) */
    public ChaosRun(Settings settings, ChaosEvents events, long startNanos) {
        this.settings = settings;
        this.events = events;
        this.startNanos = startNanos;
    }

    /**
     * Runs and judges; records the verdict as the last event.
     *
     * @param onStart told every node's URL, by id, as soon as the nodes are started
     */
    public ChaosReport run(Consumer<Map<Integer, String>> onStart) throws IOException, InterruptedException {
        Path dir = settings.runDir().toAbsolutePath();
        Files.createDirectories(dir);
        Findings findings = new Findings(dir);
        findings.reportLines.add("seed=" + settings.seed() + " nodes=" + settings.nodes() + " duration="
                + settings.duration().toSeconds() + "s faults=" + settings.faults() + " deliberateBugs="
                + settings.deliberateBugs() + " started=" + Instant.now());
        Map<String, String> env = new HashMap<>(settings.nodeEnv());
        if (!settings.deliberateBugs().isEmpty()) {
            env.put(DeliberateBugFlag.BUG_ENV, String.join(",", settings.deliberateBugs().stream().map(Enum::name)
                    .toList()));
            env.put(DeliberateBugFlag.ALLOW_ENV, "true");
        }
        Nemesis nemesis = null;
        Workload workload = null;
        try (FaultCluster cluster = new FaultCluster(settings.nodes(), settings.jar(), dir, env, events)) {
            cluster.startAll();
            Map<Integer, String> urls = new java.util.TreeMap<>();
            for (int id : cluster.ids()) {
                urls.put(id, cluster.url(id));
            }
            onStart.accept(urls);
            cluster.awaitStableLeader(settings.startupBudget());
            nemesis = new Nemesis(cluster, settings.seed(), settings.faults(), settings.progress());
            workload = new Workload(cluster, settings.keys(), settings.clients(), settings.thinkTimeMsMax(),
                    settings.staleReads(), startNanos);
            judge(cluster, nemesis, workload, findings);
        } catch (FaultCluster.NoLeaderException e) {
            findings.inconclusive("the cluster did not start: " + firstLine(e.getMessage()));
            findings.reportLines.add(e.getMessage());
        } catch (IOException | IllegalStateException e) {
            // The harness broke (a port taken, a signal that failed): nothing to judge the cluster by.
            findings.inconclusive("the run broke: " + e.getMessage());
            findings.reportLines.add("the run broke: " + e);
        } finally {
            if (nemesis != null) {
                nemesis.shutdown();
            }
        }
        return finish(findings, nemesis, workload);
    }

    private void judge(FaultCluster cluster, Nemesis nemesis, Workload workload, Findings findings)
            throws IOException, InterruptedException {
        long durationMs = settings.duration().toMillis();
        workload.start(settings.seed());
        try {
            nemesis.run(durationMs).get(durationMs + TimeUnit.MINUTES.toMillis(2), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("the nemesis failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the nemesis did not finish its schedule", e);
        }
        workload.stop();
        nemesis.shutdown();
        cluster.healAll();
        findings.reportLines.addAll(nemesis.schedule());
        settings.progress().accept("faults over; healed; checking");

        int leader;
        try {
            leader = cluster.awaitStableLeader(settings.healedLeaderBudget());
        } catch (FaultCluster.NoLeaderException e) {
            findings.violation("no leader " + settings.healedLeaderBudget().toSeconds() + " s after healing every fault",
                    e.getMessage());
            return;
        }
        HttpClient http = Workload.newClient();
        for (String key : settings.keys()) {
            if (definitely(workload, http, leader, new KvInput.Put(key, "final-" + key + "-" + settings.seed())) == null) {
                findings.violation("the healed cluster did not acknowledge a put to " + key + " within "
                        + FINAL_OPERATION_BUDGET.toSeconds() + " s", "");
                return;
            }
        }
        List<Operation> beforeRestart = workload.history.operations();
        CheckResult first = LinearizabilityChecker.check(workload.history, settings.checkBudget());
        findings.reportLines.add("check before the restart: " + firstLine(first.explanation()));
        if (!findings.linearizability(first, "before restarting every node")) {
            return;
        }

        cluster.noteCrashes();
        cluster.killAllAndRestart();
        try {
            leader = cluster.awaitStableLeader(settings.startupBudget());
        } catch (FaultCluster.NoLeaderException e) {
            findings.violation("no leader after restarting every node", e.getMessage());
            return;
        }
        Map<String, String> finalValues = new HashMap<>();
        for (String key : settings.keys()) {
            KvOutput read = definitely(workload, http, leader, new KvInput.Get(key));
            if (read == null) {
                findings.violation("no linearizable read of " + key + " after restarting every node", "");
                return;
            }
            finalValues.put(key, ((KvOutput.GetResult) read).value());
        }
        CheckResult afterRestart = LinearizabilityChecker.check(workload.history, settings.checkBudget());
        findings.reportLines.add("check after the restart: " + firstLine(afterRestart.explanation()));
        findings.keysChecked = afterRestart.keys().size();
        if (!findings.linearizability(afterRestart, "after restarting every node (acknowledged writes lost?)")) {
            return;
        }
        pinnedWritesSurvived(beforeRestart, finalValues, findings);
        writeOnceKeysSurvived(http, cluster.url(leader), workload, findings);
        for (String unexpected : workload.unexpected) {
            findings.violation("a status the API does not promise: " + unexpected, "");
        }
        cluster.noteCrashes();
        for (String crash : cluster.crashes) {
            findings.violation(crash, "");
        }
    }

    /**
     * Repeats {@code input} against the leader (recording every attempt) until it gets a definite
     * answer; used only once the cluster is healed. Null when the budget runs out.
     */
    private static KvOutput definitely(Workload workload, HttpClient http, int leader, KvInput input) {
        long deadline = System.nanoTime() + FINAL_OPERATION_BUDGET.toNanos();
        while (System.nanoTime() - deadline < 0) {
            KvOutput output = workload.execute(http, FINAL_CLIENT_ID, leader, input);
            if (output != null) {
                return output;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(FINAL_OPERATION_RETRY_MS));
        }
        return null;
    }

    /**
     * For each key, the last acknowledged write — if every other write that could have taken effect
     * completed before it was invoked, nothing can have overwritten it, and the value read after the
     * restart must be exactly its value.
     */
    private void pinnedWritesSurvived(List<Operation> operations, Map<String, String> finalValues, Findings findings) {
        for (String key : settings.keys()) {
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
            String found = finalValues.get(key);
            if (expected == null ? found != null : !expected.equals(found)) {
                findings.violation("key " + key + " lost its last acknowledged write after restarting every node",
                        "last write " + last.describe() + "\nread after the restart: " + KvInput.quote(found));
            }
        }
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

    private void writeOnceKeysSurvived(HttpClient http, String base, Workload workload, Findings findings)
            throws InterruptedException {
        Map<String, String> once;
        try {
            once = readAll(http, base, Workload.ONCE_PREFIX);
        } catch (IOException e) {
            findings.violation("could not list the write-once keys after restarting every node: " + e.getMessage(), "");
            return;
        }
        StringBuilder lost = new StringBuilder();
        int lostCount = 0;
        for (Map.Entry<String, String> write : new java.util.TreeMap<>(workload.acknowledgedOnce).entrySet()) {
            String found = once.get(write.getKey());
            if (!write.getValue().equals(found)) {
                lostCount++;
                lost.append(write.getKey()).append(": acknowledged ").append(KvInput.quote(write.getValue()))
                        .append(", found ").append(KvInput.quote(found)).append('\n');
            }
        }
        findings.writeOnceKeys = workload.acknowledgedOnce.size() - lostCount;
        if (lostCount > 0) {
            findings.violation(lostCount + " of " + workload.acknowledgedOnce.size()
                    + " acknowledged write-once keys lost after restarting every node", lost.toString());
        }
    }

    /** Every key under {@code prefix}, by linearizable listing pages. */
    private static Map<String, String> readAll(HttpClient http, String base, String prefix)
            throws IOException, InterruptedException {
        Map<String, String> all = new HashMap<>();
        String after = null;
        while (true) {
            String uri = base + "/v1/kv?limit=1000&prefix=" + URLEncoder.encode(prefix, StandardCharsets.UTF_8)
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8));
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(uri))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IOException("GET " + uri + " answered " + response.statusCode() + " " + response.body());
            }
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

    // ----- the verdict and the files ---------------------------------------------------------------

    private ChaosReport finish(Findings findings, Nemesis nemesis, Workload workload) throws IOException {
        Path dir = findings.dir;
        List<Operation> operations = workload == null ? List.of() : workload.history.operations();
        Path history = dir.resolve("history.jsonl");
        HistoryFile.write(history, operations, workload == null ? Map.of() : workload.nodeOfOperation);
        long acknowledged = operations.stream().filter(op -> op.outcome() instanceof Outcome.Ok).count();
        long failed = operations.stream().filter(op -> op.outcome() instanceof Outcome.Fail).count();
        long unknown = operations.stream().filter(op -> op.outcome() instanceof Outcome.Unknown).count();
        Map<FaultKind, Integer> faults = new EnumMap<>(FaultKind.class);
        if (nemesis != null) {
            for (Map.Entry<Nemesis.Fault, Integer> count : nemesis.counts().entrySet()) {
                faults.merge(count.getKey().kind, count.getValue(), Integer::sum);
            }
        }
        ChaosReport.Verdict verdict = !findings.violations.isEmpty() ? ChaosReport.Verdict.FAIL
                : findings.inconclusive != null ? ChaosReport.Verdict.INCONCLUSIVE : ChaosReport.Verdict.PASS;
        List<String> lines = verdict == ChaosReport.Verdict.INCONCLUSIVE ? List.of(findings.inconclusive)
                : findings.violations;
        Path counterexample = null;
        if (verdict == ChaosReport.Verdict.FAIL) {
            counterexample = dir.resolve("counterexample.txt");
            Files.writeString(counterexample, counterexampleText(findings,
                    workload == null ? Map.of() : workload.nodeOfOperation), StandardCharsets.UTF_8);
        }
        Path report = dir.resolve("report.txt");
        ChaosReport result = new ChaosReport(verdict, settings.seed(), settings.nodes(), settings.duration().toSeconds(),
                operations.size(), acknowledged, failed, unknown, faults, findings.keysChecked, findings.writeOnceKeys,
                lines, settings.replay(), dir, history, counterexample, report);
        findings.reportLines.add("faults by kind: " + faults + "; by fault: "
                + (nemesis == null ? "{}" : nemesis.counts()));
        for (String violation : findings.violations) {
            findings.reportLines.add("VIOLATION: " + violation);
        }
        findings.reportLines.add("events:");
        for (ChaosEvents.Event event : events.all()) {
            findings.reportLines.add("  " + event.describe());
        }
        findings.reportLines.add(result.line());
        Files.write(report, findings.reportLines, StandardCharsets.UTF_8);
        events.record(ChaosEvents.Kind.VERDICT, "cluster", result.line());
        events.finish();
        if (verdict == ChaosReport.Verdict.PASS) {
            deleteRecursively(dir.resolve("data"));
        }
        return result;
    }

    /** Each violation with its evidence, the node of every operation named, and the faults just before. */
    private String counterexampleText(Findings findings, Map<Integer, Integer> nodeOfOperation) {
        StringBuilder text = new StringBuilder();
        text.append("Chaos run seed ").append(settings.seed()).append(": ").append(findings.violations.size())
                .append(" violation(s). Times are microseconds since the run started; [a..b] is when the client\n")
                .append("sent the request and when it got the answer (inf: it never learned the outcome); [node N] is\n")
                .append("the node it was sent to. The whole history is in history.jsonl, every fault in report.txt.\n")
                .append("Replay the nemesis schedule: ").append(settings.replay()).append("\n");
        for (Map.Entry<String, List<String>> violation : findings.evidence.entrySet()) {
            text.append("\n== ").append(violation.getKey()).append('\n');
            for (String part : violation.getValue()) {
                text.append('\n').append(withNodes(part, nodeOfOperation)).append('\n');
                text.append(eventsBefore(part));
            }
        }
        return text.toString();
    }

    /** Appends {@code [node N]} to every line that describes an operation ({@code #id client c ...}). */
    private static String withNodes(String part, Map<Integer, Integer> nodeOfOperation) {
        StringBuilder text = new StringBuilder();
        for (String line : part.split("\n", -1)) {
            Matcher matcher = OPERATION_LINE.matcher(line);
            Integer node = matcher.find() ? nodeOfOperation.get(Integer.parseInt(matcher.group(1))) : null;
            text.append(line).append(node == null ? "" : "  [node " + node + "]").append('\n');
        }
        return text.toString().stripTrailing();
    }

    /**
     * The faults in force or healed shortly before the operation the checker could not place (the
     * {@code Then #…} line), or before the latest operation named when there is no such line.
     */
    private String eventsBefore(String part) {
        Matcher then = BLOCKED_LINE.matcher(part);
        Matcher matcher = TIME_RANGE.matcher(then.find() ? then.group() : part);
        long from = Long.MAX_VALUE;
        long to = Long.MIN_VALUE;
        while (matcher.find()) {
            long invoke = Long.parseLong(matcher.group(1));
            from = Math.min(from, invoke);
            to = Math.max(to, matcher.group(2).equals("inf") ? invoke : Long.parseLong(matcher.group(2)));
        }
        if (from == Long.MAX_VALUE) {
            return "";
        }
        long windowStart = from - COUNTEREXAMPLE_CONTEXT_MICROS;
        StringBuilder text = new StringBuilder("  Faults from ").append(windowStart).append(" to ").append(to)
                .append(" (the ").append(COUNTEREXAMPLE_CONTEXT_MICROS / 1_000_000).append(" s before it):\n");
        int shown = 0;
        for (ChaosEvents.Event event : events.all()) {
            if (event.runMicros() >= windowStart && event.runMicros() <= to && event.kind() != ChaosEvents.Kind.VERDICT) {
                text.append("    ").append(event.describe()).append('\n');
                shown++;
            }
        }
        if (shown == 0) {
            text.append("    none began or ended then (see report.txt for what was in force)\n");
        }
        return text.toString();
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** What the judgement found so far. */
    private static final class Findings {
        final Path dir;
        final List<String> reportLines = new ArrayList<>();
        final List<String> violations = new ArrayList<>();
        /** Violation line → its evidence, in parts (one per key for the checker, the lost values…). */
        final Map<String, List<String>> evidence = new LinkedHashMap<>();
        String inconclusive;
        int keysChecked;
        int writeOnceKeys;

        Findings(Path dir) {
            this.dir = dir;
        }

        void violation(String line, String detail) {
            violation(line, detail.isEmpty() ? List.of() : List.of(detail));
        }

        void violation(String line, List<String> parts) {
            violations.add(line);
            evidence.put(line, List.copyOf(parts));
        }

        void inconclusive(String why) {
            if (inconclusive == null) {
                inconclusive = why;
            }
        }

        /** True when linearizable; otherwise records a violation (or an inconclusive check) and returns false. */
        boolean linearizability(CheckResult result, String when) {
            keysChecked = result.keys().size();
            if (result.isLinearizable()) {
                return true;
            }
            Set<String> keys = new TreeSet<>();
            List<String> explanations = new ArrayList<>();
            for (CheckResult.KeyResult key : result.keys()) {
                if (key.verdict() != CheckResult.Verdict.LINEARIZABLE) {
                    keys.add(key.key());
                    explanations.add(key.explanation());
                }
            }
            if (result.verdict() == CheckResult.Verdict.UNKNOWN) {
                inconclusive("the checker ran out of budget on key(s) " + keys + " " + when);
            } else {
                violation("not linearizable " + when + ": key(s) " + keys, explanations);
            }
            return false;
        }
    }
}
