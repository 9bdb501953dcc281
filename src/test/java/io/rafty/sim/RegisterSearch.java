package io.rafty.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Wing &amp; Gong / Lowe search (as in Porcupine) over one key's sub-history, modelled as a
 * register holding a string or nothing.
 *
 * <p>Values are interned to ints (0 = absent) so the model state is an int and a memo entry is a
 * small bitset plus that int. Operations are indexed in invocation order, so the set of linearized
 * operations is mostly a dense prefix; memo entries store only the words from the first incomplete
 * one, which keeps them a few words long however long the history is.
 */
final class RegisterSearch {

    private static final int ABSENT = 0;
    private static final int ILLEGAL = -1;
    private static final int DEADLINE_CHECK_INTERVAL_STEPS = 1024;
    private static final int EXPLANATION_PREFIX_OPERATIONS_MAX = 20;
    private static final int EXPLANATION_PENDING_OPERATIONS_MAX = 12;

    private enum Kind { PUT, GET, DELETE, CAS }

    private final String key;
    /** Operations to place, in invocation order; FAILed ops and unknown reads are already dropped. */
    private final List<Operation> operations;
    private final Kind[] kind;
    /** put: the value written; get: the value observed; cas: the expected value. */
    private final int[] argument;
    /** cas: the value written on success. */
    private final int[] newValue;
    /** delete: found; cas: swapped. */
    private final boolean[] flag;
    private final boolean[] unknown;
    private final List<String> valueNames = new ArrayList<>();
    private final int knownCount;

    RegisterSearch(String key, List<Operation> keyOperations) {
        this.key = key;
        List<Operation> kept = new ArrayList<>();
        for (Operation operation : keyOperations) {
            boolean failed = operation.outcome() instanceof Outcome.Fail;
            // An unknown read changes nothing and observed nothing, so it can never constrain the order.
            boolean unknownRead = operation.outcome() instanceof Outcome.Unknown
                    && operation.input() instanceof KvInput.Get;
            if (!failed && !unknownRead) {
                kept.add(operation);
            }
        }
        kept.sort(Comparator.comparingLong(Operation::invokeTime).thenComparingInt(Operation::id));
        this.operations = kept;
        int count = kept.size();
        kind = new Kind[count];
        argument = new int[count];
        newValue = new int[count];
        flag = new boolean[count];
        unknown = new boolean[count];
        Map<String, Integer> valueIds = new HashMap<>();
        valueNames.add(null);
        int known = 0;
        for (int i = 0; i < count; i++) {
            Operation operation = kept.get(i);
            unknown[i] = !(operation.outcome() instanceof Outcome.Ok);
            KvOutput output = operation.outcome() instanceof Outcome.Ok ok ? ok.output() : null;
            KvInput input = operation.input();
            if (input instanceof KvInput.Put put) {
                kind[i] = Kind.PUT;
                argument[i] = intern(valueIds, put.value());
            } else if (input instanceof KvInput.Get) {
                kind[i] = Kind.GET;
                argument[i] = intern(valueIds, ((KvOutput.GetResult) output).value());
            } else if (input instanceof KvInput.Delete) {
                kind[i] = Kind.DELETE;
                flag[i] = output != null && ((KvOutput.DeleteResult) output).found();
            } else {
                KvInput.Cas cas = (KvInput.Cas) input;
                kind[i] = Kind.CAS;
                argument[i] = intern(valueIds, cas.expectedValue());
                newValue[i] = intern(valueIds, cas.newValue());
                flag[i] = output != null && ((KvOutput.CasResult) output).swapped();
            }
            if (!unknown[i]) {
                known++;
            }
        }
        knownCount = known;
    }

    private int intern(Map<String, Integer> valueIds, String value) {
        if (value == null) {
            return ABSENT;
        }
        return valueIds.computeIfAbsent(value, v -> {
            valueNames.add(v);
            return valueNames.size() - 1;
        });
    }

    /** The register's value after operation {@code op} takes effect in {@code state}, or ILLEGAL. */
    private int step(int state, int op) {
        switch (kind[op]) {
            case PUT:
                return argument[op];
            case GET:
                return unknown[op] || state == argument[op] ? state : ILLEGAL;
            case DELETE:
                return unknown[op] || flag[op] == (state != ABSENT) ? ABSENT : ILLEGAL;
            case CAS:
                boolean matches = state == argument[op];
                if (!unknown[op] && flag[op] != matches) {
                    return ILLEGAL;
                }
                return matches ? newValue[op] : state;
            default:
                throw new AssertionError(kind[op]);
        }
    }

    /** A call or return event in the doubly linked list the search lifts operations out of. */
    private static final class Entry {
        final int op;
        final boolean isCall;
        final long time;
        Entry match;
        Entry prev;
        Entry next;

        Entry(int op, boolean isCall, long time) {
            this.op = op;
            this.isCall = isCall;
            this.time = time;
        }
    }

    /** Memo key: the linearized set (from its first incomplete word on) and the register value. */
    private static final class Memo {
        final int firstWord;
        final long[] words;
        final int state;
        final int hash;

        Memo(long[] bits, int state) {
            int first = 0;
            while (first < bits.length && bits[first] == -1L) {
                first++;
            }
            int end = bits.length;
            while (end > first && bits[end - 1] == 0L) {
                end--;
            }
            this.firstWord = first;
            this.words = Arrays.copyOfRange(bits, first, end);
            this.state = state;
            this.hash = (31 * first + Arrays.hashCode(words)) * 31 + state;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Memo memo
                    && memo.hash == hash && memo.state == state && memo.firstWord == firstWord
                    && Arrays.equals(memo.words, words);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    private Entry buildEntries() {
        List<Entry> events = new ArrayList<>();
        for (int i = 0; i < operations.size(); i++) {
            Operation operation = operations.get(i);
            Entry call = new Entry(i, true, operation.invokeTime());
            events.add(call);
            // An unknown operation never returns: it may take effect at any time after its call, or never.
            if (!unknown[i]) {
                Entry ret = new Entry(i, false, operation.completeTime());
                call.match = ret;
                events.add(ret);
            }
        }
        // At equal times calls sort before returns, so an op returning at t and one invoked at t are
        // concurrent: only completeTime < invokeTime strictly orders two operations.
        events.sort(Comparator.comparingLong((Entry e) -> e.time)
                .thenComparing(e -> !e.isCall)
                .thenComparingInt(e -> e.op));
        Entry head = new Entry(-1, true, Long.MIN_VALUE);
        Entry previous = head;
        for (Entry event : events) {
            previous.next = event;
            event.prev = previous;
            previous = event;
        }
        return head;
    }

    private static void lift(Entry call) {
        call.prev.next = call.next;
        if (call.next != null) {
            call.next.prev = call.prev;
        }
        Entry ret = call.match;
        if (ret != null) {
            ret.prev.next = ret.next;
            if (ret.next != null) {
                ret.next.prev = ret.prev;
            }
        }
    }

    private static void unlift(Entry call) {
        Entry ret = call.match;
        if (ret != null) {
            ret.prev.next = ret;
            if (ret.next != null) {
                ret.next.prev = ret;
            }
        }
        call.prev.next = call;
        if (call.next != null) {
            call.next.prev = call;
        }
    }

    // The deepest dead end seen, for the explanation.
    private int[] bestPrefix;
    private int bestState;
    private int blockedOp = -1;
    private List<Integer> pendingAtBest = List.of();

    CheckResult.KeyResult run(long maxSteps, long startNanos, long maxNanos) {
        int count = operations.size();
        Entry head = buildEntries();
        long[] linearized = new long[(count + 63) / 64];
        Set<Memo> memo = new HashSet<>();
        Entry[] stackCalls = new Entry[count];
        int[] stackStates = new int[count];
        int depth = 0;
        int state = ABSENT;
        int knownRemaining = knownCount;
        long steps = 0;
        Entry entry = head.next;
        while (true) {
            if (knownRemaining == 0) {
                // Every definite operation is placed; unknown ones left over simply never took effect.
                return result(CheckResult.Verdict.LINEARIZABLE, steps,
                        "key " + KvInput.quote(key) + " is linearizable (" + count + " operations, "
                                + steps + " search steps)");
            }
            steps++;
            if (steps > maxSteps
                    || (steps % DEADLINE_CHECK_INTERVAL_STEPS == 0 && System.nanoTime() - startNanos > maxNanos)) {
                return result(CheckResult.Verdict.UNKNOWN, steps,
                        "key " + KvInput.quote(key) + ": unknown (budget exceeded) after " + steps
                                + " search steps over " + count + " operations; deepest linearizable prefix "
                                + Math.max(depth, bestPrefix == null ? 0 : bestPrefix.length) + " operations");
            }
            if (entry != null && entry.isCall) {
                int op = entry.op;
                int next = step(state, op);
                if (next != ILLEGAL) {
                    linearized[op >>> 6] |= 1L << op;
                    if (memo.add(new Memo(linearized, next))) {
                        stackCalls[depth] = entry;
                        stackStates[depth] = state;
                        depth++;
                        state = next;
                        if (!unknown[op]) {
                            knownRemaining--;
                        }
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                    linearized[op >>> 6] &= ~(1L << op);
                }
                entry = entry.next;
            } else {
                // A return reached before its operation was placed (or the list ran out): dead end.
                noteDeadEnd(head, entry, stackCalls, depth, state);
                if (depth == 0) {
                    return result(CheckResult.Verdict.NOT_LINEARIZABLE, steps, explainFailure(steps));
                }
                depth--;
                Entry call = stackCalls[depth];
                state = stackStates[depth];
                int op = call.op;
                linearized[op >>> 6] &= ~(1L << op);
                if (!unknown[op]) {
                    knownRemaining++;
                }
                unlift(call);
                entry = call.next;
            }
        }
    }

    private void noteDeadEnd(Entry head, Entry deadEnd, Entry[] stackCalls, int depth, int state) {
        if (bestPrefix != null && depth <= bestPrefix.length) {
            return;
        }
        bestPrefix = new int[depth];
        for (int i = 0; i < depth; i++) {
            bestPrefix[i] = stackCalls[i].op;
        }
        bestState = state;
        blockedOp = deadEnd == null ? -1 : deadEnd.op;
        List<Integer> pending = new ArrayList<>();
        for (Entry e = head.next; e != deadEnd; e = e.next) {
            pending.add(e.op);
        }
        pendingAtBest = pending;
    }

    private String explainFailure(long steps) {
        StringBuilder text = new StringBuilder();
        text.append("key ").append(KvInput.quote(key)).append(" is not linearizable (")
                .append(operations.size()).append(" operations, ").append(steps).append(" search steps).\n");
        text.append("  Longest linearizable prefix: ").append(bestPrefix.length)
                .append(" operations, after which the key holds ").append(KvInput.quote(valueNames.get(bestState)))
                .append(":\n");
        int skipped = Math.max(0, bestPrefix.length - EXPLANATION_PREFIX_OPERATIONS_MAX);
        if (skipped > 0) {
            text.append("    ... ").append(skipped).append(" earlier operations\n");
        }
        for (int i = skipped; i < bestPrefix.length; i++) {
            text.append("    ").append(operations.get(bestPrefix[i]).describe()).append('\n');
        }
        if (blockedOp >= 0) {
            Operation blocked = operations.get(blockedOp);
            text.append("  Then ").append(blocked.describe()).append(" cannot be placed before it completed at ")
                    .append(blocked.completeTime()).append(".\n");
        }
        text.append("  Operations that could go next (each one tried leads to a dead end):");
        int listed = 0;
        for (int op : pendingAtBest) {
            if (listed == EXPLANATION_PENDING_OPERATIONS_MAX) {
                text.append("\n    ... and ").append(pendingAtBest.size() - listed).append(" more");
                break;
            }
            text.append("\n    ").append(operations.get(op).describe());
            listed++;
        }
        return text.toString();
    }

    private CheckResult.KeyResult result(CheckResult.Verdict verdict, long steps, String explanation) {
        return new CheckResult.KeyResult(key, verdict, operations.size(), steps, explanation);
    }
}
