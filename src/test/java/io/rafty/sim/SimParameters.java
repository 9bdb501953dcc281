package io.rafty.sim;

import io.rafty.raft.DeliberateBug;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Every knob of one simulation run, drawn from its seed. Printed at the start of a run so a
 * failure report says what world the seed built.
 *
 * <p>Times are simulated microseconds. Probabilities are per message (network) or per nemesis
 * action (faults).
 */
record SimParameters(
        long seed,
        int clusterSize,
        long baseTickMicros,
        double tickSkew,
        int electionTimeoutTicksMin,
        int electionTimeoutTicksMax,
        int heartbeatIntervalTicks,
        int maxMessageBytes,
        int maxInflightMessages,
        long messageDelayMinMicros,
        long messageDelayMeanMicros,
        double slowMessageRate,
        double lossRate,
        double duplicateRate,
        boolean reorder,
        long persistDelayMinMicros,
        long persistDelayMaxMicros,
        long nemesisIntervalMeanMicros,
        int partitionWeight,
        int crashWeight,
        int pauseWeight,
        int healWeight,
        int leaderKillerWeight,
        long leaderKillerDelayMaxMicros,
        int figure8Weight,
        long downtimeMaxMicros,
        int clients,
        int keys,
        long clientThinkMaxMicros,
        long clientTimeoutMicros,
        long snapshotEntries,
        long snapshotLogTailEntries,
        int spareNodes,
        int membershipWeight,
        long applyDelayMaxMicros,
        long applyQueueBytesMax,
        int diskLossWeight,
        int watchers,
        long historyRetentionRevisions,
        long compactionIntervalMicros,
        long watchQueueBytes,
        int watchPageEvents,
        double watchCongestion,
        long watchProgressMicros,
        int historyReaders,
        int txnClients,
        boolean idempotentRetries,
        int leaseClients,
        double clockRateSkew,
        boolean asyncStorageWrites,
        long chaosEvents,
        Set<DeliberateBug> bugs) {

    /** Ticks the healed cluster gets to elect a leader: a few election timeouts plus PreVote rounds. */
    int livenessTicks() {
        return 6 * electionTimeoutTicksMax + 20;
    }

    /** Every node id the world has: the initial voters 1..clusterSize, then the spares. */
    int nodeCount() {
        return clusterSize + spareNodes;
    }

    static SimParameters draw(long seed, long chaosEvents, Set<DeliberateBug> bugs) {
        SplittableRandom random = new SplittableRandom(seed);
        int clusterSize = random.nextBoolean() ? 3 : 5;
        long baseTick = 10_000;
        double skew = random.nextInt(3) == 0 ? 0.0 : random.nextDouble(0.05, 0.4);
        int electionMin = random.nextInt(8, 15);
        int electionMax = electionMin + random.nextInt(4, 12);
        int heartbeat = random.nextInt(4) == 0 ? 2 : 1;
        // Small messages carry one entry at a time: partial replication is what Figure 8 needs.
        int maxMessageBytes = random.nextBoolean() ? 1 : 1 << 16;
        int maxInflight = random.nextBoolean() ? random.nextInt(1, 4) : 64;
        long delayMin = random.nextLong(100, 1_000);
        long delayMean = delayMin + random.nextLong(200, 5_000);
        double slow = random.nextInt(3) == 0 ? random.nextDouble(0.0, 0.05) : 0.0;
        double loss = random.nextInt(3) == 0 ? 0.0 : random.nextDouble(0.0, 0.1);
        double duplicate = random.nextInt(2) == 0 ? 0.0 : random.nextDouble(0.0, 0.05);
        boolean reorder = random.nextInt(4) != 0;
        long persistMin = random.nextLong(50, 500);
        long persistMax = persistMin + (random.nextBoolean() ? random.nextLong(100, 2_000) : random.nextLong(2_000, 15_000));
        long nemesisMean = random.nextLong(50_000, 400_000);
        int partitionWeight = random.nextInt(0, 5);
        int crashWeight = random.nextInt(0, 5);
        int pauseWeight = random.nextInt(0, 3);
        int healWeight = random.nextInt(1, 5);
        int leaderKillerWeight = random.nextInt(0, 4);
        long leaderKillerDelayMax = random.nextLong(1_000, 30_000);
        int figure8Weight = random.nextInt(0, 4);
        long downtimeMax = random.nextLong(20_000, 600_000);
        int clients = random.nextInt(2, 6);
        int keys = random.nextInt(3, 6);
        long think = random.nextLong(0, 20_000);
        long timeout = random.nextLong(100_000, 400_000);
        // Half the worlds never compact, so a restarted node replays its whole log.
        long snapshotEntries = random.nextBoolean() ? 0 : random.nextLong(10, 200);
        long snapshotTail = random.nextBoolean() ? 0 : random.nextLong(1, 30);
        // Drawn last, so a world without membership changes is exactly the world it was before they
        // existed: half the worlds change membership, and only those have spare nodes.
        boolean changesMembership = random.nextBoolean();
        int spareNodes = changesMembership ? random.nextInt(0, 3) : 0;
        int membershipWeight = changesMembership ? random.nextInt(2, 7) : 0;
        // The host's workers: state-machine and snapshot tasks take up to this long (an apply batch on a
        // busy disk can take as long as a persist), so installs, applies and compactions overlap.
        long applyDelayMax = random.nextBoolean() ? random.nextLong(10, 500) : random.nextLong(500, 10_000);
        // A small apply queue makes the core hold committed entries back (flow control) in some worlds.
        long applyQueueBytes = random.nextInt(3) == 0 ? random.nextLong(100, 2_000) : 1L << 20;
        // Disks are lost (a node restarts on empty storage) in two thirds of the worlds.
        int diskLossWeight = random.nextInt(3) == 0 ? 0 : random.nextInt(1, 4);
        // Drawn after everything else, so the worlds above are the worlds they were before watches.
        // Two thirds of the worlds have watchers, which reconnect to random nodes after crashes, cancels
        // and hang-ups; half compact their history, every few tens of revisions.
        int watchers = random.nextInt(3) == 0 ? 0 : random.nextInt(1, 4);
        long retention = random.nextBoolean() ? 0 : random.nextLong(3, 80);
        long compactionInterval = random.nextLong(20_000, 300_000);
        long watchQueueBytes = random.nextBoolean() ? random.nextLong(300, 5_000) : 1L << 20;
        int watchPageEvents = random.nextBoolean() ? random.nextInt(1, 4) : random.nextInt(4, 50);
        double congestion = random.nextInt(3) == 0 ? 0.0 : random.nextDouble(0.0, 0.2);
        long progressMicros = random.nextBoolean() ? 0 : random.nextLong(10_000, 200_000);
        int historyReaders = random.nextInt(3);
        // Drawn last of all, so the worlds above are the worlds they were before transactions. Two thirds
        // of the worlds also have clients that run multi-key transactions over keys of their own.
        int txnClients = random.nextInt(3) == 0 ? 0 : random.nextInt(1, 4);
        // Half the worlds' clients send every write with an idempotency key and retry it after a timeout or
        // a 504, anywhere, instead of giving up with an unknown outcome.
        boolean idempotentRetries = random.nextBoolean();
        // Two thirds of the worlds have services registered under leases; the nodes' clocks (the time the
        // driver is given, which lease deadlines are measured in) run up to 2 % apart in half of them.
        int leaseClients = random.nextInt(3) == 0 ? 0 : random.nextInt(1, 4);
        double clockRateSkew = random.nextBoolean() ? 0.0 : random.nextDouble(0.0, 0.02);
        // Drawn last: half the worlds' nodes take light Readies while a persist is in flight (asynchronous
        // storage writes, the production default); the other half keep one Ready at a time. The bug that
        // breaks the light Ready needs it on.
        boolean asyncStorageWrites = random.nextBoolean() || bugs.contains(DeliberateBug.ASYNC_ACKS_IN_LIGHT_READY);
        return new SimParameters(seed, clusterSize, baseTick, skew, electionMin, electionMax, heartbeat,
                maxMessageBytes, maxInflight, delayMin, delayMean, slow, loss, duplicate, reorder, persistMin,
                persistMax, nemesisMean, partitionWeight, crashWeight, pauseWeight, healWeight, leaderKillerWeight,
                leaderKillerDelayMax, figure8Weight, downtimeMax, clients,
                keys, think, timeout, snapshotEntries, snapshotTail, spareNodes, membershipWeight, applyDelayMax,
                applyQueueBytes, diskLossWeight, watchers, retention, compactionInterval, watchQueueBytes,
                watchPageEvents, congestion, progressMicros, historyReaders, txnClients, idempotentRetries,
                leaseClients, clockRateSkew, asyncStorageWrites, chaosEvents, bugs);
    }

    String describe() {
        return String.format(java.util.Locale.ROOT,
                "seed=%d nodes=%d tick=%dus skew=%.2f election=%d..%d heartbeat=%d msgBytes=%d inflight=%d"
                        + " delay=%d+exp(%d)us slow=%.3f loss=%.3f dup=%.3f reorder=%s persist=%d..%dus"
                        + " nemesis=%dus weights(partition=%d crash=%d pause=%d heal=%d leader-killer=%d figure8=%d) kill-delay<=%dus downtime<=%dus"
                        + " clients=%d keys=%d think<=%dus timeout=%dus snapshot-every=%d tail=%d spares=%d membership=%d"
                        + " apply<=%dus apply-queue=%dB disk-loss=%d watchers=%d retention=%d compact-every=%dus"
                        + " watch-queue=%dB page=%d congestion=%.2f progress=%dus history-readers=%d txn-clients=%d idempotent=%s lease-clients=%d clock-rate-skew=%.3f async-writes=%s events=%d bugs=%s",
                seed, clusterSize, baseTickMicros, tickSkew, electionTimeoutTicksMin, electionTimeoutTicksMax,
                heartbeatIntervalTicks, maxMessageBytes, maxInflightMessages, messageDelayMinMicros,
                messageDelayMeanMicros - messageDelayMinMicros, slowMessageRate, lossRate, duplicateRate, reorder,
                persistDelayMinMicros, persistDelayMaxMicros, nemesisIntervalMeanMicros, partitionWeight,
                crashWeight, pauseWeight, healWeight, leaderKillerWeight, figure8Weight, leaderKillerDelayMaxMicros,
                downtimeMaxMicros, clients, keys, clientThinkMaxMicros,
                clientTimeoutMicros, snapshotEntries, snapshotLogTailEntries, spareNodes, membershipWeight,
                applyDelayMaxMicros, applyQueueBytesMax, diskLossWeight, watchers, historyRetentionRevisions,
                compactionIntervalMicros, watchQueueBytes, watchPageEvents, watchCongestion, watchProgressMicros,
                historyReaders, txnClients, idempotentRetries, leaseClients, clockRateSkew, asyncStorageWrites,
                chaosEvents, bugs);
    }
}
