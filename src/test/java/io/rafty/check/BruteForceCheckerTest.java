package io.rafty.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.check.CheckResult.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Differential test: on small random histories, with arbitrary (often impossible) outputs, the
 * checker agrees with the definition of linearizability applied by exhaustive enumeration. This is
 * what justifies the search's shortcuts (dominance memo for unknown ops, forced read-only steps).
 */
class BruteForceCheckerTest {

    private static final int HISTORIES = 3000;
    private static final int OPERATIONS_MAX = 7;
    private static final String KEY = "k";
    /** What gets and cas expectations observe. */
    private static final String[] VALUES = {null, "a", "b"};
    /** What puts and cas write; "c" is never observed, which exercises the opaque-value state. */
    private static final String[] WRITTEN_VALUES = {"a", "b", "c"};

    @Test
    void checkerAgreesWithExhaustiveEnumerationOnSmallRandomHistories() {
        Random random = new Random(20261126L);
        int linearizable = 0;
        for (int h = 0; h < HISTORIES; h++) {
            List<Operation> operations = randomHistory(random, 1 + random.nextInt(OPERATIONS_MAX));
            boolean expected = bruteForce(operations);
            CheckResult result = LinearizabilityChecker.check(operations, Budget.DEFAULT);
            assertEquals(expected ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE, result.verdict(),
                    () -> "history " + operations.stream().map(Operation::describe).toList() + "\n" + result.explanation());
            linearizable += expected ? 1 : 0;
        }
        // Both verdicts must be well represented for the comparison to mean anything.
        int total = HISTORIES;
        int finalLinearizable = linearizable;
        assertTrue(linearizable > total / 5 && linearizable < total * 4 / 5,
                () -> finalLinearizable + " of " + total + " linearizable");
    }

    private static List<Operation> randomHistory(Random random, int count) {
        List<Operation> operations = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            long invoke = random.nextInt(10);
            long complete = invoke + random.nextInt(6);
            String value = WRITTEN_VALUES[random.nextInt(WRITTEN_VALUES.length)];
            KvInput input;
            KvOutput output;
            switch (random.nextInt(4)) {
                case 0:
                    input = KvInput.put(KEY, value);
                    output = KvOutput.putOk();
                    break;
                case 1:
                    input = KvInput.get(KEY);
                    output = KvOutput.value(VALUES[random.nextInt(3)]);
                    break;
                case 2:
                    input = KvInput.delete(KEY);
                    output = random.nextBoolean() ? KvOutput.deleted() : KvOutput.notFound();
                    break;
                default:
                    input = KvInput.cas(KEY, VALUES[random.nextInt(3)], value);
                    output = random.nextBoolean() ? KvOutput.casOk() : KvOutput.casFailed();
                    break;
            }
            int roll = random.nextInt(10);
            Outcome outcome = roll == 0 ? Outcome.fail() : roll <= 2 ? Outcome.unknown() : Outcome.ok(output);
            operations.add(new Operation(id, id, invoke, complete, input, outcome));
        }
        return operations;
    }

    /** Is there an order of all OK ops plus any subset of UNKNOWN ops, respecting real time, that a register allows? */
    private static boolean bruteForce(List<Operation> operations) {
        List<Operation> candidates = new ArrayList<>();
        for (Operation operation : operations) {
            if (!(operation.outcome() instanceof Outcome.Fail)) {
                candidates.add(operation);
            }
        }
        return search(candidates, new boolean[candidates.size()], null);
    }

    private static boolean search(List<Operation> operations, boolean[] placed, String value) {
        boolean allDefinitePlaced = true;
        for (int i = 0; i < operations.size(); i++) {
            if (!placed[i] && operations.get(i).outcome() instanceof Outcome.Ok) {
                allDefinitePlaced = false;
            }
        }
        if (allDefinitePlaced) {
            return true;
        }
        for (int i = 0; i < operations.size(); i++) {
            if (placed[i] || !mayGoNext(operations, placed, i)) {
                continue;
            }
            for (String next : apply(operations.get(i), value)) {
                placed[i] = true;
                boolean found = search(operations, placed, next);
                placed[i] = false;
                if (found) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Op i may be next only if no unplaced op completed strictly before i was invoked. */
    private static boolean mayGoNext(List<Operation> operations, boolean[] placed, int i) {
        for (int j = 0; j < operations.size(); j++) {
            if (!placed[j] && j != i && operations.get(j).completeTime() < operations.get(i).invokeTime()) {
                return false;
            }
        }
        return true;
    }

    /** The values the register may hold after the op, empty if its recorded output is impossible. */
    private static List<String> apply(Operation operation, String value) {
        KvOutput output = operation.outcome() instanceof Outcome.Ok ok ? ok.output() : null;
        KvInput input = operation.input();
        List<String> results = new ArrayList<>();
        if (input instanceof KvInput.Put put) {
            results.add(put.value());
        } else if (input instanceof KvInput.Get) {
            if (output == null || Objects.equals(((KvOutput.GetResult) output).value(), value)) {
                results.add(value);
            }
        } else if (input instanceof KvInput.Delete) {
            if (output == null || ((KvOutput.DeleteResult) output).found() == (value != null)) {
                results.add(null);
            }
        } else {
            KvInput.Cas cas = (KvInput.Cas) input;
            boolean matches = Objects.equals(cas.expectedValue(), value);
            if (output == null || ((KvOutput.CasResult) output).swapped() == matches) {
                results.add(matches ? cas.newValue() : value);
            }
        }
        return results;
    }
}
