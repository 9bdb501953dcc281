package io.rafty.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A client history under construction: record each invocation, then its completion.
 *
 * <p>Thread-safe and lock-free, so clients on real threads or several event loops may record into
 * one history at once. Times come from whatever monotone clock the caller uses (simulated ticks or
 * {@link System#nanoTime()}); invocation and completion of one operation must use the same clock.
 * An operation never completed by the time {@link #operations()} is called counts as
 * {@link Outcome.Unknown}: the client never learned whether it took effect.
 */
public final class History {

    private final AtomicInteger nextId = new AtomicInteger();
    private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();

    /** An invoked operation awaiting its completion; pass it back to {@link History#complete}. */
    public static final class Call {
        private final History history;
        private final int id;
        private final int clientId;
        private final long invokeTime;
        private final KvInput input;
        private final AtomicReference<Operation> completed = new AtomicReference<>();

        private Call(History history, int id, int clientId, long invokeTime, KvInput input) {
            this.history = history;
            this.id = id;
            this.clientId = clientId;
            this.invokeTime = invokeTime;
            this.input = input;
        }

        public int id() {
            return id;
        }

        Operation asOperation() {
            Operation operation = completed.get();
            return operation != null
                    ? operation
                    : new Operation(id, clientId, invokeTime, Long.MAX_VALUE, input, Outcome.unknown());
        }
    }

    /** Records that {@code clientId} sent {@code input} at {@code invokeTime}. */
    public Call invoke(int clientId, long invokeTime, KvInput input) {
        Objects.requireNonNull(input, "input");
        Call call = new Call(this, nextId.getAndIncrement(), clientId, invokeTime, input);
        calls.add(call);
        return call;
    }

    /** Records how {@code call} ended; each call completes at most once. */
    public void complete(Call call, long completeTime, Outcome outcome) {
        if (call.history != this) {
            throw new IllegalArgumentException("call #" + call.id + " belongs to another history");
        }
        Operation operation = new Operation(call.id, call.clientId, call.invokeTime, completeTime, call.input, outcome);
        if (!call.completed.compareAndSet(null, operation)) {
            throw new IllegalStateException("call #" + call.id + " completed twice");
        }
    }

    /** The store answered {@code output} at {@code completeTime}. */
    public void ok(Call call, long completeTime, KvOutput output) {
        complete(call, completeTime, Outcome.ok(output));
    }

    /** The operation definitely did not take effect (e.g. 503 no_leader). */
    public void fail(Call call, long completeTime) {
        complete(call, completeTime, Outcome.fail());
    }

    /** The client gave up (timeout, 504): the operation may or may not have taken effect. */
    public void unknown(Call call) {
        complete(call, Long.MAX_VALUE, Outcome.unknown());
    }

    /** Records a whole operation at once; convenient for histories written out by hand. */
    public Operation record(int clientId, long invokeTime, long completeTime, KvInput input, Outcome outcome) {
        Call call = invoke(clientId, invokeTime, input);
        complete(call, completeTime, outcome);
        return call.asOperation();
    }

    /** A snapshot of every recorded operation, in id order; uncompleted ones are {@link Outcome.Unknown}. */
    public List<Operation> operations() {
        List<Operation> operations = new ArrayList<>();
        for (Call call : calls) {
            operations.add(call.asOperation());
        }
        operations.sort(Comparator.comparingInt(Operation::id));
        return operations;
    }
}
