package io.rafty.chaos;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Breaks the cluster on a schedule drawn from one seed: a fault of one of the allowed
 * {@link FaultKind}s, held for a random short time, then healed, then a quiet gap, until the deadline. Each fault is printed with its time offset, so a
 * failing run can be read next to the node logs. The choices are reproducible from the seed; what the
 * cluster does in between (who leads when) is not, because real processes keep real time.
 */
final class Nemesis {

    enum Fault {
        KILL(FaultKind.KILL), KILL_LEADER(FaultKind.KILL), PAUSE(FaultKind.PAUSE), PAUSE_LEADER(FaultKind.PAUSE),
        ISOLATE_LEADER(FaultKind.PARTITION), SPLIT(FaultKind.PARTITION), ONE_WAY_LEADER_MUTE(FaultKind.PARTITION),
        ONE_WAY_LEADER_DEAF(FaultKind.PARTITION), BRIDGE(FaultKind.PARTITION), FLAP(FaultKind.PARTITION),
        SLOW(FaultKind.SLOW), LOSSY(FaultKind.SLOW);

        final FaultKind kind;

        Fault(FaultKind kind) {
            this.kind = kind;
        }
    }

    /** A fault is held this long at least, plus up to {@link #HOLD_MS_SPREAD}; then everything heals. */
    private static final long HOLD_MS_MIN = 1000;
    private static final int HOLD_MS_SPREAD = 4000;
    /** The quiet gap after a heal: at least this, plus up to {@link #GAP_MS_SPREAD}. */
    private static final long GAP_MS_MIN = 500;
    private static final int GAP_MS_SPREAD = 1500;

    private final FaultCluster cluster;
    private final Set<FaultKind> kinds;
    private final Consumer<String> log;
    private final Random random;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "nemesis");
        thread.setDaemon(true);
        return thread;
    });
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long startNanos;
    private final Map<Fault, Integer> counts = new TreeMap<>();
    private final List<String> schedule = Collections.synchronizedList(new ArrayList<>());
    private long deadlineNanos;
    private volatile ScheduledFuture<?> flapping;

    /**
     * @param kinds the families of faults to draw from
     * @param log   where each fault and heal is reported as it happens (also kept in {@link #schedule()})
     */
    Nemesis(FaultCluster cluster, long seed, Set<FaultKind> kinds, Consumer<String> log) {
        this.cluster = cluster;
        this.kinds = Set.copyOf(kinds);
        this.log = log;
        this.random = new Random(seed);
    }

    /** Starts breaking things; the returned future completes after the last fault is healed. */
    CompletableFuture<Void> run(long durationMs) {
        startNanos = System.nanoTime();
        deadlineNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(durationMs);
        scheduler.schedule(this::nextFault, 500 + random.nextInt(1000), TimeUnit.MILLISECONDS);
        return done;
    }

    Map<Fault, Integer> counts() {
        synchronized (counts) {
            return new TreeMap<>(counts);
        }
    }

    /** Every fault and heal so far, stamped with seconds since {@link #run}. */
    List<String> schedule() {
        synchronized (schedule) {
            return List.copyOf(schedule);
        }
    }

    void shutdown() {
        scheduler.shutdownNow();
    }

    private void nextFault() {
        try {
            long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (remainingMs < 1500) {
                done.complete(null);
                return;
            }
            Fault fault = pick();
            long holdMs = Math.min(remainingMs - 500, HOLD_MS_MIN + random.nextInt(HOLD_MS_SPREAD));
            String description = apply(fault);
            synchronized (counts) {
                counts.merge(fault, 1, Integer::sum);
            }
            note(fault + " " + description + " for " + holdMs + " ms");
            scheduler.schedule(this::healThenWait, holdMs, TimeUnit.MILLISECONDS);
        } catch (Throwable e) {
            done.completeExceptionally(e);
        }
    }

    private void healThenWait() {
        try {
            ScheduledFuture<?> flap = flapping;
            if (flap != null) {
                flap.cancel(false);
                flapping = null;
            }
            cluster.healAll();
            note("heal");
            scheduler.schedule(this::nextFault, GAP_MS_MIN + random.nextInt(GAP_MS_SPREAD), TimeUnit.MILLISECONDS);
        } catch (Throwable e) {
            done.completeExceptionally(e);
        }
    }

    private Fault pick() {
        List<Fault> faults = new ArrayList<>();
        for (Fault fault : Fault.values()) {
            if (kinds.contains(fault.kind) && (fault != Fault.BRIDGE || cluster.size >= 5)) {
                faults.add(fault);
            }
        }
        return faults.get(random.nextInt(faults.size()));
    }

    private int randomNode() {
        return 1 + random.nextInt(cluster.size);
    }

    /** The current leader if one is known, else a random node; the draw is made either way. */
    private int leaderOrRandom() {
        int fallback = randomNode();
        return cluster.currentLeader().orElse(fallback);
    }

    private LinkProxy.Mode cutMode() {
        return random.nextBoolean() ? LinkProxy.Mode.CUT : LinkProxy.Mode.STALL;
    }

    private List<Integer> shuffledNodes() {
        List<Integer> nodes = new ArrayList<>(cluster.ids());
        Collections.shuffle(nodes, random);
        return nodes;
    }

    private String apply(Fault fault) throws Exception {
        switch (fault) {
            case KILL, KILL_LEADER -> {
                List<Integer> victims = new ArrayList<>();
                victims.add(fault == Fault.KILL_LEADER ? leaderOrRandom() : randomNode());
                if (fault == Fault.KILL && random.nextInt(3) == 0) {
                    // Sometimes a majority: the cluster must stall, not lie, then recover from disk.
                    for (int id : shuffledNodes()) {
                        if (victims.size() < cluster.size / 2 + 1 && !victims.contains(id)) {
                            victims.add(id);
                        }
                    }
                }
                for (int id : victims) {
                    cluster.kill(id);
                }
                return "SIGKILL " + victims;
            }
            case PAUSE, PAUSE_LEADER -> {
                int victim = fault == Fault.PAUSE_LEADER ? leaderOrRandom() : randomNode();
                cluster.pause(victim);
                return "SIGSTOP " + victim;
            }
            case ISOLATE_LEADER -> {
                int leader = leaderOrRandom();
                LinkProxy.Mode mode = cutMode();
                List<Integer> others = new ArrayList<>(cluster.ids());
                others.remove(Integer.valueOf(leader));
                cluster.partition(List.of(leader), others, mode);
                return mode + " " + leader + " | " + others;
            }
            case SPLIT -> {
                List<Integer> nodes = shuffledNodes();
                int minority = 1 + random.nextInt(cluster.size / 2);
                LinkProxy.Mode mode = cutMode();
                List<Integer> a = nodes.subList(0, minority);
                List<Integer> b = nodes.subList(minority, nodes.size());
                cluster.partition(a, b, mode);
                return mode + " " + a + " | " + b;
            }
            case ONE_WAY_LEADER_MUTE, ONE_WAY_LEADER_DEAF -> {
                int leader = leaderOrRandom();
                LinkProxy.Mode mode = cutMode();
                for (int other : cluster.ids()) {
                    if (other != leader) {
                        if (fault == Fault.ONE_WAY_LEADER_MUTE) {
                            cluster.cut(leader, other, mode);
                        } else {
                            cluster.cut(other, leader, mode);
                        }
                    }
                }
                return mode + (fault == Fault.ONE_WAY_LEADER_MUTE ? " outbound of " : " inbound of ") + leader;
            }
            case BRIDGE -> {
                List<Integer> nodes = shuffledNodes();
                int bridge = nodes.get(0);
                List<Integer> a = nodes.subList(1, 3);
                List<Integer> b = nodes.subList(3, 5);
                LinkProxy.Mode mode = cutMode();
                cluster.partition(a, b, mode);
                return mode + " " + a + " | " + b + " bridged by " + bridge;
            }
            case FLAP -> {
                long periodMs = 200 + random.nextInt(500);
                long flapSeed = random.nextLong();
                flapping = scheduler.scheduleAtFixedRate(flapper(new Random(flapSeed)), 0, periodMs,
                        TimeUnit.MILLISECONDS);
                return "random two-way splits toggled every " + periodMs + " ms";
            }
            case SLOW -> {
                long delayMs = 20 + random.nextInt(400);
                int linksSlowed = 0;
                boolean all = random.nextBoolean();
                for (LinkProxy link : cluster.links()) {
                    if (all || random.nextBoolean()) {
                        cluster.delay(link, delayMs);
                        linksSlowed++;
                    }
                }
                return "delay " + delayMs + " ms on " + linksSlowed + " links";
            }
            case LOSSY -> {
                int percent = 2 + random.nextInt(15);
                for (LinkProxy link : cluster.links()) {
                    cluster.lossy(link, percent);
                }
                return percent + "% of chunks reset their connection, on every link";
            }
        }
        throw new IllegalStateException("unhandled fault " + fault);
    }

    private Runnable flapper(Random flapRandom) {
        return () -> {
            for (LinkProxy link : cluster.links()) {
                cluster.heal(link);
            }
            if (flapRandom.nextBoolean()) {
                List<Integer> nodes = new ArrayList<>(cluster.ids());
                Collections.shuffle(nodes, flapRandom);
                int minority = 1 + flapRandom.nextInt(cluster.size / 2);
                cluster.partition(nodes.subList(0, minority), nodes.subList(minority, nodes.size()),
                        flapRandom.nextBoolean() ? LinkProxy.Mode.CUT : LinkProxy.Mode.STALL);
            }
        };
    }

    private void note(String line) {
        String stamped = String.format("[nemesis %6.1fs] %s", (System.nanoTime() - startNanos) / 1e9, line);
        schedule.add(stamped);
        log.accept(stamped);
    }
}
