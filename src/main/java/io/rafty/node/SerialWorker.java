package io.rafty.node;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.concurrent.RejectedExecutionException;

/**
 * One of the driver's {@link NodeDriver.Worker}s on Vert.x: a one-thread worker pool whose tasks run one at
 * a time, in the order given, and independently of the other workers — what {@link NodeDriver.Host#execute}
 * promises, and what the simulator's workers do.
 *
 * <p>Why not {@code WorkerExecutor.executeBlocking(task, true)}: Vert.x orders blocking tasks per calling
 * <em>context</em>, not per executor, so every ordered task of the Raft verticle waited for the one before
 * it, whichever pool ran it. No apply ever overlapped a log persist, and at 5 M keys a snapshot's flush of
 * the state machine (1–3 s) held back the log's fsyncs, so the leader sent nothing meanwhile and the
 * followers elected another (36 leader changes in a 10-minute preload; BENCHMARKS.md, issue 19). Here the
 * order is this worker's own queue, and each task runs unordered on the pool's one thread.
 *
 * <p>{@link #close} waits for the running task: the storage is closed after the workers, and closing
 * RocksDB under a running flush or write crashes the process.
 *
 * <p>Not thread-safe: submit and close from the Raft verticle's context only, where the completions arrive too.
 */
final class SerialWorker {

    private record Queued<T>(Callable<T> task, Promise<T> done) {
    }

    private final WorkerExecutor executor;
    private final ArrayDeque<Queued<?>> waiting = new ArrayDeque<>();
    private boolean busy;
    private boolean closed;
    /** Completed when the running task has finished, once closed. */
    private final Promise<Void> idle = Promise.promise();

    SerialWorker(WorkerExecutor executor) {
        this.executor = executor;
    }

    /** Runs {@code task} after the tasks submitted before it; the future completes on the caller's context. */
    <T> Future<T> submit(Callable<T> task) {
        if (closed) {
            return Future.failedFuture(new IllegalStateException("the worker is closed"));
        }
        Promise<T> done = Promise.promise();
        waiting.add(new Queued<>(task, done));
        if (!busy) {
            startNext();
        }
        return done.future();
    }

    private void startNext() {
        Queued<?> next = waiting.poll();
        if (next != null) {
            busy = true;
            run(next);
        }
    }

    private <T> void run(Queued<T> queued) {
        Future<T> running;
        try {
            running = executor.executeBlocking(queued.task(), false);
        } catch (RejectedExecutionException e) {
            // The pool was shut down under this worker (its Vert.x instance closing): the task fails, as a
            // refused one does, instead of leaving the worker busy for ever and its close never done.
            running = Future.failedFuture(e);
        }
        running.onComplete(ar -> {
            busy = false;
            // The outcome first: a task that finished before its listener was attached completes here at once,
            // and starting the next one first would answer a run of such tasks in reverse.
            queued.done().handle(ar);
            if (closed) {
                idle.tryComplete();
            } else if (!busy) {
                startNext();
            }
        });
    }

    /** Refuses new tasks, fails the waiting ones, and closes the pool once the running task has finished. */
    Future<Void> close() {
        if (!closed) {
            closed = true;
            IllegalStateException refused = new IllegalStateException("the worker closed before the task ran");
            for (Queued<?> queued : waiting) {
                queued.done().tryFail(refused);
            }
            waiting.clear();
            if (!busy) {
                idle.tryComplete();
            }
        }
        return idle.future().compose(v -> executor.close());
    }
}
