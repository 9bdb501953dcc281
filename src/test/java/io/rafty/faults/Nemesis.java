package io.rafty.faults;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Breaks the cluster on a schedule drawn from one seed: a fault, held for a random short time, then
 * healed, then a quiet gap, until the deadline. Each fault is printed with its time offset, so a
 * failing run can be read next to the node logs. The choices are reproducible from the seed; what the
 * cluster does in between (who leads when) is not, because real processes keep real time.
 */
final class Nemesis {

    enum Fault {
        KILL, KILL_LEADER, PAUSE, PAUSE_LEADER, ISOLATE_LEADER, SPLIT, ONE_WAY_LEADER_MUTE, ONE_WAY_LEADER_DEAF,
        BRIDGE, FLAP, SLOW, LOSSY
    }

    private final FaultCluster cluster;
    private final Random random;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "nemesis");
        thread.setDaemon(true);
        return thread;
    });
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private long startNanos;
    private final Map<Fault, Integer> counts = new TreeMap<>();
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private long deadlineNanos;
    private volatile ScheduledFuture<?> flapping;

    Nemesis(FaultCluster cluster, long seed) {
        this.cluster = cluster;
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

    List<String> log() {
        synchronized (log) {
            return List.copyOf(log);
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
            long holdMs = Math.min(remainingMs - 500, 1000 + random.nextInt(4000));
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
            scheduler.schedule(this::nextFault, 500 + random.nextInt(1500), TimeUnit.MILLISECONDS);
        } catch (Throwable e) {
            done.completeExceptionally(e);
        }
    }

    private Fault pick() {
        List<Fault> faults = new ArrayList<>(List.of(Fault.values()));
        if (cluster.size < 5) {
            faults.remove(Fault.BRIDGE);
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
                    cluster.node(id).kill();
                }
                return "SIGKILL " + victims;
            }
            case PAUSE, PAUSE_LEADER -> {
                int victim = fault == Fault.PAUSE_LEADER ? leaderOrRandom() : randomNode();
                cluster.node(victim).pause();
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
                            cluster.link(leader, other).setMode(mode);
                        } else {
                            cluster.link(other, leader).setMode(mode);
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
                        link.setDelayMs(delayMs);
                        linksSlowed++;
                    }
                }
                return "delay " + delayMs + " ms on " + linksSlowed + " links";
            }
            case LOSSY -> {
                int percent = 2 + random.nextInt(15);
                for (LinkProxy link : cluster.links()) {
                    link.setLossPercent(percent);
                }
                return percent + "% of chunks reset their connection, on every link";
            }
        }
        throw new IllegalStateException("unhandled fault " + fault);
    }

    private Runnable flapper(Random flapRandom) {
        return () -> {
            for (LinkProxy link : cluster.links()) {
                link.heal();
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
        log.add(stamped);
        System.out.println(stamped);
    }
}
