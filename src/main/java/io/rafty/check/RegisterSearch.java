package io.rafty.check;

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
 * <p>Values are interned to ints (0 = absent) so the model state is an int. The memo maps (bitset
 * of placed definite operations, value) to the bitsets of placed unknown operations explored with
 * them. Operations are indexed in invocation order, so the definite set is mostly a dense prefix;
 * memo keys store only the words from the first incomplete one, which keeps them a few words long
 * however long the history is.
 *
 * <p>One class on purpose: the model, the linked event lists and the reductions are only sound
 * together (each reduction's argument leans on how the others order the search), so they stay side
 * by side rather than behind interfaces.
 */
final class RegisterSearch {

    private static final int ABSENT = 0;
    /**
     * Every value no get reads and no cas expects. Such values are indistinguishable to every
     * operation (each only asks "absent?" or "equal to this observed value?"), so one state stands
     * for all of them; that lets the memo merge states that differ only in unread writes.
     */
    private static final int OPAQUE = 1;
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
    /** Index of an operation among the definite ones, or among the unknown ones. */
    private final int[] slot;
    /**
     * For an unknown op, the previous unknown op (in invocation order) with exactly the same effect,
     * or -1. Once both are invoked they are interchangeable, so the search only ever places the
     * earliest unplaced one of each effect; see {@link #run}.
     */
    private final int[] previousSameEffect;
    private final Set<String> observedValues;
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
        slot = new int[count];
        previousSameEffect = new int[count];
        observedValues = observedValues(kept);
        Map<String, Integer> valueIds = new HashMap<>();
        valueNames.add(null);
        valueNames.add(null);
        Map<String, Integer> lastUnknownByEffect = new HashMap<>();
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
            slot[i] = unknown[i] ? i - known : known++;
            previousSameEffect[i] = -1;
            if (unknown[i]) {
                String effect = kind[i] + " " + argument[i] + " " + newValue[i];
                Integer previous = lastUnknownByEffect.put(effect, i);
                previousSameEffect[i] = previous == null ? -1 : previous;
            }
        }
        knownCount = known;
    }

    /** Values some operation compares the register against: read by a definite get or expected by a cas. */
    private static Set<String> observedValues(List<Operation> operations) {
        Set<String> observed = new HashSet<>();
        for (Operation operation : operations) {
            if (operation.input() instanceof KvInput.Cas cas) {
                observed.add(cas.expectedValue());
            } else if (operation.outcome() instanceof Outcome.Ok ok && ok.output() instanceof KvOutput.GetResult get) {
                observed.add(get.value());
            }
        }
        return observed;
    }

    private int intern(Map<String, Integer> valueIds, String value) {
        if (value == null) {
            return ABSENT;
        }
        if (!observedValues.contains(value)) {
            return OPAQUE;
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

    /** A call or return event in the doubly linked lists the search lifts operations out of. */
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

    /** Memo key: the set of definite operations linearized (from its first incomplete word on) and the value. */
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

    /**
     * Links definite operations' calls and returns into one list and unknown operations' calls (they
     * never return) into another, each sorted by time. At equal times calls sort before returns, so
     * an op returning at t and one invoked at t are concurrent: only completeTime &lt; invokeTime
     * strictly orders two operations.
     */
    private void buildLists(Entry definiteHead, Entry unknownHead) {
        List<Entry> definiteEvents = new ArrayList<>();
        List<Entry> unknownCalls = new ArrayList<>();
        for (int i = 0; i < operations.size(); i++) {
            Operation operation = operations.get(i);
            Entry call = new Entry(i, true, operation.invokeTime());
            if (unknown[i]) {
                unknownCalls.add(call);
            } else {
                Entry ret = new Entry(i, false, operation.completeTime());
                call.match = ret;
                definiteEvents.add(call);
                definiteEvents.add(ret);
            }
        }
        Comparator<Entry> byTime = Comparator.comparingLong((Entry e) -> e.time)
                .thenComparing(e -> !e.isCall)
                .thenComparingInt(e -> e.op);
        link(definiteHead, definiteEvents, byTime);
        link(unknownHead, unknownCalls, byTime);
    }

    private static void link(Entry head, List<Entry> events, Comparator<Entry> order) {
        events.sort(order);
        Entry previous = head;
        for (Entry event : events) {
            previous.next = event;
            event.prev = previous;
            previous = event;
        }
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

    /** The first return in the definite list: the earliest deadline among unplaced definite operations. */
    private static Entry firstReturn(Entry definiteHead) {
        Entry entry = definiteHead.next;
        while (entry != null && entry.isCall) {
            entry = entry.next;
        }
        return entry;
    }

    private static boolean isSubset(long[] smaller, long[] larger) {
        for (int i = 0; i < smaller.length; i++) {
            if ((smaller[i] & ~larger[i]) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void flip(long[] bits, int index) {
        bits[index >>> 6] ^= 1L << index;
    }

    // The deepest dead end seen, for the explanation.
    private int[] bestPrefix;
    private int bestState;
    private int blockedOp = -1;
    private List<Integer> pendingAtBest = List.of();

    /**
     * The search. At each node the candidates are the unplaced operations invoked no later than the
     * first pending return ("boundary"); definite ones are tried before unknown ones, so an unknown
     * operation is placed only when nothing else works, and the memo can then use dominance: reaching
     * the same definite set and value with a superset of unknown operations placed can never succeed
     * where the subset failed (unknown operations block nothing and may stay unplaced), so it is pruned.
     */
    CheckResult.KeyResult run(long maxSteps, long startNanos, long maxNanos) {
        int count = operations.size();
        Entry definiteHead = new Entry(-1, true, Long.MIN_VALUE);
        Entry unknownHead = new Entry(-1, true, Long.MIN_VALUE);
        buildLists(definiteHead, unknownHead);
        long[] definiteBits = new long[(knownCount + 63) / 64];
        long[] unknownBits = new long[(count - knownCount + 63) / 64];
        Map<Memo, List<long[]>> memo = new HashMap<>();
        Entry[] stackCalls = new Entry[count];
        int[] stackStates = new int[count];
        boolean[] stackForced = new boolean[count];
        boolean deadEnd = false;
        int depth = 0;
        int state = ABSENT;
        int knownRemaining = knownCount;
        long steps = 0;
        Entry entry = definiteHead.next;
        Entry boundary = null;
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
            if (!deadEnd && entry != null && !entry.isCall) {
                // Definite candidates exhausted; now the unknown operations invoked by the boundary.
                boundary = entry;
                entry = unknownHead.next;
                continue;
            }
            boolean candidate = !deadEnd && entry != null && (!unknown[entry.op] || entry.time <= boundary.time);
            if (candidate && unknown[entry.op] && !firstUnplacedOfItsEffect(entry.op, unknownBits)) {
                entry = entry.next;
                continue;
            }
            if (candidate) {
                int op = entry.op;
                int next = step(state, op);
                if (next != ILLEGAL) {
                    boolean readOnly = readOnly(op);
                    flip(unknown[op] ? unknownBits : definiteBits, slot[op]);
                    List<long[]> explored = memo.computeIfAbsent(new Memo(definiteBits, next), k -> new ArrayList<>());
                    boolean dominated = false;
                    for (long[] placedUnknowns : explored) {
                        if (isSubset(placedUnknowns, unknownBits)) {
                            dominated = true;
                            break;
                        }
                    }
                    if (!dominated) {
                        explored.removeIf(placedUnknowns -> isSubset(unknownBits, placedUnknowns));
                        explored.add(unknownBits.clone());
                        stackCalls[depth] = entry;
                        stackStates[depth] = state;
                        stackForced[depth] = readOnly;
                        depth++;
                        state = next;
                        if (!unknown[op]) {
                            knownRemaining--;
                        }
                        lift(entry);
                        entry = definiteHead.next;
                        continue;
                    }
                    flip(unknown[op] ? unknownBits : definiteBits, slot[op]);
                    // Placing a legal read-only op first is without loss of generality, so if that
                    // node is already known to fail, so is this one.
                    deadEnd = readOnly;
                }
                if (!deadEnd) {
                    entry = entry.next;
                }
                continue;
            }
            if (!deadEnd) {
                // Every candidate was tried: the boundary operation cannot be placed by its return.
                noteDeadEnd(definiteHead, unknownHead, boundary, stackCalls, depth, state);
            }
            if (depth == 0) {
                return result(CheckResult.Verdict.NOT_LINEARIZABLE, steps, explainFailure(steps));
            }
            depth--;
            Entry call = stackCalls[depth];
            state = stackStates[depth];
            int op = call.op;
            flip(unknown[op] ? unknownBits : definiteBits, slot[op]);
            if (!unknown[op]) {
                knownRemaining++;
            }
            unlift(call);
            entry = call.next;
            if (unknown[op]) {
                boundary = firstReturn(definiteHead);
            }
            // A forced read-only placement was the only branch this node needed; it failed, so does the node.
            deadEnd = stackForced[depth];
        }
    }

    /**
     * Unknown ops with the same effect are interchangeable once invoked (they block nothing and
     * an earlier-invoked one is available whenever a later one is), so trying only the earliest
     * unplaced one loses nothing; it also keeps the placed ones of each effect a prefix, so equal
     * counts give equal bitsets and the memo recognises them.
     */
    private boolean firstUnplacedOfItsEffect(int op, long[] unknownBits) {
        int previous = previousSameEffect[op];
        return previous < 0 || (unknownBits[slot[previous] >>> 6] & (1L << slot[previous])) != 0;
    }

    private String describeValue(int value) {
        return value == OPAQUE ? "a value no operation reads" : KvInput.quote(valueNames.get(value));
    }

    /**
     * Whether {@code op} is a definite operation that leaves the value unchanged (a get, a failed
     * cas, a delete that found nothing). If it is legal when it becomes a candidate, placing it
     * right away loses nothing: it cannot make any later operation illegal, and every operation
     * that must precede it already has. So the search does not branch on alternatives to it.
     */
    private boolean readOnly(int op) {
        if (unknown[op]) {
            return false;
        }
        switch (kind[op]) {
            case GET:
                return true;
            case CAS:
            case DELETE:
                return !flag[op];
            default:
                return false;
        }
    }

    private void noteDeadEnd(Entry definiteHead, Entry unknownHead, Entry boundary,
                             Entry[] stackCalls, int depth, int state) {
        if (bestPrefix != null && depth <= bestPrefix.length) {
            return;
        }
        bestPrefix = new int[depth];
        for (int i = 0; i < depth; i++) {
            bestPrefix[i] = stackCalls[i].op;
        }
        bestState = state;
        blockedOp = boundary.op;
        List<Integer> pending = new ArrayList<>();
        for (Entry e = definiteHead.next; e != boundary; e = e.next) {
            pending.add(e.op);
        }
        for (Entry e = unknownHead.next; e != null && e.time <= boundary.time; e = e.next) {
            pending.add(e.op);
        }
        pendingAtBest = pending;
    }

    private String explainFailure(long steps) {
        if (bestPrefix == null) {
            bestPrefix = new int[0];
        }
        StringBuilder text = new StringBuilder();
        text.append("key ").append(KvInput.quote(key)).append(" is not linearizable (")
                .append(operations.size()).append(" operations, ").append(steps).append(" search steps).\n");
        text.append("  Longest linearizable prefix: ").append(bestPrefix.length)
                .append(" operations, after which the key holds ").append(describeValue(bestState))
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
