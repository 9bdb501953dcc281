package io.rafty.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rafty.raft.DeliberateBug;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The deterministic cluster simulator's sweeps.
 *
 * <p>{@code ./mvnw -q test -Dtest=SimulationTest -Dsim.seeds=N -Dsim.firstSeed=S} runs seeds
 * S..S+N-1; without those properties the default sweep runs. {@code -Dsim.events=E} changes the
 * chaos phase's length and {@code -Dsim.bugs=BUG,...} switches on {@link DeliberateBug}s (to replay
 * a seed of {@link DeliberateBugTest}). The last line of output is
 * {@code sim: seeds=N events=E failures=F}.
 */
class SimulationTest {

    static final long DEFAULT_FIRST_SEED = 1;
    static final int DEFAULT_SEEDS = 500;
    static final long DEFAULT_EVENTS_PER_SEED = 25_000;
    /** Failing seeds that get shrunk and reported in full; the rest are listed by number. */
    static final int FAILURES_REPORTED_MAX = 3;

    record Sweep(int seeds, long events, List<Simulation.Result> failures, List<Simulation.Result> results,
                 int membershipWorlds, MembershipNemesis.Counts membership, Simulation.Faults faults,
                 Simulation.Watches watches) {
    }

    static Simulation.Result runSeed(long seed, long events, Set<DeliberateBug> bugs) {
        return new Simulation(SimParameters.draw(seed, events, bugs), new CheckedRecorder()).run();
    }

    /** Runs seeds in parallel (each seed is single-threaded and deterministic); results in seed order. */
    static Sweep sweep(long firstSeed, int seeds, long events, Set<DeliberateBug> bugs, boolean stopAtFirstFailure) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long totalEvents = 0;
            int membershipWorlds = 0;
            MembershipNemesis.Counts membership = new MembershipNemesis.Counts(0, 0, 0, 0);
            Simulation.Faults faults = new Simulation.Faults(0, 0);
            Simulation.Watches watches = new Simulation.Watches(0, 0, 0, 0, 0, 0, 0);
            List<Simulation.Result> failures = new ArrayList<>();
            List<Simulation.Result> results = new ArrayList<>();
            int ran = 0;
            int batch = threads * 4;
            for (long start = firstSeed; start < firstSeed + seeds; start += batch) {
                List<Future<Simulation.Result>> futures = new ArrayList<>();
                for (long seed = start; seed < Math.min(start + batch, firstSeed + seeds); seed++) {
                    long s = seed;
                    futures.add(pool.submit(() -> runSeed(s, events, bugs)));
                }
                for (Future<Simulation.Result> future : futures) {
                    Simulation.Result result = future.get();
                    ran++;
                    totalEvents += result.events();
                    if (result.parameters().membershipWeight() > 0) {
                        membershipWorlds++;
                    }
                    membership = membership.plus(result.membership());
                    faults = faults.plus(result.faults());
                    watches = watches.plus(result.watches());
                    if (seeds <= 16) {
                        results.add(result);
                    }
                    if (result.failed()) {
                        failures.add(result);
                    }
                }
                if (stopAtFirstFailure && !failures.isEmpty()) {
                    break;
                }
            }
            return new Sweep(ran, totalEvents, failures, results, membershipWorlds, membership, faults, watches);
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    static String replayCommand(SimParameters parameters) {
        StringBuilder out = new StringBuilder("./mvnw -q test -Dtest=SimulationTest -Dsim.seeds=1 -Dsim.firstSeed=")
                .append(parameters.seed());
        if (parameters.chaosEvents() != DEFAULT_EVENTS_PER_SEED) {
            out.append(" -Dsim.events=").append(parameters.chaosEvents());
        }
        if (!MembershipNemesis.LEADER_LEAVES_TWO_VOTERS) {
            out.append(" -Dsim.leaderLeavesTwoVoters=false");
        }
        if (!parameters.bugs().isEmpty()) {
            out.append(" -Dsim.bugs=").append(String.join(",", new TreeSet<>(parameters.bugs()).stream()
                    .map(Enum::name).toList()));
        }
        return out.toString();
    }

    static String report(Simulation.Result failure) {
        StringBuilder out = new StringBuilder();
        out.append("sim: FAILED seed=").append(failure.seed()).append(": ").append(failure.failure()).append('\n');
        out.append("sim: world: ").append(failure.parameters().describe()).append('\n');
        out.append("sim: replay: ").append(replayCommand(failure.parameters())).append('\n');
        out.append("sim: last ").append(failure.traceTail().size()).append(" trace lines:\n");
        for (String line : failure.traceTail()) {
            out.append("  ").append(line).append('\n');
        }
        return out.toString();
    }

    /**
     * Shrinks a failing run by its only free dimension: the length of the chaos phase. The run with
     * a shorter budget is the same schedule cut short and then healed, so the smallest budget that
     * still fails is the shortest prefix of the schedule that reproduces a failure (binary search; the
     * property is not strictly monotone, so this finds a small failing budget, not the minimum).
     */
    static Simulation.Result shrink(Simulation.Result failure) {
        SimParameters parameters = failure.parameters();
        Simulation.Result smallest = failure;
        long low = 0;
        long high = parameters.chaosEvents();
        while (high - low > Math.max(50, high / 100)) {
            long middle = (low + high) / 2;
            Simulation.Result attempt = runSeed(parameters.seed(), middle, parameters.bugs());
            if (attempt.failed()) {
                smallest = attempt;
                high = middle;
            } else {
                low = middle;
            }
        }
        return smallest;
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static Set<DeliberateBug> bugsFromProperty() {
        Set<DeliberateBug> bugs = new TreeSet<>();
        String property = property("sim.bugs");
        if (property != null) {
            for (String name : property.split(",")) {
                bugs.add(DeliberateBug.valueOf(name.trim()));
            }
        }
        return bugs;
    }

    @Test
    void sweepFindsNoFailure() {
        long firstSeed = property("sim.firstSeed") == null ? DEFAULT_FIRST_SEED : Long.parseLong(property("sim.firstSeed"));
        int seeds = property("sim.seeds") == null ? DEFAULT_SEEDS : Integer.parseInt(property("sim.seeds"));
        long events = property("sim.events") == null ? DEFAULT_EVENTS_PER_SEED : Long.parseLong(property("sim.events"));
        Set<DeliberateBug> bugs = bugsFromProperty();
        boolean few = seeds <= 16;
        if (few) {
            for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
                System.out.println("sim: " + SimParameters.draw(seed, events, bugs).describe());
            }
        } else {
            System.out.println("sim: seeds " + firstSeed + ".." + (firstSeed + seeds - 1) + ", " + events
                    + " chaos events each" + (bugs.isEmpty() ? "" : ", bugs " + bugs)
                    + " (each failing seed's world is printed with it)");
        }
        long startNanos = System.nanoTime();
        Sweep sweep = sweep(firstSeed, seeds, events, bugs, false);
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        for (Simulation.Result result : sweep.results()) {
            System.out.println("sim: seed " + result.seed() + ": " + result.events() + " events, "
                    + result.operations() + " client operations, trace fingerprint "
                    + Long.toHexString(result.fingerprint()) + (result.failed() ? ", FAILED" : ", ok"));
        }
        List<Simulation.Result> failures = sweep.failures();
        for (int i = 0; i < failures.size(); i++) {
            Simulation.Result failure = failures.get(i);
            if (i >= FAILURES_REPORTED_MAX) {
                System.out.println("sim: FAILED seed=" + failure.seed() + ": " + failure.failure().lines().findFirst()
                        .orElse(""));
                continue;
            }
            System.out.print(report(failure));
            Simulation.Result shrunk = shrink(failure);
            if (shrunk.parameters().chaosEvents() < failure.parameters().chaosEvents()) {
                System.out.println("sim: shrunk: seed " + shrunk.seed() + " fails already with a chaos phase of "
                        + shrunk.parameters().chaosEvents() + " events: " + shrunk.failure().lines().findFirst()
                        .orElse(""));
                System.out.println("sim: replay the shrunk run: " + replayCommand(shrunk.parameters()));
            }
        }
        MembershipNemesis.Counts membership = sweep.membership();
        System.out.println("sim: membership nemesis in " + sweep.membershipWorlds() + " worlds: "
                + membership.changes() + " configuration changes appended, " + membership.transfers()
                + " leadership transfers started, " + membership.refused() + " refused, " + membership.retired()
                + " removed nodes retired");
        System.out.println("sim: disks lost: " + sweep.faults().disksLost() + " (" + sweep.faults().scenarios()
                + " lost-disk scenarios: a follower cut off, another one's disk lost, then the leader crashed)");
        Simulation.Watches watches = sweep.watches();
        System.out.println("sim: watches: " + watches.sessions() + " sessions (" + watches.resumed()
                + " resumed after a last-seen revision), " + watches.changes() + " changes checked, "
                + watches.slow() + " cancelled as slow, " + watches.compacted() + " told compacted; "
                + watches.historyReads() + " reads at a past revision; history compacted in "
                + watches.compactedWorlds() + " worlds");
        System.out.println("sim: " + millis + " ms");
        System.out.println("sim: seeds=" + sweep.seeds() + " events=" + sweep.events() + " failures="
                + failures.size());
        System.out.flush();
        if (!failures.isEmpty()) {
            fail(failures.size() + " failing seed(s), first " + failures.get(0).seed() + ": "
                    + failures.get(0).failure());
        }
    }

    // Immutable sets and maps (Set.of, Set.copyOf) iterate in an order salted per JVM: a replay
    // must be checked in another JVM, not only in this one.
    @Test
    void sameSeedGivesTheSameTraceInAnotherJvm() throws Exception {
        List<String> command = new ArrayList<>(List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SimMain.class.getName(),
                Long.toString(DEFAULT_EVENTS_PER_SEED)));
        StringBuilder expected = new StringBuilder();
        for (long seed = 11; seed <= 16; seed++) {
            command.add(Long.toString(seed));
            expected.append(SimMain.line(runSeed(seed, DEFAULT_EVENTS_PER_SEED, Set.of()))).append('\n');
        }
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(child.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(expected.toString(), output.replace("\r", ""), "seeds replayed differently in another JVM");
    }

    @Test
    void sameSeedGivesTheSameTrace() {
        for (long seed : new long[] {7, 8, 9}) {
            Simulation.Result first = runSeed(seed, DEFAULT_EVENTS_PER_SEED, Set.of());
            Simulation.Result second = runSeed(seed, DEFAULT_EVENTS_PER_SEED, Set.of());
            assertEquals(first.fingerprint(), second.fingerprint(), "seed " + seed + " trace differs between runs");
            assertEquals(first.events(), second.events());
            assertTrue(first.events() >= DEFAULT_EVENTS_PER_SEED, "seed " + seed + " ran only " + first.events()
                    + " events");
        }
        assertNotEquals(runSeed(7, DEFAULT_EVENTS_PER_SEED, Set.of()).fingerprint(),
                runSeed(8, DEFAULT_EVENTS_PER_SEED, Set.of()).fingerprint(),
                "different seeds should build different worlds");
    }
}
