package io.rafty.sim;

import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One simulated client: issues one operation at a time, follows leader hints, retries what
 * definitely failed, and gives up with an unknown outcome when a write times out (retrying it
 * could apply it twice: the store has no idempotent retries yet).
 */
final class SimClient {

    private static final int MAX_ATTEMPTS = 8;
    private static final long BACKOFF_MAX_MICROS = 30_000;

    final int id;
    private final Simulation sim;
    private final SplittableRandom random;
    private final SimParameters parameters;
    private final TreeMap<String, String> lastSeen = new TreeMap<>();

    private int operationsStarted;
    private ClientCommand command;
    private int call = -1;
    private int attempts;
    private long attemptId;
    private int target;
    private int knownLeader;
    private boolean stopped;

    SimClient(int id, Simulation sim, SplittableRandom random, SimParameters parameters) {
        this.id = id;
        this.sim = sim;
        this.random = random;
        this.parameters = parameters;
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
        if (dice < 30) {
            command = new ClientCommand(ClientCommand.Kind.PUT, key, null, value);
        } else if (dice < 65) {
            command = new ClientCommand(ClientCommand.Kind.GET, key, null, null);
        } else if (dice < 85) {
            String expected = random.nextInt(4) == 0 ? null : lastSeen.get(key);
            command = new ClientCommand(ClientCommand.Kind.CAS, key, expected, value);
        } else {
            command = new ClientCommand(ClientCommand.Kind.DELETE, key, null, null);
        }
        call = sim.recorder().invoke(id, sim.now(), command);
        attempts = 0;
        sim.trace("c" + id + " invoke #" + call + " " + command);
        // Mostly the known leader, but a third of operations go to any node, so followers' forwarded
        // writes and reads (ReadIndex from a follower) are exercised as much as the leader's own.
        attempt(knownLeader != 0 && random.nextInt(3) != 0 ? knownLeader : randomNode());
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
                // The node says it cannot know (504): retrying could apply the write twice.
                knownLeader = reply.leaderHint();
                recordUnknown();
            }
            case NOT_LEADER, DROPPED, READ_ABORTED -> {
                knownLeader = reply.leaderHint();
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
        if (!command.isWrite() && attempts < MAX_ATTEMPTS) {
            // A read has no effect: asking another node is always safe.
            attempt(randomNode());
            return;
        }
        recordUnknown();
    }

    private void recordUnknown() {
        sim.recorder().unknown(call);
        sim.trace("c" + id + " unknown #" + call + " " + command);
        if (command.kind() != ClientCommand.Kind.GET) {
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
        }
    }

    private void done() {
        command = null;
        call = -1;
        attemptId = 0;
        scheduleNext();
    }
}
