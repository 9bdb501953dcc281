package io.rafty.chaos;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a chaos run found: the verdict, the figures behind it and where the evidence was saved.
 *
 * @param verdict         PASS, FAIL (a violation, listed in {@code violations}) or INCONCLUSIVE (the run
 *                        could not be judged: the checker ran out of budget or the cluster never started)
 * @param operations      client operations recorded in the history (the final reads and writes included)
 * @param acknowledged    operations with a definite answer (200, 404, 412)
 * @param failed          operations that definitely did not happen (503 with {@code "applied":false}, or
 *                        no connection)
 * @param unknown         operations whose outcome nobody can know (504, timeout, broken connection)
 * @param faults          faults injected, by kind
 * @param keysChecked     keys whose whole history was checked for linearizability
 * @param writeOnceKeys   write-once keys whose acknowledged value was found after restarting every node
 * @param violations      one line each; empty on PASS
 * @param replay          the command that replays this run's nemesis schedule
 */
public record ChaosReport(Verdict verdict, long seed, int nodes, long durationSec, long operations, long acknowledged,
                          long failed, long unknown, Map<FaultKind, Integer> faults, int keysChecked,
                          int writeOnceKeys, List<String> violations, String replay, Path runDir, Path history,
                          Path counterexample, Path report) {

    public enum Verdict { PASS, FAIL, INCONCLUSIVE }

    public ChaosReport {
        faults = Map.copyOf(faults);
        violations = List.copyOf(violations);
    }

    public boolean passed() {
        return verdict == Verdict.PASS;
    }

    /** The one verdict line the command prints. */
    public String line() {
        String faultText = faults.isEmpty() ? "none" : faults.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .map(entry -> entry.getKey().wire() + "=" + entry.getValue()).collect(Collectors.joining(" "));
        String finding = switch (verdict) {
            case PASS -> "linearizable, no acknowledged write lost";
            case FAIL -> violations.size() + " violation" + (violations.size() == 1 ? "" : "s") + ": "
                    + violations.get(0) + (violations.size() > 1 ? " (and more)" : "");
            case INCONCLUSIVE -> "not judged: " + (violations.isEmpty() ? "?" : violations.get(0));
        };
        return String.format("chaos %s: seed=%d nodes=%d duration=%ds ops=%d acknowledged=%d failed=%d unknown=%d "
                        + "faults[%s] keys checked=%d (+%d write-once) -- %s -- replay: %s",
                verdict, seed, nodes, durationSec, operations, acknowledged, failed, unknown, faultText, keysChecked,
                writeOnceKeys, finding, replay);
    }
}
