package io.rafty.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.rafty.raft.DeliberateBug;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The deterministic cluster simulator's sweeps.
 *
 * <p>{@code ./mvnw -q test -Dtest=SimulationTest -Dsim.seeds=N -Dsim.firstSeed=S} runs seeds
 * S..S+N-1 and nothing else; without those properties the default sweep runs. The last line of
 * output is {@code sim: seeds=N events=E failures=F}.
 */
class SimulationTest {

    static final long DEFAULT_FIRST_SEED = 1;
    static final int DEFAULT_SEEDS = 500;
    static final long EVENTS_PER_SEED = 20_000;

    record Sweep(int seeds, long events, List<Simulation.Result> failures, List<String> fingerprints) {
    }

    static Simulation.Result runSeed(long seed, long events, Set<DeliberateBug> bugs) {
        SimParameters parameters = SimParameters.draw(seed, events, bugs);
        return new Simulation(parameters, new CheckedRecorder()).run();
    }

    /** Runs seeds in parallel (each seed is single-threaded and deterministic); results in seed order. */
    static Sweep sweep(long firstSeed, int seeds, long events, Set<DeliberateBug> bugs, boolean stopAtFirstFailure) {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long totalEvents = 0;
            List<Simulation.Result> failures = new ArrayList<>();
            List<String> fingerprints = new ArrayList<>();
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
                    fingerprints.add(result.seed() + ":" + Long.toHexString(result.fingerprint()));
                    if (result.failed()) {
                        failures.add(result);
                    }
                }
                if (stopAtFirstFailure && !failures.isEmpty()) {
                    break;
                }
            }
            return new Sweep(ran, totalEvents, failures, fingerprints);
        } catch (InterruptedException | ExecutionException e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    static String report(Simulation.Result failure) {
        StringBuilder out = new StringBuilder();
        out.append("sim: FAILED seed=").append(failure.seed()).append(": ").append(failure.failure()).append('\n');
        out.append("sim: world: ").append(failure.parameters()).append('\n');
        out.append("sim: replay: ./mvnw -q test -Dtest=SimulationTest -Dsim.seeds=1 -Dsim.firstSeed=")
                .append(failure.seed()).append(failure.bugs().isEmpty() ? "" : " -Dsim.bugs="
                        + String.join(",", failure.bugs().stream().map(Enum::name).toList())).append('\n');
        out.append("sim: last ").append(failure.traceTail().size()).append(" trace lines:\n");
        for (String line : failure.traceTail()) {
            out.append("  ").append(line).append('\n');
        }
        return out.toString();
    }

    /** {@code -Dsim.bugs=ACK_BEFORE_PERSIST,...} replays a seed of {@link DeliberateBugTest}. */
    private static Set<DeliberateBug> bugsFromProperty() {
        String property = System.getProperty("sim.bugs");
        Set<DeliberateBug> bugs = new java.util.TreeSet<>();
        if (property != null && !property.isBlank()) {
            for (String name : property.split(",")) {
                bugs.add(DeliberateBug.valueOf(name.trim()));
            }
        }
        return bugs;
    }

    @Test
    void sweepFindsNoFailure() {
        String seedsProperty = System.getProperty("sim.seeds");
        String firstProperty = System.getProperty("sim.firstSeed");
        long firstSeed = firstProperty == null || firstProperty.isBlank() ? DEFAULT_FIRST_SEED
                : Long.parseLong(firstProperty);
        int seeds = seedsProperty == null || seedsProperty.isBlank() ? DEFAULT_SEEDS : Integer.parseInt(seedsProperty);
        boolean explicit = seedsProperty != null && !seedsProperty.isBlank();
        Set<DeliberateBug> bugs = bugsFromProperty();
        if (explicit && seeds <= 4) {
            for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
                System.out.println("sim: " + SimParameters.draw(seed, EVENTS_PER_SEED, bugs).describe());
            }
        } else {
            System.out.println("sim: seeds " + firstSeed + ".." + (firstSeed + seeds - 1) + ", " + EVENTS_PER_SEED
                    + " chaos events each (worlds are printed for failing seeds)");
        }
        long startNanos = System.nanoTime();
        Sweep sweep = sweep(firstSeed, seeds, EVENTS_PER_SEED, bugs, false);
        long millis = (System.nanoTime() - startNanos) / 1_000_000;
        if (explicit && seeds <= 4) {
            System.out.println("sim: trace fingerprints " + sweep.fingerprints());
        }
        for (Simulation.Result failure : sweep.failures()) {
            System.out.print(report(failure));
        }
        System.out.println("sim: " + millis + " ms");
        System.out.println("sim: seeds=" + sweep.seeds() + " events=" + sweep.events() + " failures="
                + sweep.failures().size());
        System.out.flush();
        if (!sweep.failures().isEmpty()) {
            fail(sweep.failures().size() + " failing seed(s), first " + sweep.failures().get(0).seed() + ": "
                    + sweep.failures().get(0).failure());
        }
    }

    @Test
    void sameSeedGivesTheSameTrace() {
        for (long seed : new long[] {7, 8, 9}) {
            Simulation.Result first = runSeed(seed, EVENTS_PER_SEED, Set.of());
            Simulation.Result second = runSeed(seed, EVENTS_PER_SEED, Set.of());
            assertEquals(first.fingerprint(), second.fingerprint(), "seed " + seed + " trace differs between runs");
            assertEquals(first.events(), second.events());
            assertTrue(first.events() >= EVENTS_PER_SEED, "seed " + seed + " ran only " + first.events() + " events");
        }
        assertTrue(runSeed(7, EVENTS_PER_SEED, Set.of()).fingerprint() != runSeed(8, EVENTS_PER_SEED, Set.of())
                .fingerprint(), "different seeds should build different worlds");
    }
}
