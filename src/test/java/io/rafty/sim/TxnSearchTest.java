package io.rafty.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.check.CheckResult.KeyResult;
import io.rafty.check.CheckResult.Verdict;
import io.rafty.sim.TxnOperation.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TxnSearch}: hand-written histories with a known answer, a differential test against
 * exhaustive enumeration on small random histories (which is what justifies the search's
 * reductions), and a realistic large history that must be judged within budget.
 */
class TxnSearchTest {

    private static final String T0 = "t0";
    private static final String T1 = "t1";
    private static final String T2 = "t2";
    /** A read of an absent key; a typed null, so {@code then(NONE)} is a one-element varargs call. */
    private static final String NONE = null;
    private static final long BUDGET = 1_000_000;

    // --- Building transactions and histories ----------------------------------------------------

    private static TxnOp put(String key, String value) {
        return new TxnOp.Put(key, value);
    }

    private static TxnOp delete(String key) {
        return new TxnOp.Delete(key);
    }

    private static TxnOp get(String key) {
        return new TxnOp.Get(key);
    }

    private static TxnCompare is(String key, String expected) {
        return new TxnCompare(key, expected);
    }

    private static TxnInput txn(TxnOp... ops) {
        return TxnInput.of(ops);
    }

    private static TxnInput guarded(List<TxnCompare> compares, List<TxnOp> success, List<TxnOp> failure) {
        return new TxnInput(compares, success, failure);
    }

    private static TxnOutput then(String... reads) {
        return new TxnOutput(true, Arrays.asList(reads));
    }

    private static TxnOutput otherwise(String... reads) {
        return new TxnOutput(false, Arrays.asList(reads));
    }

    /** A history written out by hand, one whole operation per line. */
    private static final class Recorder {
        final TxnHistory history = new TxnHistory();

        Recorder ok(int client, long invoke, long complete, TxnInput input, TxnOutput output) {
            history.ok(history.invoke(client, invoke, input), complete, output);
            return this;
        }

        Recorder failed(int client, long invoke, long complete, TxnInput input) {
            history.fail(history.invoke(client, invoke, input), complete);
            return this;
        }

        Recorder timedOut(int client, long invoke, TxnInput input) {
            history.unknown(history.invoke(client, invoke, input));
            return this;
        }

        KeyResult check() {
            return TxnSearch.check(history.operations(), BUDGET);
        }

        KeyResult assertLinearizable() {
            KeyResult result = check();
            assertEquals(Verdict.LINEARIZABLE, result.verdict(), () -> describe(history.operations(), result));
            return result;
        }

        KeyResult assertNotLinearizable() {
            KeyResult result = check();
            assertEquals(Verdict.NOT_LINEARIZABLE, result.verdict(), () -> describe(history.operations(), result));
            return result;
        }
    }

    private static String describe(List<TxnOperation> operations, KeyResult result) {
        StringBuilder text = new StringBuilder("history:");
        operations.forEach(operation -> text.append("\n  ").append(operation.describe()));
        return text.append('\n').append(result.explanation()).toString();
    }

    // --- Linearizable histories ----------------------------------------------------------------

    @Test
    void emptyHistoryIsLinearizable() {
        KeyResult result = new Recorder().assertLinearizable();
        assertEquals("txn keys []", result.key());
        assertEquals(0, result.operationCount());
    }

    @Test
    void sequentialTransactionsOfEveryKindAreLinearizable() {
        KeyResult result = new Recorder()
                .ok(1, 0, 1, txn(get(T0), get(T1)), then(NONE, NONE))
                .ok(1, 2, 3, txn(put(T0, "a"), put(T1, "a")), then())
                // A Get sees the branch's own earlier Put.
                .ok(2, 4, 5, guarded(List.of(is(T0, "a")), List.of(put(T0, "b"), get(T0)), List.of(get(T0))), then("b"))
                // ... and its own earlier Delete.
                .ok(1, 6, 7, guarded(List.of(is(T1, "b")), List.of(put(T1, "c")), List.of(get(T1), delete(T1), get(T1))),
                        otherwise("a", NONE))
                .ok(2, 8, 9, txn(get(T0), get(T1), get(T2)), then("b", NONE, NONE))
                // Compares are ANDed; "absent" is a value to compare against.
                .ok(1, 10, 11, guarded(List.of(is(T1, null), is(T0, "b")), List.of(delete(T0), put(T2, "z")), List.of()), then())
                .ok(2, 12, 13, guarded(List.of(is(T2, "z"), is(T0, "b")), List.of(put(T2, "y")), List.of(get(T2))),
                        otherwise("z"))
                .ok(2, 14, 15, txn(get(T0), get(T2)), then(NONE, "z"))
                .assertLinearizable();
        assertEquals("txn keys [t0, t1, t2]", result.key());
        assertEquals(8, result.operationCount());
    }

    /**
     * A and B are concurrent; B only succeeds if it runs first, and the read in the middle must
     * fall between them. So exactly one order works, and the final read must agree with it.
     */
    @Test
    void overlappingTransactionsWhereOnlyOneOrderWorks() {
        TxnInput writeA = txn(put(T0, "a"), put(T1, "a"));
        TxnInput writeBIfEmpty = guarded(List.of(is(T0, null)), List.of(put(T0, "b"), put(T1, "b")), List.of(get(T0)));
        new Recorder()
                .ok(1, 0, 10, writeA, then())
                .ok(2, 0, 10, writeBIfEmpty, then())
                .ok(3, 2, 3, txn(get(T0), get(T1)), then("b", "b"))
                .ok(3, 11, 12, txn(get(T0), get(T1)), then("a", "a"))
                .assertLinearizable();
        // The same, but the final read claims B won: B succeeded so it ran first, so A ran last.
        new Recorder()
                .ok(1, 0, 10, writeA, then())
                .ok(2, 0, 10, writeBIfEmpty, then())
                .ok(3, 2, 3, txn(get(T0), get(T1)), then("b", "b"))
                .ok(3, 11, 12, txn(get(T0), get(T1)), then("b", "b"))
                .assertNotLinearizable();
        // And if B had seen A's t0, it would have taken the failure branch and read "a".
        new Recorder()
                .ok(1, 0, 10, writeA, then())
                .ok(2, 0, 10, writeBIfEmpty, otherwise("a"))
                .ok(3, 11, 12, txn(get(T0), get(T1)), then("a", "a"))
                .assertLinearizable();
    }

    @Test
    void unknownWritesThatMustHaveAppliedExplainLaterReads() {
        new Recorder()
                .timedOut(1, 0, txn(put(T0, "x"), put(T1, "x")))
                .ok(2, 5, 6, txn(get(T0), get(T1)), then("x", "x"))
                // An unknown conditional write whose success branch must have run, after the read above.
                .timedOut(1, 7, guarded(List.of(is(T0, "x")), List.of(put(T0, "y")), List.of(put(T1, "n"))))
                .ok(2, 9, 10, txn(get(T0), get(T1)), then("y", "x"))
                .assertLinearizable();
        // Without the first unknown write nothing explains the read.
        new Recorder()
                .ok(2, 5, 6, txn(get(T0), get(T1)), then("x", "x"))
                .assertNotLinearizable();
    }

    /** Unknown writes whose effect no read shows must be left unplaced (or placed after everything). */
    @Test
    void unknownWritesThatMustNotBePlacedAreLeftOut() {
        KeyResult result = new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a")), then())
                // Either branch writes t1, and nobody ever sees t1 written.
                .timedOut(2, 2, guarded(List.of(is(T0, "a")), List.of(put(T0, "u"), put(T1, "u")), List.of(put(T1, "f"))))
                .timedOut(3, 2, txn(delete(T0)))
                .ok(1, 3, 4, txn(get(T0), get(T1)), then("a", NONE))
                .failed(1, 5, 6, txn(put(T0, "q")))
                .timedOut(1, 6, txn(get(T0)))
                .ok(1, 10, 11, txn(get(T0), get(T1)), then("a", NONE))
                .assertLinearizable();
        // The FAILed put and the timed-out read are dropped before the search.
        assertEquals(5, result.operationCount());
    }

    /** Two timed-out writes that look alike but write different values may apply in either order. */
    @Test
    void unknownWritesOfTheSameShapeMayApplyInEitherOrder() {
        new Recorder()
                .timedOut(1, 0, txn(put(T0, "a")))
                .timedOut(2, 0, txn(put(T0, "b")))
                .ok(3, 5, 6, txn(get(T0)), then("b"))
                .ok(3, 7, 8, txn(get(T0)), then("a"))
                .assertLinearizable();
    }

    /**
     * The only order is B, A, then the unknown delete, then the read. The search first tries A,
     * where B's compare fails, so it places the delete to let B succeed, reaching {A, B} in state
     * (t0="a", t1="1") with the delete spent, and the read fails. Reaching the same definite set and
     * state by B, A later, with the delete still unplaced, must not count as already explored: that
     * node has more left to use, not less.
     */
    @Test
    void reachingAnExploredStateWithFewerUnknownsPlacedIsNotPruned() {
        new Recorder()
                .ok(1, 0, 10, txn(put(T0, "a")), then())
                .ok(2, 0, 10, guarded(List.of(is(T0, null)), List.of(put(T0, "a"), put(T1, "1")), List.of()), then())
                .timedOut(3, 0, txn(delete(T0)))
                .ok(4, 20, 21, txn(get(T0), get(T1)), then(NONE, "1"))
                .assertLinearizable();
    }

    @Test
    void failedTransactionsTookNoEffect() {
        new Recorder()
                .failed(1, 0, 1, txn(put(T0, "z")))
                .ok(2, 2, 3, txn(get(T0)), then(NONE))
                .assertLinearizable();
        new Recorder()
                .failed(1, 0, 1, txn(put(T0, "z")))
                .ok(2, 2, 3, txn(get(T0)), then("z"))
                .assertNotLinearizable();
    }

    @Test
    void equalTimestampsCountAsConcurrent() {
        new Recorder()
                .ok(1, 0, 5, txn(put(T0, "a")), then())
                .ok(2, 5, 6, txn(get(T0)), then(NONE))
                .assertLinearizable();
        new Recorder()
                .ok(1, 0, 5, txn(put(T0, "a")), then())
                .ok(2, 6, 7, txn(get(T0)), then(NONE))
                .assertNotLinearizable();
    }

    // --- Violations -----------------------------------------------------------------------------

    /** The reader sees t0 from the second transaction but t1 from before it. */
    @Test
    void tornReadIsNotLinearizable() {
        TxnInput read = txn(get(T0), get(T1));
        Recorder recorder = new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a"), put(T1, "a")), then())
                .ok(1, 2, 5, txn(put(T0, "b"), put(T1, "b")), then())
                .ok(2, 3, 4, read, then("b", "a"));
        KeyResult result = recorder.assertNotLinearizable();
        assertEquals("txn keys [t0, t1]", result.key());
        // Enough for a human: the prefix, the read that cannot be placed, what the model would answer.
        String explanation = result.explanation();
        assertTrue(explanation.contains("txn keys [t0, t1] are not linearizable"), explanation);
        assertTrue(explanation.contains("#2 client 2 [3..4] get t0,get t1 -> then read t0=\"b\",t1=\"a\""
                + " cannot be placed before it completed at 4"), explanation);
        assertTrue(explanation.contains("Longest linearizable prefix"), explanation);
        assertTrue(explanation.contains("#0 client 1 [0..1] put t0=\"a\",put t1=\"a\" -> then"), explanation);
        assertTrue(explanation.contains("Operations that could go next"), explanation);

        // Either snapshot alone is fine.
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a"), put(T1, "a")), then())
                .ok(1, 2, 5, txn(put(T0, "b"), put(T1, "b")), then())
                .ok(2, 3, 4, read, then("a", "a"))
                .ok(3, 3, 4, read, then("b", "b"))
                .assertLinearizable();
    }

    @Test
    void staleReadAfterCompletedWriteIsNotLinearizable() {
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a")), then())
                .ok(1, 2, 3, txn(put(T0, "b"), put(T2, "b")), then())
                .ok(2, 4, 5, txn(get(T0)), then("a"))
                .assertNotLinearizable();
    }

    /** Two compare-and-set transactions both succeed from the same expected value. */
    @Test
    void lostUpdateIsNotLinearizable() {
        TxnInput increment = guarded(List.of(is(T0, "0")), List.of(put(T0, "1")), List.of(get(T0)));
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "0")), then())
                .ok(1, 2, 5, increment, then())
                .ok(2, 2, 5, increment, then())
                .assertNotLinearizable();
        // Fine when the second one saw the first's write and took its failure branch.
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "0")), then())
                .ok(1, 2, 5, increment, then())
                .ok(2, 2, 5, increment, otherwise("1"))
                .assertLinearizable();
    }

    @Test
    void failureBranchReadThatContradictsTheStateIsNotLinearizable() {
        TxnInput guardedRead = guarded(List.of(is(T0, "b")), List.of(put(T1, "x")), List.of(get(T1)));
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a"), put(T1, "c")), then())
                .ok(2, 2, 3, guardedRead, otherwise("d"))
                .assertNotLinearizable();
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a"), put(T1, "c")), then())
                .ok(2, 2, 3, guardedRead, otherwise("c"))
                .assertLinearizable();
        // The failure branch reported although the compare held.
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "b"), put(T1, "c")), then())
                .ok(2, 2, 3, guardedRead, otherwise("c"))
                .assertNotLinearizable();
    }

    @Test
    void branchGetThatMissesItsOwnEarlierPutIsNotLinearizable() {
        new Recorder()
                .ok(1, 0, 1, txn(put(T0, "a")), then())
                .ok(1, 2, 3, txn(put(T0, "b"), get(T0)), then("a"))
                .assertNotLinearizable();
    }

    @Test
    void writeVisibleBeforeItsInvocationIsNotLinearizable() {
        new Recorder()
                .ok(1, 0, 1, txn(get(T0), get(T1)), then("x", NONE))
                .ok(2, 5, 6, txn(put(T0, "x")), then())
                .assertNotLinearizable();
        new Recorder()
                .ok(1, 0, 1, txn(get(T0), get(T1)), then("x", NONE))
                .timedOut(2, 5, txn(put(T0, "x")))
                .assertNotLinearizable();
        // Invoked at the read's completion time: concurrent, so it may explain the read.
        new Recorder()
                .ok(1, 0, 1, txn(get(T0), get(T1)), then("x", NONE))
                .timedOut(2, 1, txn(put(T0, "x")))
                .assertLinearizable();
    }

    @Test
    void runningOutOfBudgetIsUnknownNotAPass() {
        // Concurrent writes and a violation at the end: the search must backtrack through many orders.
        Recorder recorder = new Recorder();
        for (int client = 0; client < 6; client++) {
            recorder.ok(client, 0, 10, txn(put(T0, "v" + client), put(T1, "v" + client)), then());
        }
        recorder.ok(9, 11, 12, txn(get(T0), get(T1)), then("v0", "v1"));
        assertEquals(Verdict.NOT_LINEARIZABLE, recorder.check().verdict());
        KeyResult result = TxnSearch.check(recorder.history.operations(), 5);
        assertEquals(Verdict.UNKNOWN, result.verdict(), result::explanation);
        assertTrue(result.explanation().contains("budget exceeded"), result.explanation());
        assertThrows(IllegalArgumentException.class, () -> TxnSearch.check(List.of(), 0));
    }

    // --- Recording and rendering ----------------------------------------------------------------

    @Test
    void descriptionsAreShortAndReadable() {
        TxnInput input = guarded(List.of(is(T0, "a")), List.of(put(T0, "b"), put(T1, "b")), List.of(get(T0), get(T1)));
        assertEquals("if t0==\"a\" then put t0=\"b\",put t1=\"b\" else get t0,get t1", input.describe());
        assertEquals("if t0==absent && t1==\"x\" then delete t0",
                guarded(List.of(is(T0, null), is(T1, "x")), List.of(delete(T0)), List.of()).describe());
        assertEquals("get t0,get t1", txn(get(T0), get(T1)).describe());
        assertEquals("else read \"a\",absent", otherwise("a", NONE).describe());

        TxnHistory history = new TxnHistory();
        int call = history.invoke(3, 120, input);
        history.ok(call, 131, otherwise("a", NONE));
        history.invoke(4, 125, txn(put(T2, "c")));
        assertEquals(2, history.size());
        assertEquals("#0 client 3 [120..131] if t0==\"a\" then put t0=\"b\",put t1=\"b\" else get t0,get t1"
                + " -> else read t0=\"a\",t1=absent", history.operations().get(0).describe());
        assertEquals("#1 client 4 [125..inf] put t2=\"c\" -> UNKNOWN", history.operations().get(1).describe());
    }

    @Test
    void readOnlyMeansNoPutOrDeleteInEitherBranch() {
        assertTrue(guarded(List.of(is(T0, "a")), List.of(get(T0)), List.of(get(T1))).readOnly());
        assertTrue(guarded(List.of(is(T0, "a")), List.of(), List.of()).readOnly());
        assertFalse(guarded(List.of(is(T0, "a")), List.of(get(T0)), List.of(delete(T1))).readOnly());
        assertFalse(txn(get(T0), put(T1, "x")).readOnly());
    }

    @Test
    void historyCountsNeverCompletedCallsAsUnknownAndRejectsMalformedAnswers() {
        TxnHistory history = new TxnHistory();
        int pending = history.invoke(1, 7, txn(put(T0, "a")));
        int done = history.invoke(2, 8, txn(get(T0), get(T1)));
        history.fail(done, 9);
        TxnOperation unknown = history.operations().get(pending);
        assertEquals(Status.UNKNOWN, unknown.status());
        assertEquals(Long.MAX_VALUE, unknown.completeTime());
        assertNull(unknown.output());
        assertEquals(Status.FAIL, history.operations().get(done).status());
        assertThrows(IllegalStateException.class, () -> history.fail(done, 10));
        assertThrows(IllegalArgumentException.class, () -> history.unknown(5));

        int wrongReads = history.invoke(1, 10, txn(get(T0), get(T1)));
        assertThrows(IllegalArgumentException.class, () -> history.ok(wrongReads, 11, then("a")));
        int wrongBranch = history.invoke(1, 10, guarded(List.of(is(T0, "a")), List.of(get(T0)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> history.ok(wrongBranch, 11, otherwise("a")));
        assertThrows(IllegalArgumentException.class, () -> new TxnOperation(0, 0, 5, 4, txn(get(T0)), Status.OK, then("a")));
        assertThrows(IllegalArgumentException.class, () -> new TxnOperation(0, 0, 5, 6, txn(get(T0)), Status.FAIL, then("a")));
        assertThrows(IllegalArgumentException.class, () -> new TxnOperation(0, 0, 5, 6, txn(get(T0)), Status.OK, null));
    }

    // --- Differential test against exhaustive enumeration ---------------------------------------

    private static final int RANDOM_HISTORIES = 6000;
    private static final int RANDOM_OPERATIONS_MAX = 7;
    private static final String[] SMALL_KEYS = {T0, T1};
    /** Few values, so compares hit and unrelated writes collide; "c" is never compared against, so it is opaque unless read. */
    private static final String[] COMPARED_VALUES = {null, "a", "b"};
    private static final String[] WRITTEN_VALUES = {"a", "b", "c"};
    private static final String[] READ_VALUES = {null, "a", "b", "c"};

    @Test
    void searchAgreesWithExhaustiveEnumerationOnSmallRandomHistories() {
        Random random = new Random(20260311L);
        int linearizable = 0;
        int notLinearizable = 0;
        for (int h = 0; h < RANDOM_HISTORIES; h++) {
            boolean mutate = h % 2 == 1;
            // Every other pair of histories is heavy with timeouts, where the unknown-op reductions act.
            int unknownPercent = h % 4 < 2 ? 20 : 50;
            // And every other four use few shapes, so timed-out transactions often look alike.
            boolean fewShapes = h % 8 >= 4;
            List<TxnOperation> operations = randomSmallHistory(random, mutate, unknownPercent, fewShapes);
            boolean expected = bruteForce(operations);
            if (!mutate) {
                assertTrue(expected, () -> "generated from a sequential execution, so linearizable: "
                        + describe(operations, TxnSearch.check(operations, BUDGET)));
            }
            KeyResult result = TxnSearch.check(operations, BUDGET);
            int index = h;
            assertEquals(expected ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE, result.verdict(),
                    () -> "random history " + index + ", " + describe(operations, result));
            if (expected) {
                linearizable++;
            } else {
                notLinearizable++;
            }
        }
        // Both verdicts must be well represented for the agreement to mean anything.
        int total = RANDOM_HISTORIES;
        int yes = linearizable;
        int no = notLinearizable;
        assertTrue(yes > total / 5 && no > total / 5, () -> yes + " linearizable, " + no + " not, of " + total);
    }

    /**
     * Up to 7 transactions over two keys with random overlapping intervals. Outputs come from
     * executing the applied ones in the order of a random linearization point inside each interval
     * (an UNKNOWN one applies with probability 1/2, possibly long after its invocation; a FAILed one
     * never), so the history is linearizable; with {@code mutate}, one thing is then changed.
     */
    private static List<TxnOperation> randomSmallHistory(Random random, boolean mutate, int unknownPercent,
                                                         boolean fewShapes) {
        int count = 1 + random.nextInt(RANDOM_OPERATIONS_MAX);
        long[] invoke = new long[count];
        long[] complete = new long[count];
        TxnInput[] inputs = new TxnInput[count];
        Status[] statuses = new Status[count];
        double[] point = new double[count];
        List<Integer> applied = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            invoke[i] = random.nextInt(10);
            complete[i] = invoke[i] + random.nextInt(6);
            inputs[i] = fewShapes ? randomSimpleInput(random) : randomInput(random, SMALL_KEYS, COMPARED_VALUES, WRITTEN_VALUES);
            int roll = random.nextInt(100);
            statuses[i] = roll < 10 ? Status.FAIL : roll < 10 + unknownPercent ? Status.UNKNOWN : Status.OK;
            if (statuses[i] == Status.OK) {
                point[i] = invoke[i] + random.nextDouble() * (complete[i] - invoke[i]);
                applied.add(i);
            } else if (statuses[i] == Status.UNKNOWN && random.nextBoolean()) {
                point[i] = invoke[i] + random.nextDouble() * 10;
                applied.add(i);
            }
        }
        applied.sort(Comparator.comparingDouble(i -> point[i]));
        Map<String, String> store = new HashMap<>();
        TxnOutput[] outputs = new TxnOutput[count];
        for (int i : applied) {
            outputs[i] = execute(inputs[i], store);
        }
        if (mutate) {
            mutate(random, invoke, complete, inputs, statuses, outputs);
        }
        List<TxnOperation> operations = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            operations.add(new TxnOperation(i, i, invoke[i], complete[i], inputs[i], statuses[i],
                    statuses[i] == Status.OK ? outputs[i] : null));
        }
        return operations;
    }

    private static void mutate(Random random, long[] invoke, long[] complete, TxnInput[] inputs,
                               Status[] statuses, TxnOutput[] outputs) {
        int i = random.nextInt(inputs.length);
        switch (random.nextInt(4)) {
            case 0: // change a read, or the branch reported
                if (statuses[i] == Status.OK && !outputs[i].reads().isEmpty() && random.nextBoolean()) {
                    List<String> reads = new ArrayList<>(outputs[i].reads());
                    reads.set(random.nextInt(reads.size()), READ_VALUES[random.nextInt(READ_VALUES.length)]);
                    outputs[i] = new TxnOutput(outputs[i].succeeded(), reads);
                    break;
                }
                // fall through
            case 1: // report the other branch, with whatever reads
                if (statuses[i] == Status.OK) {
                    outputs[i] = randomOutput(random, inputs[i], !outputs[i].succeeded());
                    break;
                }
                // fall through
            case 2: // an unknown or failed operation answered something arbitrary
                if (statuses[i] != Status.OK) {
                    statuses[i] = Status.OK;
                    outputs[i] = randomOutput(random, inputs[i], random.nextBoolean());
                    break;
                }
                // fall through
            default: // move the interval
                invoke[i] = random.nextInt(10);
                complete[i] = invoke[i] + random.nextInt(6);
                break;
        }
    }

    private static TxnOutput randomOutput(Random random, TxnInput input, boolean succeeded) {
        List<String> reads = new ArrayList<>();
        for (TxnOp op : input.branch(succeeded)) {
            if (op instanceof TxnOp.Get) {
                reads.add(READ_VALUES[random.nextInt(READ_VALUES.length)]);
            }
        }
        return new TxnOutput(succeeded, reads);
    }

    private static TxnInput randomInput(Random random, String[] keys, String[] compared, String[] written) {
        List<TxnCompare> compares = new ArrayList<>();
        int compareCount = random.nextInt(5) < 2 ? 0 : random.nextInt(5) < 4 ? 1 : 2;
        for (int c = 0; c < compareCount; c++) {
            compares.add(new TxnCompare(keys[random.nextInt(keys.length)], compared[random.nextInt(compared.length)]));
        }
        List<TxnOp> success = randomBranch(random, 1 + random.nextInt(3), keys, written);
        List<TxnOp> failure = compares.isEmpty() ? List.of() : randomBranch(random, random.nextInt(3), keys, written);
        return new TxnInput(compares, success, failure);
    }

    /** A put of one key, a read of both, or a compare-and-set of one key. */
    private static TxnInput randomSimpleInput(Random random) {
        String key = SMALL_KEYS[random.nextInt(SMALL_KEYS.length)];
        String value = WRITTEN_VALUES[random.nextInt(WRITTEN_VALUES.length)];
        switch (random.nextInt(3)) {
            case 0:
                return txn(put(key, value));
            case 1:
                return txn(get(T0), get(T1));
            default:
                return guarded(List.of(is(key, COMPARED_VALUES[random.nextInt(COMPARED_VALUES.length)])),
                        List.of(put(key, value)), List.of(get(key)));
        }
    }

    private static List<TxnOp> randomBranch(Random random, int size, String[] keys, String[] written) {
        List<TxnOp> ops = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String key = keys[random.nextInt(keys.length)];
            int roll = random.nextInt(20);
            ops.add(roll < 9 ? put(key, written[random.nextInt(written.length)]) : roll < 17 ? get(key) : delete(key));
        }
        return ops;
    }

    /** The sequential semantics, written independently of the search's interned model. */
    private static TxnOutput execute(TxnInput input, Map<String, String> store) {
        boolean holds = input.compares().stream().allMatch(c -> Objects.equals(store.get(c.key()), c.expected()));
        List<String> reads = new ArrayList<>();
        for (TxnOp op : input.branch(holds)) {
            if (op instanceof TxnOp.Put put) {
                store.put(put.key(), put.value());
            } else if (op instanceof TxnOp.Delete) {
                store.remove(op.key());
            } else {
                reads.add(store.get(op.key()));
            }
        }
        return new TxnOutput(holds, reads);
    }

    /**
     * The definition, by enumeration: is there a sequence of every OK operation and any subset of
     * the UNKNOWN ones (FAILed ones excluded; unknown reads kept, to check that dropping them is
     * harmless) in which each op comes after every op that completed before its invocation, and each
     * OK op's recorded output is what the sequential semantics answers at its place?
     */
    private static boolean bruteForce(List<TxnOperation> operations) {
        List<TxnOperation> candidates = operations.stream().filter(o -> o.status() != Status.FAIL).toList();
        return enumerate(candidates, new boolean[candidates.size()], new HashMap<>());
    }

    private static boolean enumerate(List<TxnOperation> operations, boolean[] placed, Map<String, String> store) {
        boolean allOkPlaced = true;
        for (int i = 0; i < operations.size(); i++) {
            allOkPlaced &= placed[i] || operations.get(i).status() != Status.OK;
        }
        if (allOkPlaced) {
            return true;
        }
        for (int i = 0; i < operations.size(); i++) {
            if (placed[i] || !mayGoNext(operations, placed, i)) {
                continue;
            }
            Map<String, String> next = new HashMap<>(store);
            TxnOutput output = execute(operations.get(i).input(), next);
            if (operations.get(i).status() == Status.OK && !output.equals(operations.get(i).output())) {
                continue;
            }
            placed[i] = true;
            boolean found = enumerate(operations, placed, next);
            placed[i] = false;
            if (found) {
                return true;
            }
        }
        return false;
    }

    private static boolean mayGoNext(List<TxnOperation> operations, boolean[] placed, int i) {
        for (int j = 0; j < operations.size(); j++) {
            if (!placed[j] && j != i && operations.get(j).completeTime() < operations.get(i).invokeTime()) {
                return false;
            }
        }
        return true;
    }

    // --- A realistic large history ----------------------------------------------------------------

    private static final long LARGE_BUDGET = 2_000_000;
    private static final int LATENCY_TICKS = 5;

    @Test
    void largeRealisticHistoryIsLinearizableWithinBudget() {
        for (long seed = 1; seed <= 5; seed++) {
            List<TxnOperation> operations = RealisticTxnHistory.generate(seed, 4, 400, 10, 3, LATENCY_TICKS);
            long unknown = operations.stream().filter(o -> o.status() == Status.UNKNOWN).count();
            assertTrue(unknown >= 20, unknown + " unknown");
            long overlapping = operations.stream().filter(o -> o.status() == Status.OK)
                    .filter(o -> operations.stream().anyMatch(other -> other != o && other.status() == Status.OK
                            && other.invokeTime() <= o.completeTime() && o.invokeTime() <= other.completeTime()))
                    .count();
            assertTrue(overlapping > 200, overlapping + " OK transactions overlap another");
            KeyResult result = TxnSearch.check(operations, LARGE_BUDGET);
            assertTrue(result.operationCount() > 350, result.explanation());
            long finalSeed = seed;
            assertEquals(Verdict.LINEARIZABLE, result.verdict(),
                    () -> "seed " + finalSeed + ": " + result.explanation());
            assertEquals("txn keys [t0, t1, t2]", result.key());
            assertTrue(result.searchSteps() < LARGE_BUDGET, result.explanation());
        }
    }

    /**
     * The same histories with one late read made stale (it reports the value its key held when an
     * op 40 places earlier read it): the search must exhaust every linearization of the prefix, and
     * still do so well within budget, and the explanation must point at the doctored read.
     */
    @Test
    void largeHistoryWithAnInjectedStaleReadIsNotLinearizableWithinBudget() {
        for (long seed = 1; seed <= 5; seed++) {
            List<TxnOperation> operations = new ArrayList<>(RealisticTxnHistory.generate(seed, 4, 400, 10, 3, LATENCY_TICKS));
            TxnOperation stale = injectStaleRead(operations, new Random(seed));
            KeyResult result = TxnSearch.check(operations, LARGE_BUDGET);
            long finalSeed = seed;
            assertEquals(Verdict.NOT_LINEARIZABLE, result.verdict(),
                    () -> "seed " + finalSeed + ", doctored " + stale.describe() + ": " + result.explanation());
            assertTrue(result.searchSteps() < LARGE_BUDGET, result.explanation());
            assertTrue(result.explanation().contains("Then " + stale.describe() + " cannot be placed"), result.explanation());
        }
    }

    /** Replaces a read in the second half of {@code operations} by an older value of its key; returns the new op. */
    private static TxnOperation injectStaleRead(List<TxnOperation> operations, Random random) {
        while (true) {
            int index = operations.size() / 2 + random.nextInt(operations.size() / 2);
            TxnOperation operation = operations.get(index);
            if (operation.status() != Status.OK || operation.output().reads().isEmpty()) {
                continue;
            }
            String key = operation.input().branch(operation.output().succeeded()).stream()
                    .filter(op -> op instanceof TxnOp.Get).findFirst().orElseThrow().key();
            String current = operation.output().reads().get(0);
            for (int earlier = index - 40; earlier >= 0; earlier--) {
                String old = firstReadOf(operations.get(earlier), key);
                if (old != null && !old.equals(current)) {
                    List<String> reads = new ArrayList<>(operation.output().reads());
                    reads.set(0, old);
                    TxnOperation doctored = new TxnOperation(operation.id(), operation.clientId(),
                            operation.invokeTime(), operation.completeTime(), operation.input(), Status.OK,
                            new TxnOutput(operation.output().succeeded(), reads));
                    operations.set(index, doctored);
                    return doctored;
                }
            }
        }
    }

    private static String firstReadOf(TxnOperation operation, String key) {
        if (operation.status() != Status.OK) {
            return null;
        }
        int read = 0;
        for (TxnOp op : operation.input().branch(operation.output().succeeded())) {
            if (op instanceof TxnOp.Get) {
                if (op.key().equals(key)) {
                    return operation.output().reads().get(read);
                }
                read++;
            }
        }
        return null;
    }

    /**
     * Clients in simulated time: each invokes a transaction chosen from what it last saw, the store
     * applies it at a linearization point a few ticks later, and the answer arrives a few ticks after
     * that. Timed-out transactions apply (possibly much later, as a request stuck in a log would) or
     * not; failed ones never do.
     */
    static final class RealisticTxnHistory {
        private static final String[] KEYS = {T0, T1, T2};
        private static final int PHASE_INVOKE = 0;
        private static final int PHASE_APPLY = 1;
        private static final int PHASE_COMPLETE = 2;
        private static final int TIMEOUT_TICKS = 20;

        private record Event(long time, int phase, int order, Runnable action) {
        }

        private final Random random;
        private final int operationCount;
        private final int unknownPercent;
        private final int failPercent;
        private final int latencyTicks;
        private final TxnHistory history = new TxnHistory();
        private final Map<String, String> store = new HashMap<>();
        private final PriorityQueue<Event> events = new PriorityQueue<>(Comparator.comparingLong(Event::time)
                .thenComparingInt(Event::phase).thenComparingInt(Event::order));
        private final List<Map<String, String>> seen = new ArrayList<>();
        private int invoked;
        private int freshValues;
        private long currentTime;

        private RealisticTxnHistory(long seed, int operationCount, int unknownPercent, int failPercent, int latencyTicks) {
            this.random = new Random(seed);
            this.operationCount = operationCount;
            this.unknownPercent = unknownPercent;
            this.failPercent = failPercent;
            this.latencyTicks = latencyTicks;
        }

        /**
         * {@code latencyTicks} bounds both the delay from invocation to the linearization point and
         * from there to the answer, so it sets how many transactions overlap.
         */
        static List<TxnOperation> generate(long seed, int clients, int operationCount, int unknownPercent,
                                           int failPercent, int latencyTicks) {
            RealisticTxnHistory generator =
                    new RealisticTxnHistory(seed, operationCount, unknownPercent, failPercent, latencyTicks);
            for (int client = 0; client < clients; client++) {
                generator.seen.add(new HashMap<>());
                int c = client;
                generator.schedule(generator.random.nextInt(3), PHASE_INVOKE, () -> generator.invoke(c));
            }
            while (!generator.events.isEmpty()) {
                Event event = generator.events.poll();
                generator.currentTime = event.time();
                event.action().run();
            }
            return generator.history.operations();
        }

        private void schedule(long time, int phase, Runnable action) {
            events.add(new Event(time, phase, random.nextInt(), action));
        }

        private void invoke(int client) {
            if (invoked == operationCount) {
                return;
            }
            invoked++;
            long now = currentTime;
            TxnInput input = chooseInput(client);
            int call = history.invoke(client, now, input);
            int roll = random.nextInt(100);
            if (roll < failPercent) {
                long complete = now + random.nextInt(4);
                schedule(complete, PHASE_COMPLETE, () -> {
                    history.fail(call, complete);
                    nextInvoke(client, complete);
                });
            } else if (roll < failPercent + unknownPercent) {
                history.unknown(call);
                if (random.nextBoolean()) {
                    schedule(now + random.nextInt(2 * TIMEOUT_TICKS), PHASE_APPLY, () -> execute(input, store));
                }
                nextInvoke(client, now + TIMEOUT_TICKS);
            } else {
                long applyAt = now + random.nextInt(latencyTicks + 1);
                long complete = applyAt + random.nextInt(latencyTicks + 1);
                TxnOutput[] output = new TxnOutput[1];
                schedule(applyAt, PHASE_APPLY, () -> output[0] = execute(input, store));
                schedule(complete, PHASE_COMPLETE, () -> {
                    history.ok(call, complete, output[0]);
                    learn(client, input, output[0]);
                    nextInvoke(client, complete);
                });
            }
        }

        private void nextInvoke(int client, long after) {
            schedule(after + 1 + random.nextInt(3), PHASE_INVOKE, () -> invoke(client));
        }

        /** The client remembers what it read and wrote, and bases its next compare on it. */
        private void learn(int client, TxnInput input, TxnOutput output) {
            Map<String, String> knowledge = seen.get(client);
            int read = 0;
            for (TxnOp op : input.branch(output.succeeded())) {
                if (op instanceof TxnOp.Put put) {
                    knowledge.put(put.key(), put.value());
                } else if (op instanceof TxnOp.Delete) {
                    knowledge.remove(op.key());
                } else {
                    knowledge.put(op.key(), output.reads().get(read++));
                }
            }
        }

        private TxnInput chooseInput(int client) {
            Map<String, String> knowledge = seen.get(client);
            String key = KEYS[random.nextInt(KEYS.length)];
            String other = KEYS[(Arrays.asList(KEYS).indexOf(key) + 1 + random.nextInt(KEYS.length - 1)) % KEYS.length];
            String fresh = "c" + client + "-" + freshValues++;
            int roll = random.nextInt(100);
            if (roll < 35) { // a snapshot of two or three keys
                return roll < 20 ? txn(get(T0), get(T1), get(T2)) : txn(get(key), get(other));
            }
            if (roll < 55) { // a blind write of one or two keys
                return roll < 45 ? txn(put(key, fresh)) : txn(put(key, fresh), put(other, fresh));
            }
            if (roll < 85) { // compare-and-set from what the client last saw
                return guarded(List.of(is(key, knowledge.get(key))),
                        roll < 70 ? List.of(put(key, fresh)) : List.of(put(key, fresh), put(other, fresh), get(other)),
                        List.of(get(key), get(other)));
            }
            if (roll < 93) { // a guarded delete
                return guarded(List.of(is(key, knowledge.get(key))), List.of(delete(key)), List.of(get(key)));
            }
            // two compares guarding a write of the third key
            String third = KEYS[3 - Arrays.asList(KEYS).indexOf(key) - Arrays.asList(KEYS).indexOf(other)];
            return guarded(List.of(is(key, knowledge.get(key)), is(other, knowledge.get(other))),
                    List.of(put(third, fresh)), List.of(get(key), get(other), get(third)));
        }
    }
}
