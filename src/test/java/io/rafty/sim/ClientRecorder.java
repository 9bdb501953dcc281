package io.rafty.sim;

/**
 * Where the simulated clients record their history: an invocation, then at most one completion.
 * A call never completed counts as unknown. {@link #check()} runs the linearizability checker.
 */
interface ClientRecorder {

    /** Returns a handle for the call. */
    int invoke(int clientId, long timeMicros, ClientCommand command);

    /** The store answered; the operation took effect exactly once (reads: observed {@code answer}). */
    void ok(int call, long timeMicros, KvAnswer answer);

    /** The operation definitely did not take effect. */
    void fail(int call, long timeMicros);

    /** The client gave up without knowing whether the operation took effect. */
    void unknown(int call);

    /** Null when the recorded history is linearizable; otherwise why it is not. */
    String check();

    int operationCount();
}
