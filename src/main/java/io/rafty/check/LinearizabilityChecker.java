package io.rafty.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Checks a key-value client history for linearizability, one key at a time.
 *
 * <p>Keys are independent registers, and linearizability is compositional (a history is
 * linearizable iff each object's sub-history is), so each key is searched separately; see
 * {@link RegisterSearch} and the package documentation for the algorithm.
 */
public final class LinearizabilityChecker {

    private LinearizabilityChecker() {
    }

    public static CheckResult check(History history) {
        return check(history.operations(), Budget.DEFAULT);
    }

    public static CheckResult check(History history, Budget budget) {
        return check(history.operations(), budget);
    }

    public static CheckResult check(List<Operation> operations, Budget budget) {
        long startNanos = System.nanoTime();
        long maxNanos = budget.maxDuration() == null ? Long.MAX_VALUE : budget.maxDuration().toNanos();
        Map<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation operation : operations) {
            byKey.computeIfAbsent(operation.key(), key -> new ArrayList<>()).add(operation);
        }
        List<CheckResult.KeyResult> results = new ArrayList<>();
        for (Map.Entry<String, List<Operation>> key : byKey.entrySet()) {
            results.add(new RegisterSearch(key.getKey(), key.getValue())
                    .run(budget.maxStepsPerKey(), startNanos, maxNanos));
        }
        return CheckResult.of(results);
    }
}
