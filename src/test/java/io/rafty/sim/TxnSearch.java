package io.rafty.sim;

import io.rafty.check.CheckResult;
import io.rafty.check.KvInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A linearizability checker for multi-key transactions ({@link TxnOperation}).
 *
 * <h2>Why a separate search</h2>
 * {@link LinearizabilityChecker} splits a history by key, which is sound because each key is an
 * independent object. A transaction reads and writes several keys in one atomic step, so the keys
 * are one object and the history must be searched as a whole: the model state is the whole (small)
 * map. The simulator's transaction workload uses a handful of keys for exactly that reason.
 *
 * <h2>Model</h2>
 * Initially every key is absent. A transaction runs its success branch if all its compares hold,
 * else its failure branch; branch operations apply in order and a Get reads the value as of that
 * point of the branch. An OK transaction is legal at a point only if the model's answer there (the
 * branch taken and every value read) equals the recorded one. An UNKNOWN transaction may take effect
 * at any point after its invocation, or never, and answers nothing, so it is always legal. FAILed
 * transactions took no effect and UNKNOWN read-only ones changed nothing; both are dropped.
 *
 * <h2>Search</h2>
 * Wing &amp; Gong's backtracking with Lowe's memoization, as in Porcupine: calls and returns of the
 * definite (OK) transactions sorted by time in a linked list; an unplaced operation may go next when
 * its call precedes the first pending return (nothing unplaced completed strictly before it was
 * invoked; equal times are concurrent). Placing one lifts its call and return out of the list;
 * reaching a return means its operation can no longer be placed in time, so the search backtracks.
 * Unknown transactions have no return: they sit in a second list and are candidates once invoked no
 * later than the first pending return. The search succeeds when every OK transaction is placed;
 * unknown ones left over never took effect.
 *
 * <p>Values are interned per key to small ints (0 = absent), so a model state is an {@code int[]}
 * with one slot per key, never mutated once built (copy on write), so it can be shared by the stack
 * and the memo.
 *
 * <h2>Why the reductions are sound</h2>
 * Call a node (placed definite set D, placed unknown set U, state s) <em>good</em> if some order of
 * the remaining operations completes it, and let L be the length of its shortest completion. Claim:
 * if a good node is ever pushed, the search ends in success. By induction on L: L = 0 is success
 * itself. Otherwise take a shortest completion x·P. If the child N+x is pushed, it is good with
 * L - 1, done. If it is pruned because a memoized node Q dominates it (same D and s, U<sub>Q</sub> ⊆
 * U<sub>N+x</sub>), then P completes Q too (see the memo below), so Q is good with a shorter L, and
 * Q was pushed when it was memoized, done. Nothing here depends on the order children are tried, and
 * a node is only ever abandoned after trying every child the reductions keep; so each reduction below
 * only has to show that some shortest completion starts with a child the search still tries.
 * <ul>
 *   <li><b>Dominance memo.</b> A node with the same D and s as a memoized one, and a superset of its
 *       unknown operations placed, is pruned: the extra placed unknowns only remove operations from
 *       what is left, and an unplaced unknown operation never completes so it never constrains when
 *       anything else may go, so every completion of the pruned node completes the memoized one.
 *       (The root is memoized too, so an unknown transaction that changes nothing is never placed.)</li>
 *   <li><b>Interchangeable unknowns.</b> Of unknown transactions with identical interned effect,
 *       only the earliest-invoked unplaced one is a candidate. If a shortest completion starts with
 *       a later one x, swap the roles of x and the earlier y (y is a candidate since it was invoked no
 *       later than x, and x, once a candidate, stays one): same states, same length.</li>
 *   <li><b>Forced read-only.</b> When a definite transaction whose recorded branch writes nothing is
 *       a candidate and legal, it is placed without trying alternatives. Any completion contains it;
 *       moving it to the front keeps every state (it changes nothing and its answer depends only on
 *       the state, which is the same there) and every real-time constraint (it was a candidate here;
 *       ops it now precedes only gain a placed operation), and the length. Placing it first is
 *       therefore a shortest completion's first step, so if that child is pruned or fails, the node
 *       fails. A transaction whose writes merely happen to rewrite current values is not treated so:
 *       at a later point of a completion they could change the state.</li>
 *   <li><b>Opaque values.</b> Every value no OK Get reads and no compare expects becomes one value
 *       per key: compares and recorded reads only ask "equal to this observed value?" or "absent?",
 *       which such values all answer alike. So the memo merges states that differ only in unread
 *       writes.</li>
 * </ul>
 *
 * <h2>Budget</h2>
 * One step is one attempt to place or undo an operation. The memo gains at most one entry per step,
 * so {@code maxSteps} bounds memory as well as time. Running out yields UNKNOWN, which is not a pass.
 */
public final class TxnSearch {

    private static final int ABSENT = 0;
    private static final int OPAQUE = 1;
    private static final int PUT = 0;
    private static final int DELETE = 1;
    private static final int GET = 2;
    private static final int EXPLANATION_PREFIX_OPERATIONS_MAX = 20;
    private static final int EXPLANATION_PENDING_OPERATIONS_MAX = 12;

    /** A branch, interned: parallel arrays of operation kind, key slot and (for puts) value id. */
    private record Branch(int[] kinds, int[] keys, int[] values) {
    }

    /**
     * A transaction, interned. {@code succeeded} and {@code reads} are the recorded answer of a
     * definite transaction; {@code effect} identifies unknown transactions that act identically.
     */
    private record Program(int[] compareKeys, int[] compareValues, Branch success, Branch failure,
                           boolean unknown, boolean succeeded, int[] reads, boolean readOnly, String effect) {
    }

    private final String name;
    private final List<String> keys;
    /** Transactions to place, in invocation order; FAILed and unknown read-only ones are dropped. */
    private final List<TxnOperation> operations;
    private final Program[] programs;
    /** Index of an operation among the definite ones, or among the unknown ones: its bit in the memo. */
    private final int[] slot;
    /** For an unknown op, the previous unknown op (invocation order) with the same effect, or -1. */
    private final int[] previousSameEffect;
    private final int knownCount;
    private final List<Set<String>> observed = new ArrayList<>();
    private final List<Map<String, Integer>> valueIds = new ArrayList<>();
    private final List<List<String>> valueNames = new ArrayList<>();

    /**
     * Checks {@code operations} (one history of transactions) within {@code maxSteps} search steps.
     * The result's key is {@code "txn keys "} plus the sorted set of keys the history touches.
     */
    public static CheckResult.KeyResult check(List<TxnOperation> operations, long maxSteps) {
        Objects.requireNonNull(operations, "operations");
        if (maxSteps <= 0) {
            throw new IllegalArgumentException("maxSteps must be positive: " + maxSteps);
        }
        return new TxnSearch(operations).run(maxSteps);
    }

    private TxnSearch(List<TxnOperation> all) {
        TreeSet<String> keySet = new TreeSet<>();
        for (TxnOperation operation : all) {
            keySet.addAll(operation.input().keys());
        }
        name = "txn keys " + keySet;
        keys = List.copyOf(keySet);
        Map<String, Integer> keySlots = new HashMap<>();
        for (String key : keys) {
            keySlots.put(key, keySlots.size());
            observed.add(new HashSet<>());
            valueIds.add(new HashMap<>());
            List<String> names = new ArrayList<>();
            names.add(null);
            names.add(null);
            valueNames.add(names);
        }
        List<TxnOperation> kept = new ArrayList<>();
        for (TxnOperation operation : all) {
            boolean failed = operation.status() == TxnOperation.Status.FAIL;
            // An unknown transaction that writes nothing changed nothing and told nobody anything.
            boolean unknownReadOnly = operation.status() == TxnOperation.Status.UNKNOWN && operation.input().readOnly();
            if (!failed && !unknownReadOnly) {
                kept.add(operation);
            }
        }
        kept.sort(Comparator.comparingLong(TxnOperation::invokeTime).thenComparingInt(TxnOperation::id));
        operations = kept;
        for (TxnOperation operation : kept) {
            noteObservedValues(operation, keySlots);
        }
        int count = kept.size();
        programs = new Program[count];
        slot = new int[count];
        previousSameEffect = new int[count];
        Map<String, Integer> lastUnknownByEffect = new HashMap<>();
        int known = 0;
        for (int i = 0; i < count; i++) {
            Program program = compile(kept.get(i), keySlots);
            programs[i] = program;
            slot[i] = program.unknown() ? i - known : known++;
            previousSameEffect[i] = -1;
            if (program.unknown()) {
                Integer previous = lastUnknownByEffect.put(program.effect(), i);
                previousSameEffect[i] = previous == null ? -1 : previous;
            }
        }
        knownCount = known;
    }

    /** Values a transaction distinguishes: those its compares expect, and those an OK one read. */
    private void noteObservedValues(TxnOperation operation, Map<String, Integer> keySlots) {
        TxnInput input = operation.input();
        for (TxnCompare compare : input.compares()) {
            if (compare.expected() != null) {
                observed.get(keySlots.get(compare.key())).add(compare.expected());
            }
        }
        if (operation.output() != null) {
            int read = 0;
            for (TxnOp op : input.branch(operation.output().succeeded())) {
                if (op instanceof TxnOp.Get) {
                    String value = operation.output().reads().get(read++);
                    if (value != null) {
                        observed.get(keySlots.get(op.key())).add(value);
                    }
                }
            }
        }
    }

    private int intern(int key, String value) {
        if (value == null) {
            return ABSENT;
        }
        if (!observed.get(key).contains(value)) {
            return OPAQUE;
        }
        return valueIds.get(key).computeIfAbsent(value, v -> {
            valueNames.get(key).add(v);
            return valueNames.get(key).size() - 1;
        });
    }

    private Program compile(TxnOperation operation, Map<String, Integer> keySlots) {
        TxnInput input = operation.input();
        int compares = input.compares().size();
        int[] compareKeys = new int[compares];
        int[] compareValues = new int[compares];
        for (int i = 0; i < compares; i++) {
            TxnCompare compare = input.compares().get(i);
            compareKeys[i] = keySlots.get(compare.key());
            compareValues[i] = intern(compareKeys[i], compare.expected());
        }
        Branch success = compile(input.success(), keySlots);
        Branch failure = compile(input.failure(), keySlots);
        TxnOutput output = operation.output();
        boolean unknown = output == null;
        boolean succeeded = !unknown && output.succeeded();
        int[] reads = new int[0];
        boolean readOnly = false;
        if (!unknown) {
            Branch taken = succeeded ? success : failure;
            reads = new int[output.reads().size()];
            int read = 0;
            readOnly = true;
            for (int i = 0; i < taken.kinds().length; i++) {
                if (taken.kinds()[i] == GET) {
                    reads[read] = intern(taken.keys()[i], output.reads().get(read));
                    read++;
                } else {
                    readOnly = false;
                }
            }
        }
        String effect = Arrays.toString(compareKeys) + Arrays.toString(compareValues) + describe(success) + describe(failure);
        return new Program(compareKeys, compareValues, success, failure, unknown, succeeded, reads, readOnly, effect);
    }

    private Branch compile(List<TxnOp> ops, Map<String, Integer> keySlots) {
        int[] kinds = new int[ops.size()];
        int[] branchKeys = new int[ops.size()];
        int[] values = new int[ops.size()];
        for (int i = 0; i < ops.size(); i++) {
            TxnOp op = ops.get(i);
            branchKeys[i] = keySlots.get(op.key());
            if (op instanceof TxnOp.Put put) {
                kinds[i] = PUT;
                values[i] = intern(branchKeys[i], put.value());
            } else if (op instanceof TxnOp.Delete) {
                kinds[i] = DELETE;
            } else {
                kinds[i] = GET;
            }
        }
        return new Branch(kinds, branchKeys, values);
    }

    private static String describe(Branch branch) {
        return Arrays.toString(branch.kinds()) + Arrays.toString(branch.keys()) + Arrays.toString(branch.values());
    }

    /**
     * The state after operation {@code op} takes effect in {@code state}, or null if its recorded
     * answer is impossible there. Returns {@code state} itself when nothing changes.
     */
    private int[] apply(int[] state, int op) {
        Program program = programs[op];
        boolean holds = true;
        for (int i = 0; i < program.compareKeys().length && holds; i++) {
            holds = state[program.compareKeys()[i]] == program.compareValues()[i];
        }
        if (!program.unknown() && holds != program.succeeded()) {
            return null;
        }
        Branch branch = holds ? program.success() : program.failure();
        int[] next = state;
        int read = 0;
        for (int i = 0; i < branch.kinds().length; i++) {
            int key = branch.keys()[i];
            int kind = branch.kinds()[i];
            if (kind == GET) {
                if (!program.unknown() && next[key] != program.reads()[read]) {
                    return null;
                }
                read++;
            } else {
                int value = kind == PUT ? branch.values()[i] : ABSENT;
                if (next[key] != value) {
                    if (next == state) {
                        next = state.clone();
                    }
                    next[key] = value;
                }
            }
        }
        return next;
    }

    /** A call or return event in the linked lists operations are lifted out of. */
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

    /**
     * Memo key: the placed definite set and the state. Definite ops are numbered in invocation
     * order, so the set is mostly a full prefix; only the words from the first incomplete one on
     * are kept, which keeps keys short however long the history is.
     */
    private static final class MemoKey {
        final int firstWord;
        final long[] words;
        final int[] state;
        final int hash;

        MemoKey(long[] bits, int[] state) {
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
            this.hash = (31 * first + Arrays.hashCode(words)) * 31 + Arrays.hashCode(state);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof MemoKey key && key.hash == hash && key.firstWord == firstWord
                    && Arrays.equals(key.words, words) && Arrays.equals(key.state, state);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /**
     * Definite ops' calls and returns into one list, unknown ops' calls into another, each by time.
     * Calls sort before returns at equal times, so only completeTime &lt; invokeTime orders two ops.
     */
    private void buildLists(Entry definiteHead, Entry unknownHead) {
        List<Entry> definiteEvents = new ArrayList<>();
        List<Entry> unknownCalls = new ArrayList<>();
        for (int i = 0; i < operations.size(); i++) {
            TxnOperation operation = operations.get(i);
            Entry call = new Entry(i, true, operation.invokeTime());
            if (programs[i].unknown()) {
                unknownCalls.add(call);
            } else {
                call.match = new Entry(i, false, operation.completeTime());
                definiteEvents.add(call);
                definiteEvents.add(call.match);
            }
        }
        Comparator<Entry> order = Comparator.comparingLong((Entry e) -> e.time)
                .thenComparing(e -> !e.isCall)
                .thenComparingInt(e -> e.op);
        link(definiteHead, definiteEvents, order);
        link(unknownHead, unknownCalls, order);
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

    private static void unlink(Entry entry) {
        entry.prev.next = entry.next;
        if (entry.next != null) {
            entry.next.prev = entry.prev;
        }
    }

    private static void relink(Entry entry) {
        entry.prev.next = entry;
        if (entry.next != null) {
            entry.next.prev = entry;
        }
    }

    private static void lift(Entry call) {
        unlink(call);
        if (call.match != null) {
            unlink(call.match);
        }
    }

    /** Undoes {@link #lift}, in reverse order so each entry's neighbours are restored first. */
    private static void unlift(Entry call) {
        if (call.match != null) {
            relink(call.match);
        }
        relink(call);
    }

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

    private static boolean isSet(long[] bits, int index) {
        return (bits[index >>> 6] & (1L << index)) != 0;
    }

    // The dead end with the most definite operations placed, for the explanation.
    private int bestDefinitePlaced = -1;
    private int[] bestPrefix;
    private int[] bestState;
    private int blockedOp = -1;
    private List<Integer> pendingAtBest = List.of();

    private CheckResult.KeyResult run(long maxSteps) {
        int count = operations.size();
        Entry definiteHead = new Entry(-1, true, Long.MIN_VALUE);
        Entry unknownHead = new Entry(-1, true, Long.MIN_VALUE);
        buildLists(definiteHead, unknownHead);
        long[] definiteBits = new long[(knownCount + 63) / 64];
        long[] unknownBits = new long[(count - knownCount + 63) / 64];
        int[] state = new int[keys.size()];
        Map<MemoKey, List<long[]>> memo = new HashMap<>();
        List<long[]> root = new ArrayList<>();
        root.add(unknownBits.clone());
        memo.put(new MemoKey(definiteBits, state), root);
        Entry[] stackCalls = new Entry[count];
        int[][] stackStates = new int[count][];
        boolean[] stackForced = new boolean[count];
        int depth = 0;
        int knownRemaining = knownCount;
        long steps = 0;
        Entry entry = definiteHead.next;
        Entry boundary = null;
        boolean deadEnd = false;
        while (true) {
            if (knownRemaining == 0) {
                return result(CheckResult.Verdict.LINEARIZABLE, steps, name + " are linearizable ("
                        + count + " operations, " + steps + " search steps)");
            }
            steps++;
            if (steps > maxSteps) {
                return result(CheckResult.Verdict.UNKNOWN, steps, name + ": unknown (budget exceeded) after "
                        + maxSteps + " search steps over " + count + " operations; at most "
                        + Math.max(bestDefinitePlaced, knownCount - knownRemaining) + " of the " + knownCount
                        + " OK operations were placed in a linearizable prefix");
            }
            if (!deadEnd && entry != null && !entry.isCall) {
                // The definite candidates are exhausted at the first pending return; now the unknown
                // operations invoked no later than it.
                boundary = entry;
                entry = unknownHead.next;
                continue;
            }
            boolean candidate = !deadEnd && entry != null
                    && (!programs[entry.op].unknown() || entry.time <= boundary.time);
            if (candidate && programs[entry.op].unknown() && !firstUnplacedOfItsEffect(entry.op, unknownBits)) {
                entry = entry.next;
                continue;
            }
            if (candidate) {
                int op = entry.op;
                int[] next = apply(state, op);
                if (next != null) {
                    long[] bits = programs[op].unknown() ? unknownBits : definiteBits;
                    flip(bits, slot[op]);
                    List<long[]> explored = memo.computeIfAbsent(new MemoKey(definiteBits, next), k -> new ArrayList<>());
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
                        stackForced[depth] = programs[op].readOnly();
                        depth++;
                        state = next;
                        if (!programs[op].unknown()) {
                            knownRemaining--;
                        }
                        lift(entry);
                        entry = definiteHead.next;
                        continue;
                    }
                    flip(bits, slot[op]);
                    // A legal read-only transaction is a shortest completion's first step (see the
                    // class comment); its child being pruned means this node fails too.
                    deadEnd = programs[op].readOnly();
                }
                if (!deadEnd) {
                    entry = entry.next;
                }
                continue;
            }
            if (!deadEnd) {
                // Every candidate was tried: the boundary operation cannot be placed before its return.
                noteDeadEnd(definiteHead, unknownHead, boundary, stackCalls, depth, state, knownCount - knownRemaining);
            }
            if (depth == 0) {
                return result(CheckResult.Verdict.NOT_LINEARIZABLE, steps, explainFailure(steps));
            }
            depth--;
            Entry call = stackCalls[depth];
            state = stackStates[depth];
            int op = call.op;
            flip(programs[op].unknown() ? unknownBits : definiteBits, slot[op]);
            if (!programs[op].unknown()) {
                knownRemaining++;
            }
            unlift(call);
            entry = call.next;
            if (programs[op].unknown()) {
                // Resume the parent's scan of unknown candidates, against the parent's boundary.
                boundary = firstReturn(definiteHead);
            }
            deadEnd = stackForced[depth];
        }
    }

    /**
     * Whether {@code op}'s previous same-effect unknown op is placed already (or it has none); only
     * then is it a candidate. This keeps the placed ops of each effect an invocation-order prefix,
     * so equal counts give equal bitsets and the memo recognises them.
     */
    private boolean firstUnplacedOfItsEffect(int op, long[] unknownBits) {
        int previous = previousSameEffect[op];
        return previous < 0 || isSet(unknownBits, slot[previous]);
    }

    private void noteDeadEnd(Entry definiteHead, Entry unknownHead, Entry boundary,
                             Entry[] stackCalls, int depth, int[] state, int definitePlaced) {
        // Counting definite operations, not depth: unknown ones piled on at a dead end explain nothing.
        if (definitePlaced <= bestDefinitePlaced) {
            return;
        }
        bestDefinitePlaced = definitePlaced;
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

    private String describeValue(int key, int value) {
        return value == OPAQUE ? "a value no operation reads" : KvInput.quote(valueNames.get(key).get(value));
    }

    private String describeState(int[] state) {
        List<String> parts = new ArrayList<>();
        for (int key = 0; key < keys.size(); key++) {
            parts.add(keys.get(key) + "=" + describeValue(key, state[key]));
        }
        return String.join(", ", parts);
    }

    /** What the model would answer to {@code op} in {@code state}, in the style of {@link TxnOutput#describe(TxnInput)}. */
    private String describeModelAnswer(int[] state, int op) {
        Program program = programs[op];
        boolean holds = true;
        for (int i = 0; i < program.compareKeys().length && holds; i++) {
            holds = state[program.compareKeys()[i]] == program.compareValues()[i];
        }
        Branch branch = holds ? program.success() : program.failure();
        int[] current = state.clone();
        List<String> reads = new ArrayList<>();
        for (int i = 0; i < branch.kinds().length; i++) {
            int key = branch.keys()[i];
            if (branch.kinds()[i] == GET) {
                reads.add(keys.get(key) + "=" + describeValue(key, current[key]));
            } else {
                current[key] = branch.kinds()[i] == PUT ? branch.values()[i] : ABSENT;
            }
        }
        String text = holds ? "then" : "else";
        return reads.isEmpty() ? text : text + " read " + String.join(",", reads);
    }

    private String explainFailure(long steps) {
        if (bestPrefix == null) {
            bestPrefix = new int[0];
            bestState = new int[keys.size()];
        }
        StringBuilder text = new StringBuilder();
        text.append(name).append(" are not linearizable (").append(operations.size()).append(" operations, ")
                .append(steps).append(" search steps).\n");
        text.append("  Longest linearizable prefix: ").append(bestPrefix.length)
                .append(" operations, after which ").append(describeState(bestState)).append(":\n");
        int skipped = Math.max(0, bestPrefix.length - EXPLANATION_PREFIX_OPERATIONS_MAX);
        if (skipped > 0) {
            text.append("    ... ").append(skipped).append(" earlier operations\n");
        }
        for (int i = skipped; i < bestPrefix.length; i++) {
            text.append("    ").append(operations.get(bestPrefix[i]).describe()).append('\n');
        }
        if (blockedOp >= 0) {
            TxnOperation blocked = operations.get(blockedOp);
            text.append("  Then ").append(blocked.describe()).append(" cannot be placed before it completed at ")
                    .append(blocked.completeTime()).append(" (right after the prefix the model would answer ")
                    .append(describeModelAnswer(bestState, blockedOp)).append(").\n");
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
        return new CheckResult.KeyResult(name, verdict, operations.size(), steps, explanation);
    }
}
