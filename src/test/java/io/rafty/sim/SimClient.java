package io.rafty.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One simulated client: issues one operation at a time, follows leader hints, retries what
 * definitely failed, and gives up with an unknown outcome when a write times out (retrying it
 * could apply it twice) — unless the world's clients send writes with an idempotency key: then a
 * write that timed out or got a 504 is retried, on any node, and its outcome is known in the end.
 *
 * <p>A transaction client instead runs multi-key transactions over keys of its own group
 * ({@value #TXN_KEYS} keys {@code t0, t1, …}, shared by every transaction client and no key client):
 * read-only transactions reading several keys, compare-and-set transactions that write two keys if
 * one holds what the client last saw (reading both otherwise), blind writes of two keys, and a delete
 * of one key with a write of another. Their history is checked as one multi-key object
 * ({@link TxnSearch}), since a transaction's keys cannot be checked apart. That search cannot split
 * by key, so every write with an unknown outcome multiplies its work: after
 * {@value #TXN_UNKNOWN_WRITES_MAX} of them a transaction client only reads (the key clients keep
 * writing through every fault, for the per-key checker).
 */
final class SimClient {

    private static final int MAX_ATTEMPTS = 8;
    static final int TXN_KEYS = 3;
    static final int TXN_UNKNOWN_WRITES_MAX = 8;
    private static final long BACKOFF_MAX_MICROS = 30_000;

    final int id;
    private final Simulation sim;
    private final SplittableRandom random;
    private final SimParameters parameters;
    private final TreeMap<String, String> lastSeen = new TreeMap<>();
    private final boolean transactions;
    private int unknownWrites;
    /** An earlier attempt of the current write timed out or got a 504: it may have taken effect. */
    private boolean mayHaveApplied;

    private int operationsStarted;
    private ClientCommand command;
    private int call = -1;
    private int attempts;
    private long attemptId;
    private int target;
    private int knownLeader;
    private boolean stopped;

    SimClient(int id, Simulation sim, SplittableRandom random, SimParameters parameters, boolean transactions) {
        this.id = id;
        this.sim = sim;
        this.random = random;
        this.parameters = parameters;
        this.transactions = transactions;
    }

    boolean idle() {
        return command == null;
    }

    /** Finishes the current operation but starts no new one. */
    void stop() {
        stopped = true;
    }

    void scheduleNext() {
        if (!stopped) {
            sim.scheduleClient(random.nextLong(0, parameters.clientThinkMaxMicros() + 1), this::startOperation);
        }
    }

    private void startOperation() {
        if (stopped) {
            return;
        }
        String key = "k" + random.nextInt(parameters.keys());
        String value = "c" + id + "." + (++operationsStarted);
        int dice = random.nextInt(100);
        if (transactions) {
            command = ClientCommand.txn(nextTransaction(value));
        } else if (dice < 30) {
            command = new ClientCommand(ClientCommand.Kind.PUT, key, null, value);
        } else if (dice < 65) {
            command = new ClientCommand(ClientCommand.Kind.GET, key, null, null);
        } else if (dice < 85) {
            String expected = random.nextInt(4) == 0 ? null : lastSeen.get(key);
            command = new ClientCommand(ClientCommand.Kind.CAS, key, expected, value);
        } else {
            command = new ClientCommand(ClientCommand.Kind.DELETE, key, null, null);
        }
        if (parameters.idempotentRetries() && command.isWrite()) {
            command = command.withIdempotencyKey("c" + id + "." + operationsStarted);
        }
        call = sim.recorder().invoke(id, sim.now(), command);
        attempts = 0;
        mayHaveApplied = false;
        sim.trace("c" + id + " invoke #" + call + " " + command);
        // Mostly the known leader, but a third of operations go to any node, so followers' forwarded
        // writes and reads (ReadIndex from a follower) are exercised as much as the leader's own.
        attempt(knownLeader != 0 && random.nextInt(3) != 0 ? knownLeader : randomNode());
    }

    private TxnInput nextTransaction(String value) {
        int first = random.nextInt(TXN_KEYS);
        String a = "t" + first;
        String b = "t" + (first + 1 + random.nextInt(TXN_KEYS - 1)) % TXN_KEYS;
        int dice = random.nextInt(100);
        if (dice < 35 || unknownWrites >= TXN_UNKNOWN_WRITES_MAX) {
            List<TxnOp> reads = new ArrayList<>();
            for (int i = 0; i < TXN_KEYS; i++) {
                reads.add(new TxnOp.Get("t" + i));
            }
            return new TxnInput(List.of(), reads, List.of());
        }
        if (dice < 70) {
            String expected = random.nextInt(4) == 0 ? null : lastSeen.get(a);
            return new TxnInput(List.of(new TxnCompare(a, expected)),
                    List.of(new TxnOp.Put(a, value), new TxnOp.Put(b, value)),
                    List.of(new TxnOp.Get(a), new TxnOp.Get(b)));
        }
        if (dice < 88) {
            return new TxnInput(List.of(), List.of(new TxnOp.Put(a, value), new TxnOp.Put(b, value), new TxnOp.Get(a)),
                    List.of());
        }
        return new TxnInput(List.of(), List.of(new TxnOp.Delete(a), new TxnOp.Put(b, value)), List.of());
    }

    private int randomNode() {
        return 1 + random.nextInt(parameters.nodeCount());
    }

    private void attempt(int node) {
        attempts++;
        target = node;
        attemptId = sim.nextAttemptId();
        long thisAttempt = attemptId;
        sim.sendToNode(node, new ClientRequest(id, thisAttempt, command));
        sim.scheduleClient(parameters.clientTimeoutMicros(), () -> timeout(thisAttempt));
    }

    void onReply(ClientReply reply) {
        if (command == null || reply.attemptId() != attemptId) {
            return;
        }
        switch (reply.status()) {
            case OK -> {
                knownLeader = target;
                sim.recorder().ok(call, sim.now(), reply.answer());
                sim.trace("c" + id + " ok #" + call + " " + command + " -> " + reply.answer());
                remember(reply.answer());
                done();
            }
            case UNKNOWN -> {
                // The node says it cannot know (504): retrying could apply the write twice, unless it has a key.
                knownLeader = reply.leaderHint();
                if (command.idempotencyKey() != null && attempts < MAX_ATTEMPTS) {
                    mayHaveApplied = true;
                    attempt(randomNode());
                } else {
                    recordUnknown();
                }
            }
            case NOT_LEADER, DROPPED, READ_ABORTED -> {
                knownLeader = reply.leaderHint();
                if (attempts >= MAX_ATTEMPTS && mayHaveApplied) {
                    // This attempt failed, but an earlier one of this write may have applied.
                    recordUnknown();
                    return;
                }
                if (attempts >= MAX_ATTEMPTS) {
                    // Every attempt definitely failed, so the operation did not take effect.
                    sim.recorder().fail(call, sim.now());
                    sim.trace("c" + id + " fail #" + call + " " + command + " after " + attempts + " attempts");
                    done();
                    return;
                }
                long thisAttempt = attemptId;
                if (reply.leaderHint() != 0 && reply.leaderHint() != target) {
                    attempt(reply.leaderHint());
                } else {
                    attemptId = -1;
                    sim.scheduleClient(random.nextLong(1_000, BACKOFF_MAX_MICROS), () -> {
                        if (attemptId == -1 && thisAttempt > 0) {
                            attempt(randomNode());
                        }
                    });
                }
            }
        }
    }

    private void timeout(long timedOutAttempt) {
        if (command == null || timedOutAttempt != attemptId) {
            return;
        }
        knownLeader = 0;
        if ((!command.isWrite() || command.idempotencyKey() != null) && attempts < MAX_ATTEMPTS) {
            // A read has no effect, and a write with an idempotency key applies at most once whatever the
            // retries: asking another node is always safe.
            mayHaveApplied |= command.isWrite();
            attempt(randomNode());
            return;
        }
        recordUnknown();
    }

    private void recordUnknown() {
        sim.recorder().unknown(call);
        sim.trace("c" + id + " unknown #" + call + " " + command);
        if (command.kind() == ClientCommand.Kind.TXN) {
            lastSeen.clear();
            if (command.isWrite()) {
                unknownWrites++;
            }
        } else if (command.kind() != ClientCommand.Kind.GET) {
            lastSeen.remove(command.key());
        }
        done();
    }

    private void remember(KvAnswer answer) {
        switch (command.kind()) {
            case GET -> lastSeen.put(command.key(), answer.value());
            case PUT -> lastSeen.put(command.key(), command.value());
            case DELETE -> lastSeen.put(command.key(), null);
            case CAS -> {
                if (answer.flag()) {
                    lastSeen.put(command.key(), command.value());
                }
            }
            case TXN -> {
                TxnInput txn = command.txn();
                List<TxnOp> branch = answer.txn().succeeded() ? txn.success() : txn.failure();
                int read = 0;
                for (TxnOp op : branch) {
                    if (op instanceof TxnOp.Put put) {
                        lastSeen.put(put.key(), put.value());
                    } else if (op instanceof TxnOp.Delete) {
                        lastSeen.put(op.key(), null);
                    } else {
                        lastSeen.put(op.key(), answer.txn().reads().get(read++));
                    }
                }
            }
        }
    }

    private void done() {
        command = null;
        call = -1;
        attemptId = 0;
        scheduleNext();
    }
}
