package io.rafty.api;

import io.rafty.kv.KvEntry;
import io.rafty.kv.KvStateMachine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Key lookups for GET, carried to a worker in batches: reads confirmed by one ReadIndex round are
 * released together, and handing each to a worker on its own cost a thread wake-up per read. One
 * batch is on the worker at a time; lookups that arrive meanwhile form the next one, at most
 * {@code maxBatch} to a batch. A batch also stops once the values it found reach {@code maxBatchBytes}
 * (after at least one lookup), so a burst of reads of large values never holds more than about that
 * much in one worker result; the lookups it did not reach lead the next batch. Only the API
 * verticle's event loop calls {@link #get(byte[])}.
 */
final class BatchedReads {

    private record Lookup(byte[] key, Promise<KvEntry> promise) {
    }

    private final Vertx vertx;
    private final KvStateMachine stateMachine;
    private final int maxBatch;
    private final long maxBatchBytes;
    private final ArrayDeque<Lookup> queued = new ArrayDeque<>();
    private boolean inFlight;

    BatchedReads(Vertx vertx, KvStateMachine stateMachine, int maxBatch, long maxBatchBytes) {
        if (maxBatch < 1 || maxBatchBytes < 1) {
            throw new IllegalArgumentException("maxBatch and maxBatchBytes must be positive, were " + maxBatch
                    + " and " + maxBatchBytes);
        }
        this.vertx = vertx;
        this.stateMachine = stateMachine;
        this.maxBatch = maxBatch;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** The key's current entry, or null when absent; completes on the caller's event loop. */
    Future<KvEntry> get(byte[] key) {
        Promise<KvEntry> promise = Promise.promise();
        queued.add(new Lookup(key, promise));
        flush();
        return promise.future();
    }

    private void flush() {
        if (inFlight || queued.isEmpty()) {
            return;
        }
        List<Lookup> batch = new ArrayList<>(Math.min(queued.size(), maxBatch));
        while (!queued.isEmpty() && batch.size() < maxBatch) {
            batch.add(queued.poll());
        }
        inFlight = true;
        vertx.executeBlocking(() -> {
            List<KvEntry> found = new ArrayList<>(batch.size());
            long bytes = 0;
            for (Lookup lookup : batch) {
                if (!found.isEmpty() && bytes >= maxBatchBytes) {
                    break;
                }
                KvEntry entry = stateMachine.get(lookup.key());
                bytes += entry == null ? 0 : entry.key().length + entry.value().length;
                found.add(entry);
            }
            return found;
        }, false).onComplete(ar -> {
            inFlight = false;
            int done = ar.succeeded() ? ar.result().size() : batch.size();
            // The lookups this batch did not reach go back first, so that a lookup made by a completion
            // below queues behind them.
            for (int i = batch.size() - 1; i >= done; i--) {
                queued.addFirst(batch.get(i));
            }
            for (int i = 0; i < done; i++) {
                if (ar.succeeded()) {
                    batch.get(i).promise().complete(ar.result().get(i));
                } else {
                    batch.get(i).promise().fail(ar.cause());
                }
            }
            flush();
        });
    }
}
