package io.rafty.sim;

import java.util.Set;

/**
 * Runs seeds and prints their trace fingerprints; {@link SimulationTest} starts it in a fresh JVM
 * to prove that a seed replays across JVMs (hash seeds and identity hashes differ between them).
 */
public final class SimMain {

    private SimMain() {
    }

    /** Arguments: the chaos events per seed, then the seeds. */
    public static void main(String[] args) {
        long events = Long.parseLong(args[0]);
        for (int i = 1; i < args.length; i++) {
            System.out.println(line(SimulationTest.runSeed(Long.parseLong(args[i]), events, Set.of())));
        }
    }

    static String line(Simulation.Result result) {
        return "seed=" + result.seed() + " fingerprint=" + Long.toHexString(result.fingerprint()) + " events="
                + result.events();
    }
}
