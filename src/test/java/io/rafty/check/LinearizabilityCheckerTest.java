package io.rafty.check;

import static io.rafty.check.KvInput.cas;
import static io.rafty.check.KvInput.delete;
import static io.rafty.check.KvInput.get;
import static io.rafty.check.KvInput.put;
import static io.rafty.check.KvOutput.absent;
import static io.rafty.check.KvOutput.casFailed;
import static io.rafty.check.KvOutput.casOk;
import static io.rafty.check.KvOutput.deleted;
import static io.rafty.check.KvOutput.notFound;
import static io.rafty.check.KvOutput.putOk;
import static io.rafty.check.KvOutput.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.check.CheckResult.Verdict;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private static final String X = "x";
    private final History history = new History();

    private void ok(int client, long invoke, long complete, KvInput input, KvOutput output) {
        history.record(client, invoke, complete, input, Outcome.ok(output));
    }

    private void failed(int client, long invoke, long complete, KvInput input) {
        history.record(client, invoke, complete, input, Outcome.fail());
    }

    private void timedOut(int client, long invoke, KvInput input) {
        history.unknown(history.invoke(client, invoke, input));
    }

    private CheckResult check() {
        return LinearizabilityChecker.check(history, Budget.steps(1_000_000));
    }

    private void assertLinearizable() {
        CheckResult result = check();
        assertEquals(Verdict.LINEARIZABLE, result.verdict(), result::explanation);
    }

    private CheckResult assertNotLinearizable() {
        CheckResult result = check();
        assertEquals(Verdict.NOT_LINEARIZABLE, result.verdict(), result::explanation);
        return result;
    }

    // --- Sequential and concurrent basics -------------------------------------------------------

    @Test
    void sequentialHistoryOfEveryOperationIsLinearizable() {
        ok(1, 0, 1, get(X), absent());
        ok(1, 2, 3, put(X, "a"), putOk());
        ok(1, 4, 5, get(X), value("a"));
        ok(1, 6, 7, cas(X, "a", "b"), casOk());
        ok(1, 8, 9, cas(X, "a", "c"), casFailed());
        ok(1, 10, 11, get(X), value("b"));
        ok(1, 12, 13, delete(X), deleted());
        ok(1, 14, 15, delete(X), notFound());
        ok(1, 16, 17, get(X), absent());
        assertLinearizable();
    }

    @Test
    void emptyHistoryIsLinearizable() {
        assertLinearizable();
    }

    @Test
    void readOverlappingPutMaySeeTheNewValue() {
        ok(1, 0, 10, put(X, "a"), putOk());
        ok(2, 5, 6, get(X), value("a"));
        assertLinearizable();
    }

    @Test
    void readOverlappingPutMaySeeTheOldValue() {
        ok(1, 0, 1, put(X, "old"), putOk());
        ok(1, 2, 10, put(X, "new"), putOk());
        ok(2, 5, 6, get(X), value("old"));
        assertLinearizable();
    }

    @Test
    void checkerChoosesOrderOfConcurrentWritesFromLaterReads() {
        // Both puts overlap; the search must place "b" first, even though "a" was invoked first.
        ok(1, 0, 10, put(X, "a"), putOk());
        ok(2, 1, 10, put(X, "b"), putOk());
        ok(3, 2, 3, get(X), value("b"));
        ok(3, 11, 12, get(X), value("a"));
        assertLinearizable();
    }

    @Test
    void concurrentReadsMustAgreeOnOneWriteOrder() {
        // Two readers each see both values in opposite orders after both writes began: impossible.
        ok(1, 0, 100, put(X, "a"), putOk());
        ok(2, 0, 100, put(X, "b"), putOk());
        ok(3, 10, 11, get(X), value("a"));
        ok(3, 20, 21, get(X), value("b"));
        ok(4, 10, 11, get(X), value("b"));
        ok(4, 20, 21, get(X), value("a"));
        assertNotLinearizable();
    }

    // --- Anomalies ------------------------------------------------------------------------------

    @Test
    void staleReadAfterCompletedPutIsNotLinearizable() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(1, 2, 3, put(X, "b"), putOk());
        ok(2, 4, 5, get(X), value("a"));
        assertNotLinearizable();
    }

    @Test
    void lostAcknowledgedWriteIsNotLinearizable() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(2, 2, 3, get(X), value("a"));
        ok(1, 4, 5, put(X, "b"), putOk());
        ok(2, 6, 7, get(X), value("a"));
        ok(3, 8, 9, get(X), value("a"));
        assertNotLinearizable();
    }

    @Test
    void readOfValueNeverWrittenIsNotLinearizable() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(2, 0, 5, get(X), value("ghost"));
        assertNotLinearizable();
    }

    @Test
    void equalTimestampsCountAsConcurrent() {
        // The get is invoked at the tick the put completes, so it may be ordered before the put.
        ok(1, 0, 5, put(X, "a"), putOk());
        ok(2, 5, 6, get(X), absent());
        assertLinearizable();
    }

    @Test
    void readInvokedStrictlyAfterPutCompletedMustSeeIt() {
        ok(1, 0, 5, put(X, "a"), putOk());
        ok(2, 6, 7, get(X), absent());
        assertNotLinearizable();
    }

    // --- Compare-and-set and delete -------------------------------------------------------------

    @Test
    void casSucceedsOnlyWhenExpectedValueMatches() {
        ok(1, 0, 1, cas(X, null, "a"), casOk());       // absent -> a
        ok(1, 2, 3, cas(X, null, "b"), casFailed());   // not absent any more
        ok(1, 4, 5, cas(X, "a", "b"), casOk());
        ok(2, 6, 7, get(X), value("b"));
        assertLinearizable();
    }

    @Test
    void casReportedSuccessfulWhenValueDidNotMatchIsNotLinearizable() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(1, 2, 3, cas(X, "z", "b"), casOk());
        assertNotLinearizable();
    }

    @Test
    void casReportedFailedWhenValueMatchedIsNotLinearizable() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(1, 2, 3, cas(X, "a", "b"), casFailed());
        assertNotLinearizable();
    }

    @Test
    void failedCasDoesNotChangeTheValue() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(1, 2, 3, cas(X, "z", "b"), casFailed());
        ok(2, 4, 5, get(X), value("b"));
        assertNotLinearizable();
    }

    @Test
    void concurrentCasesOnlyOneMayWin() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(2, 2, 10, cas(X, "a", "b"), casOk());
        ok(3, 2, 10, cas(X, "a", "c"), casOk());
        assertNotLinearizable();
    }

    @Test
    void concurrentCasesOneWinsOneFails() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(2, 2, 10, cas(X, "a", "b"), casFailed());
        ok(3, 2, 10, cas(X, "a", "c"), casOk());
        ok(1, 11, 12, get(X), value("c"));
        assertLinearizable();
    }

    @Test
    void deleteReportsWhetherTheKeyExistedAndRemovesIt() {
        ok(1, 0, 1, delete(X), notFound());
        ok(1, 2, 3, put(X, "a"), putOk());
        ok(1, 4, 5, delete(X), deleted());
        ok(2, 6, 7, get(X), absent());
        ok(2, 8, 9, cas(X, null, "b"), casOk());
        assertLinearizable();
    }

    @Test
    void deleteReportedFoundOnAbsentKeyIsNotLinearizable() {
        ok(1, 0, 1, delete(X), deleted());
        assertNotLinearizable();
    }

    @Test
    void deleteReportedNotFoundOnPresentKeyIsNotLinearizable() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(1, 2, 3, delete(X), notFound());
        assertNotLinearizable();
    }

    @Test
    void readAfterCompletedDeleteMustSeeAbsent() {
        ok(1, 0, 1, put(X, "a"), putOk());
        ok(1, 2, 3, delete(X), deleted());
        ok(2, 4, 5, get(X), value("a"));
        assertNotLinearizable();
    }

    // --- Unknown outcomes -----------------------------------------------------------------------

    @Test
    void readExplainedOnlyByUnknownPutTakingEffectIsLinearizable() {
        timedOut(1, 0, put(X, "a"));
        ok(2, 5, 6, get(X), value("a"));
        assertLinearizable();
    }

    @Test
    void unknownPutMayTakeEffectLongAfterOtherOperations() {
        timedOut(1, 0, put(X, "a"));
        ok(2, 5, 6, get(X), absent());
        ok(2, 100, 101, get(X), value("a"));
        assertLinearizable();
    }

    @Test
    void unknownPutCannotTakeEffectBeforeItsInvocation() {
        ok(2, 0, 1, get(X), value("a"));
        timedOut(1, 5, put(X, "a"));
        assertNotLinearizable();
    }

    @Test
    void unknownPutThatNeverTookEffectIsLinearizable() {
        timedOut(1, 0, put(X, "a"));
        ok(2, 5, 6, get(X), absent());
        ok(2, 7, 8, get(X), absent());
        assertLinearizable();
    }

    @Test
    void unknownPutTakesEffectAtMostOnce() {
        ok(1, 0, 1, put(X, "a"), putOk());
        timedOut(2, 2, put(X, "b"));
        ok(1, 3, 4, get(X), value("b"));
        ok(1, 5, 6, put(X, "c"), putOk());
        ok(1, 7, 8, get(X), value("b"));
        assertNotLinearizable();
    }

    @Test
    void unknownCasAndDeleteMayTakeEffect() {
        ok(1, 0, 1, put(X, "a"), putOk());
        timedOut(2, 2, cas(X, "a", "b"));
        timedOut(3, 2, delete(X));
        ok(1, 10, 11, get(X), absent());
        ok(1, 12, 13, put(X, "a"), putOk());
        ok(1, 14, 15, get(X), value("b"));
        assertLinearizable();
    }

    @Test
    void operationNeverCompletedCountsAsUnknown() {
        history.invoke(1, 0, put(X, "a"));
        ok(2, 5, 6, get(X), value("a"));
        assertLinearizable();
    }

    // --- Failed outcomes ------------------------------------------------------------------------

    @Test
    void failedPutNeverTakesEffect() {
        failed(1, 0, 1, put(X, "a"));
        ok(2, 2, 3, get(X), value("a"));
        assertNotLinearizable();
    }

    @Test
    void concurrentReadCannotObserveFailedPut() {
        failed(1, 0, 10, put(X, "a"));
        ok(2, 2, 3, get(X), value("a"));
        assertNotLinearizable();
    }

    // --- Keys -----------------------------------------------------------------------------------

    @Test
    void keysAreCheckedIndependently() {
        ok(1, 0, 1, put("x", "1"), putOk());
        ok(2, 0, 1, put("y", "1"), putOk());
        ok(1, 2, 3, get("y"), value("1"));
        ok(2, 2, 3, get("x"), value("1"));
        ok(3, 4, 5, get("z"), absent());
        CheckResult result = check();
        assertEquals(Verdict.LINEARIZABLE, result.verdict(), result::explanation);
        assertEquals(List.of("x", "y", "z"), result.keys().stream().map(CheckResult.KeyResult::key).toList());
    }

    @Test
    void failureIsReportedOnlyForTheKeyThatBrokeWithItsOperations() {
        ok(1, 0, 1, put("x", "a"), putOk());
        ok(1, 2, 3, get("x"), value("a"));
        ok(2, 0, 1, put("y", "a"), putOk());
        ok(2, 2, 3, put("y", "b"), putOk());
        ok(3, 4, 5, get("y"), value("a"));
        CheckResult result = assertNotLinearizable();
        assertEquals(Verdict.LINEARIZABLE, result.key("x").verdict());
        assertEquals(Verdict.NOT_LINEARIZABLE, result.key("y").verdict());
        String explanation = result.explanation();
        assertTrue(explanation.contains("key \"y\" is not linearizable"), explanation);
        assertTrue(explanation.contains("Then #4 client 3 [4..5] get() -> \"a\" cannot be placed"), explanation);
        assertTrue(explanation.contains("#3 client 2 [2..3] put(\"b\") -> ok"), explanation);
        assertFalse(explanation.contains("key \"x\""), explanation);
    }

    // --- Budget ---------------------------------------------------------------------------------

    /** Many fully concurrent writes and a read nothing explains: the search space is 2^n subsets. */
    private void recordPathologicalHistory() {
        for (int i = 0; i < 40; i++) {
            ok(i, 0, 100, put(X, "v" + i), putOk());
        }
        ok(99, 50, 60, get(X), value("never written"));
    }

    @Test
    void pathologicalHistoryExhaustsStepBudgetAndReportsUnknown() {
        recordPathologicalHistory();
        CheckResult result = LinearizabilityChecker.check(history, Budget.steps(50_000));
        assertEquals(Verdict.UNKNOWN, result.verdict(), result::explanation);
        assertFalse(result.isLinearizable());
        assertTrue(result.explanation().contains("unknown (budget exceeded)"), result::explanation);
    }

    @Test
    void pathologicalHistoryExhaustsTimeBudgetAndReportsUnknown() {
        recordPathologicalHistory();
        CheckResult result = LinearizabilityChecker.check(history, Budget.of(Long.MAX_VALUE, Duration.ofMillis(50)));
        assertEquals(Verdict.UNKNOWN, result.verdict(), result::explanation);
    }

    // --- Randomized -----------------------------------------------------------------------------

    @Test
    void randomLinearizableHistoriesPassAndOneStaleReadBreaksThem() {
        for (long seed = 1; seed <= 20; seed++) {
            RandomRegisterHistory generated = RandomRegisterHistory.generate(seed, 600, 8);
            CheckResult result = LinearizabilityChecker.check(generated.operations(), Budget.DEFAULT);
            assertEquals(Verdict.LINEARIZABLE, result.verdict(), "seed " + seed + "\n" + result.explanation());

            List<Operation> corrupted = generated.withOneStaleRead();
            CheckResult corruptedResult = LinearizabilityChecker.check(corrupted, Budget.DEFAULT);
            assertEquals(Verdict.NOT_LINEARIZABLE, corruptedResult.verdict(),
                    "seed " + seed + "\n" + corruptedResult.explanation());
        }
    }

    @Test
    void randomHistoryOfThousandsOfOperationsIsCheckedWithinBudget() {
        RandomRegisterHistory generated = RandomRegisterHistory.generate(42, 4000, 10);
        CheckResult result = LinearizabilityChecker.check(generated.operations(), Budget.DEFAULT);
        assertEquals(Verdict.LINEARIZABLE, result.verdict(), result::explanation);
    }

    @Test
    void randomHistoryIsDeterministicForItsSeed() {
        assertEquals(RandomRegisterHistory.generate(7, 100, 5).operations(),
                RandomRegisterHistory.generate(7, 100, 5).operations());
    }
}
