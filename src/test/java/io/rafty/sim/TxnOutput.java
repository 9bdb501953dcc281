package io.rafty.sim;

import io.rafty.check.KvInput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the store answered to a transaction: which branch ran ({@code succeeded}: the compares held)
 * and the values that branch's Gets read, in operation order ({@code null} = absent).
 */
public record TxnOutput(boolean succeeded, List<String> reads) {

    public TxnOutput {
        // Not List.copyOf: an absent key reads as null, which List.copyOf rejects.
        reads = Collections.unmodifiableList(new ArrayList<>(reads));
    }

    /** E.g. {@code then} or {@code else read "a",absent}. */
    public String describe() {
        String branch = succeeded ? "then" : "else";
        return reads.isEmpty() ? branch
                : branch + " read " + reads.stream().map(KvInput::quote).collect(Collectors.joining(","));
    }

    /**
     * Like {@link #describe()} but naming the key of each read, e.g. {@code else read t0="a",t1=absent};
     * what a human wants to see next to a torn read.
     */
    public String describe(TxnInput input) {
        List<TxnOp> branch = input.branch(succeeded);
        List<String> named = new ArrayList<>();
        int read = 0;
        for (TxnOp op : branch) {
            if (op instanceof TxnOp.Get && read < reads.size()) {
                named.add(op.key() + "=" + KvInput.quote(reads.get(read++)));
            }
        }
        String text = succeeded ? "then" : "else";
        return named.isEmpty() ? text : text + " read " + String.join(",", named);
    }
}
