package io.rafty.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rafty.chaos.ChaosEvents;
import io.rafty.chaos.ChaosReport;
import io.rafty.chaos.ChaosRun;
import io.rafty.chaos.FaultKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The shipped jar under faults: 3 or 5 OS processes, every peer link through a proxy, concurrent
 * clients recording a history, and a nemesis that kills, pauses, partitions (two-way, one-way,
 * bridged, flapping), slows and drops links, drawn from one printed seed — the run of
 * {@code rafty chaos} ({@link ChaosRun}, which holds every check), with every fault family and five
 * nodes too. A run passes only with the verdict PASS: linearizable before and after SIGKILL of every
 * node, no acknowledged write lost, no node exiting by itself, no status the API does not promise, a
 * healed cluster that elects a leader.
 *
 * <p>{@code -Dfaults.durationSec} sets the fault phase of each run (default 30 s);
 * {@code -Dfaults.seed} replays a seed; {@code -Dfaults.staleReads=true} makes the clients read
 * {@code ?consistency=stale} (the run must then fail). Runs are kept under {@code target/faults/}: node
 * logs, the history, the report and any counterexample; a line per run is appended to
 * {@code target/faults/results.tsv}.
 */
@Tag("faults")
class FaultSuiteIT {

    private static final Path RUNS = Path.of(System.getProperty("faults.dir", "target/faults"));
    private static final Path JAR = Path.of(System.getProperty("rafty.jar", "target/rafty.jar"));

    @Test
    void threeNodesUnderFaults() throws Exception {
        run("3nodes", 3, "threeNodesUnderFaults");
    }

    @Test
    void fiveNodesUnderFaults() throws Exception {
        run("5nodes", 5, "fiveNodesUnderFaults");
    }

    private static long durationSec() {
        String value = System.getProperty("faults.durationSec", "");
        return value.isBlank() ? 30 : Long.parseLong(value.trim());
    }

    private static long seed() {
        String value = System.getProperty("faults.seed", "");
        return value.isBlank() ? ThreadLocalRandom.current().nextLong() : Long.parseLong(value.trim());
    }

    private void run(String name, int size, String testMethod) throws Exception {
        long seed = seed();
        long durationSec = durationSec();
        String replay = String.format("./mvnw -B verify -Dit.test='FaultSuiteIT#%s' -Dtest=NoSuchTest "
                + "-Dsurefire.failIfNoSpecifiedTests=false -Dfaults.seed=%d -Dfaults.durationSec=%d",
                testMethod, seed, durationSec);
        System.out.println("FaultSuiteIT " + name + " seed=" + seed + " duration=" + durationSec + "s; replay with: "
                + replay);
        Path dir = RUNS.resolve(name + "-seed" + seed).toAbsolutePath();
        deleteRecursively(dir);
        long startNanos = System.nanoTime();
        ChaosRun.Settings settings = ChaosRun.Settings.defaults(size, Duration.ofSeconds(durationSec), seed,
                EnumSet.allOf(FaultKind.class), JAR, dir, replay, System.out::println)
                .withStaleReads(Boolean.getBoolean("faults.staleReads"));
        ChaosReport report = new ChaosRun(settings, new ChaosEvents(startNanos), startNanos).run(urls -> { });
        System.out.println("FaultSuiteIT result: " + report.line());
        appendResult(name + "\t" + report.line() + (report.passed() ? "" : "\t(see " + dir + ")"));
        String evidence = report.counterexample() == null ? String.join("\n", report.violations())
                : Files.readString(report.counterexample());
        assertEquals(ChaosReport.Verdict.PASS, report.verdict(), report.line() + "\n" + evidence);
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
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
