/**
 * A linearizability checker for key-value client histories: the simulator's, the fault suite's and
 * {@code rafty chaos}'s, one copy in main code so that the shipped chaos command checks what the tests check.
 * Pure: it depends on nothing else of Rafty and starts no threads.
 *
 * <h2>Recording</h2>
 * Clients record into a {@link History}: {@code invoke(clientId, time, input)} returns a
 * {@link History.Call}; later {@code ok(call, time, output)}, {@code fail(call, time)} or
 * {@code unknown(call)}. Recording is lock-free and thread-safe; calls never completed count as unknown.
 * Then {@code LinearizabilityChecker.check(history, budget)} returns a {@link CheckResult}.
 *
 * <h2>Outcomes</h2>
 * <ul>
 *   <li>OK: took effect once, somewhere between invocation and completion, and observed its output.
 *       A 412 compare_failed or a 404 on delete is OK with that output.</li>
 *   <li>FAIL: definitely did not take effect (e.g. 503 no_leader). Dropped before the search.</li>
 *   <li>UNKNOWN: timeout or 504. It may take effect at any moment after its invocation, or never,
 *       and its output is unknown. It gets a call event but no return event, so it never constrains
 *       what must come before anything else, and the search succeeds once every OK operation is placed,
 *       whatever unknown ones remain. Unknown reads are dropped: they can change nothing.</li>
 * </ul>
 *
 * <h2>Time</h2>
 * Operation A must precede B only if A completed strictly before B was invoked
 * ({@code a.completeTime < b.invokeTime}); equal timestamps count as concurrent. That is the
 * conservative reading of a coarse clock (a simulated tick in which one reply and the next request
 * both happen): it can miss a violation inside one tick but never reports a false one. Event lists
 * sort calls before returns at equal times to implement it.
 *
 * <h2>Search</h2>
 * Keys are independent registers and linearizability is compositional, so each key's sub-history is
 * checked alone (P-compositionality, as in Porcupine and Knossos). Per key, {@code RegisterSearch} runs
 * Wing &amp; Gong's backtracking with Lowe's memoization, as in Porcupine:
 * <pre>
 *   entries: calls and returns sorted by time, in a doubly linked list
 *   scan from the head: a call whose op is legal in the model state and whose
 *     (linearized set, new state) is not memoized -> place it: push, lift call+return, restart scan
 *   reaching a return whose op is unplaced -> dead end: pop, unlift, resume scan after that call
 *   all OK ops placed -> linearizable;  dead end with empty stack -> not linearizable
 * </pre>
 * Sound reductions keep histories with timeouts tractable (each argued where it is implemented, and
 * cross-checked against exhaustive enumeration by {@code BruteForceCheckerTest}): unknown ops live in
 * their own list and are tried after definite ones; the memo prunes a state whose placed unknown ops
 * are a superset of an already explored one with the same definite set and value; a legal read-only op
 * is placed without branching; values nobody reads collapse into one state; and of several unknown
 * ops with identical effects only the earliest unplaced is tried.
 *
 * <h2>Budget</h2>
 * The problem is NP-complete, so each key's search is bounded by a step count (deterministic) and
 * optionally the whole check by wall-clock time ({@link Budget}). Running out yields
 * {@code UNKNOWN}, which is not a pass. On {@code NOT_LINEARIZABLE} the explanation names the key,
 * prints the longest linearizable prefix found, the operation that could not be placed before its
 * return, and the operations that were candidates at that point.
 */
package io.rafty.check;
