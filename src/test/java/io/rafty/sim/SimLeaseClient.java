package io.rafty.sim;

import java.util.SplittableRandom;

/**
 * A service that registers itself under a lease, as etcd's clients do: it grants a lease of 1 or 2
 * seconds, puts its key attached to it, keeps it alive every third of the TTL (retrying on other
 * nodes, following leader hints), and after a while stops, abandoning the lease to expire, and starts
 * over. Every acknowledged grant and keepalive goes into the {@link LeaseLedger}; the leases' ends are
 * checked against it.
 */
final class SimLeaseClient {

    private static final long RETRY_MICROS = 20_000;

    final int id;
    private final Simulation sim;
    private final SplittableRandom random;
    private final SimParameters parameters;
    private final LeaseLedger ledger;

    private LeaseRequest.Kind step;
    private long lease;
    private long ttlSeconds;
    private String key;
    private int keepalivesLeft;
    private long attemptId;
    private long sentMicros;
    private int knownLeader;
    private int generation;
    private boolean stopped;

    SimLeaseClient(int id, Simulation sim, SplittableRandom random, SimParameters parameters, LeaseLedger ledger) {
        this.id = id;
        this.sim = sim;
        this.random = random;
        this.parameters = parameters;
        this.ledger = ledger;
    }

    void start() {
        sim.scheduleClient(random.nextLong(0, 50_000), this::grant);
    }

    void stop() {
        stopped = true;
    }

    private void grant() {
        if (stopped) {
            return;
        }
        generation++;
        ttlSeconds = 1 + random.nextInt(2);
        keepalivesLeft = random.nextInt(3, 20);
        step = LeaseRequest.Kind.GRANT;
        send(target());
    }

    private int target() {
        return knownLeader != 0 && random.nextInt(4) != 0 ? knownLeader : 1 + random.nextInt(parameters.nodeCount());
    }

    private void send(int node) {
        attemptId = sim.nextAttemptId();
        sentMicros = sim.now();
        long thisAttempt = attemptId;
        LeaseRequest request = new LeaseRequest(id, thisAttempt, step, lease, ttlSeconds, key);
        sim.sendLease(node, request);
        sim.scheduleClient(parameters.clientTimeoutMicros(), () -> {
            if (attemptId == thisAttempt && !stopped) {
                // Lost or slow: grants, puts and keepalives may all be sent again (a lost grant leaves a lease
                // nobody keeps alive, which simply expires).
                knownLeader = 0;
                send(target());
            }
        });
    }

    void onReply(long replyAttempt, ClientReply.Status status, int leaderHint, long value, boolean flag) {
        if (replyAttempt != attemptId || stopped) {
            return;
        }
        attemptId = -1;
        if (status != ClientReply.Status.OK) {
            knownLeader = leaderHint;
            int node = leaderHint != 0 ? leaderHint : 1 + random.nextInt(parameters.nodeCount());
            sim.scheduleClient(random.nextLong(1_000, RETRY_MICROS), () -> {
                if (attemptId == -1 && !stopped) {
                    send(node);
                }
            });
            return;
        }
        switch (step) {
            case GRANT -> {
                lease = value;
                ledger.acknowledged(lease, ttlSeconds, sentMicros);
                key = "l" + id + "." + generation;
                step = LeaseRequest.Kind.PUT;
                send(target());
            }
            case PUT -> {
                if (!flag) {
                    grant();          // the lease ended before the key could be attached
                    return;
                }
                scheduleKeepalive();
            }
            case KEEPALIVE -> {
                if (!flag) {
                    grant();          // it expired: keepalives came too late (a partition), so start over
                    return;
                }
                ledger.acknowledged(lease, ttlSeconds, sentMicros);
                if (--keepalivesLeft <= 0) {
                    // Abandon it: the lease and its key must expire, no sooner than the TTL from now.
                    sim.scheduleClient(random.nextLong(0, 500_000), this::grant);
                } else {
                    scheduleKeepalive();
                }
            }
        }
    }

    private void scheduleKeepalive() {
        long delay = ttlSeconds * 1_000_000L / 3 - (sim.now() - sentMicros);
        sim.scheduleClient(Math.max(0, delay), () -> {
            if (!stopped && attemptId == -1) {
                step = LeaseRequest.Kind.KEEPALIVE;
                send(target());
            }
        });
    }
}
