package io.rafty.sim;

import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A transaction over string keys, as a simulated client sends it: if every compare holds, the
 * {@code success} branch runs, otherwise the {@code failure} branch; either way atomically, as one
 * step of the whole map. No compares means the success branch always runs.
 */
public record TxnInput(List<TxnCompare> compares, List<TxnOp> success, List<TxnOp> failure) {

    public TxnInput {
        compares = List.copyOf(compares);
        success = List.copyOf(success);
        failure = List.copyOf(failure);
    }

    /**
     * True when neither branch has a Put or Delete. Such a transaction can only observe, so if it
     * timed out it constrains nothing and the checker drops it.
     */
    public boolean readOnly() {
        return Stream.concat(success.stream(), failure.stream()).allMatch(op -> op instanceof TxnOp.Get);
    }

    /** The branch that runs when the compares hold ({@code true}) or not. */
    public List<TxnOp> branch(boolean succeeded) {
        return succeeded ? success : failure;
    }

    /** Every key the transaction compares or touches, sorted. */
    public TreeSet<String> keys() {
        TreeSet<String> keys = new TreeSet<>();
        compares.forEach(compare -> keys.add(compare.key()));
        success.forEach(op -> keys.add(op.key()));
        failure.forEach(op -> keys.add(op.key()));
        return keys;
    }

    /**
     * A short readable form, e.g. {@code if t0=="a" then put t0="b",put t1="b" else get t0,get t1};
     * an unconditional transaction is just its operations, e.g. {@code get t0,get t1}.
     */
    public String describe() {
        if (compares.isEmpty() && failure.isEmpty()) {
            return describe(success);
        }
        String guard = compares.isEmpty() ? "true"
                : compares.stream().map(TxnCompare::describe).collect(Collectors.joining(" && "));
        String text = "if " + guard + " then " + describe(success);
        return failure.isEmpty() ? text : text + " else " + describe(failure);
    }

    private static String describe(List<TxnOp> branch) {
        return branch.isEmpty() ? "nothing" : branch.stream().map(TxnOp::describe).collect(Collectors.joining(","));
    }

    /** Number of Gets in a branch: how many values the store reports when that branch runs. */
    static int readCount(List<TxnOp> branch) {
        return (int) branch.stream().filter(op -> op instanceof TxnOp.Get).count();
    }

    /** Convenience for an unconditional transaction. */
    public static TxnInput of(TxnOp... ops) {
        return new TxnInput(List.of(), List.of(ops), List.of());
    }
}
