package io.rafty.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Raft verticle's workers: each runs its tasks one at a time in the order given, and a task held up on
 * one worker does not hold up another submitted from the same context — which Vert.x's ordered
 * {@code executeBlocking} does (its order is per context), and which let a snapshot's flush stop the log's
 * persists.
 */
class SerialWorkerTest {

    private static final long BUDGET_SECONDS = 20;

    private Vertx vertx;
    private Context context;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(BUDGET_SECONDS, TimeUnit.SECONDS);
    }

    private SerialWorker worker(String name) {
        return new SerialWorker(vertx.createSharedWorkerExecutor(name, 1));
    }

    @Test
    void aTaskHeldOnOneWorkerDoesNotHoldAnotherFromTheSameContext() throws Exception {
        SerialWorker snapshot = worker("test-snapshot");
        SerialWorker persist = worker("test-persist");
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Boolean> persisted = new CompletableFuture<>();
        CompletableFuture<Boolean> snapshotted = new CompletableFuture<>();
        context.runOnContext(v -> {
            snapshot.submit(() -> release.await(BUDGET_SECONDS, TimeUnit.SECONDS))
                    .onComplete(ar -> snapshotted.complete(ar.succeeded()));
            // Submitted after the held task, from the same context, on the other worker: it runs now.
            persist.submit(() -> release.getCount() == 1).onComplete(ar -> persisted.complete(ar.result()));
        });
        assertTrue(persisted.get(BUDGET_SECONDS, TimeUnit.SECONDS), "the persist ran while the snapshot was held");
        assertFalse(snapshotted.isDone(), "the snapshot task is still held");
        release.countDown();
        assertTrue(snapshotted.get(BUDGET_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void oneWorkersTasksRunOneAtATimeInTheOrderGiven() throws Exception {
        SerialWorker apply = worker("test-apply");
        List<Integer> ran = new CopyOnWriteArrayList<>();
        List<Integer> completed = new ArrayList<>();
        int[] running = {0};
        int[] mostAtOnce = {0};
        CompletableFuture<Void> done = new CompletableFuture<>();
        int tasks = 200;
        context.runOnContext(v -> {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                int n = i;
                futures.add(apply.submit(() -> {
                    synchronized (running) {
                        mostAtOnce[0] = Math.max(mostAtOnce[0], ++running[0]);
                    }
                    ran.add(n);
                    synchronized (running) {
                        running[0]--;
                    }
                    return n;
                }));
            }
            for (Future<Integer> future : futures) {
                // Completions arrive on the submitting context, in order.
                future.onSuccess(n -> {
                    assertTrue(context == Vertx.currentContext(), "completed on the submitting context");
                    completed.add(n);
                    if (completed.size() == tasks) {
                        done.complete(null);
                    }
                });
            }
        });
        done.get(BUDGET_SECONDS, TimeUnit.SECONDS);
        List<Integer> expected = new ArrayList<>();
        for (int i = 0; i < tasks; i++) {
            expected.add(i);
        }
        assertEquals(expected, ran, "run in the order given");
        assertEquals(expected, completed, "answered in the order given");
        assertEquals(1, mostAtOnce[0], "one at a time");
    }

    @Test
    void closeWaitsForTheRunningTaskAndFailsTheWaitingOnes() throws Exception {
        SerialWorker snapshot = worker("test-close");
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Boolean> running = new CompletableFuture<>();
        CompletableFuture<String> waiting = new CompletableFuture<>();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        CompletableFuture<String> late = new CompletableFuture<>();
        context.runOnContext(v -> {
            snapshot.submit(() -> release.await(BUDGET_SECONDS, TimeUnit.SECONDS))
                    .onComplete(ar -> running.complete(ar.succeeded()));
            snapshot.submit(() -> "ran").onComplete(ar -> waiting.complete(ar.failed() ? "failed" : ar.result()));
            snapshot.close().onComplete(ar -> closed.complete(null));
            snapshot.submit(() -> "ran").onComplete(ar -> late.complete(ar.failed() ? "refused" : ar.result()));
        });
        assertEquals("failed", waiting.get(BUDGET_SECONDS, TimeUnit.SECONDS), "a waiting task does not run after close");
        assertEquals("refused", late.get(BUDGET_SECONDS, TimeUnit.SECONDS), "nothing is taken after close");
        assertFalse(closed.isDone(), "close waits while a task runs (the storage is closed after it)");
        release.countDown();
        assertTrue(running.get(BUDGET_SECONDS, TimeUnit.SECONDS), "the running task finished");
        closed.get(BUDGET_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void aFailedTaskFailsItsFutureAndTheNextStillRuns() throws Exception {
        SerialWorker read = worker("test-read");
        CompletableFuture<String> first = new CompletableFuture<>();
        CompletableFuture<Integer> second = new CompletableFuture<>();
        context.runOnContext(v -> {
            read.<Integer>submit(() -> {
                throw new IllegalStateException("disk gone");
            }).onComplete(ar -> first.complete(ar.failed() ? ar.cause().getMessage() : "succeeded"));
            read.submit(() -> 7).onComplete(ar -> second.complete(ar.result()));
        });
        assertEquals("disk gone", first.get(BUDGET_SECONDS, TimeUnit.SECONDS));
        assertEquals(7, second.get(BUDGET_SECONDS, TimeUnit.SECONDS));
    }
}
