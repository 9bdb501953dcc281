package io.rafty.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A history of transactions being recorded by simulated clients: {@link #invoke} returns a call
 * handle (the operation's id), later passed to exactly one of {@link #ok}, {@link #fail} or
 * {@link #unknown}. A call never completed by the time {@link #operations()} is read counts as
 * UNKNOWN: the client never learned whether it took effect.
 *
 * <p>Not thread-safe: the simulator records from its single event loop. (The register
 * {@link History} is lock-free because real-thread drivers share it; nothing here needs that.)
 */
public final class TxnHistory {

    private record Call(int clientId, long invokeTime, TxnInput input) {
    }

    private final List<Call> calls = new ArrayList<>();
    private final List<TxnOperation> completed = new ArrayList<>();

    /** Records that {@code clientId} sent {@code input} at {@code invokeTime}; returns the call handle. */
    public int invoke(int clientId, long invokeTime, TxnInput input) {
        Objects.requireNonNull(input, "input");
        calls.add(new Call(clientId, invokeTime, input));
        completed.add(null);
        return calls.size() - 1;
    }

    /** The store answered {@code output} at {@code completeTime}. */
    public void ok(int call, long completeTime, TxnOutput output) {
        complete(call, completeTime, TxnOperation.Status.OK, Objects.requireNonNull(output, "output"));
    }

    /** The transaction definitely did not take effect (e.g. 503 no_leader). */
    public void fail(int call, long completeTime) {
        complete(call, completeTime, TxnOperation.Status.FAIL, null);
    }

    /** The client gave up (timeout, 504): the transaction may or may not have taken effect. */
    public void unknown(int call) {
        complete(call, Long.MAX_VALUE, TxnOperation.Status.UNKNOWN, null);
    }

    private void complete(int call, long completeTime, TxnOperation.Status status, TxnOutput output) {
        if (call < 0 || call >= calls.size()) {
            throw new IllegalArgumentException("no call #" + call + " in this history");
        }
        if (completed.get(call) != null) {
            throw new IllegalStateException("call #" + call + " completed twice");
        }
        Call invoked = calls.get(call);
        // Built now, so a malformed answer fails where the client recorded it, not in the checker.
        completed.set(call, new TxnOperation(call, invoked.clientId(), invoked.invokeTime(), completeTime,
                invoked.input(), status, output));
    }

    /** Every recorded transaction, in id order; calls not yet completed are UNKNOWN. */
    public List<TxnOperation> operations() {
        List<TxnOperation> operations = new ArrayList<>(calls.size());
        for (int id = 0; id < calls.size(); id++) {
            TxnOperation operation = completed.get(id);
            if (operation == null) {
                Call call = calls.get(id);
                operation = new TxnOperation(id, call.clientId(), call.invokeTime(), Long.MAX_VALUE,
                        call.input(), TxnOperation.Status.UNKNOWN, null);
            }
            operations.add(operation);
        }
        return operations;
    }

    /** Number of invoked calls, completed or not. */
    public int size() {
        return calls.size();
    }
}
