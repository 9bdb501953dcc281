package io.rafty.raft;

import io.rafty.raft.message.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * Several {@link RaftNode}s joined by an in-memory message router that the test drives: no threads,
 * no sleeps, no wall clock. Persistence is instant and durable (a list per node), so a node can be
 * "restarted" from exactly what it persisted.
 */
final class LocalCluster {

    /** What one node has durably persisted. */
    static final class Disk {
        HardState hardState = HardState.INITIAL;
        long logStartIndex;
        long logStartTerm;
        final List<Entry> log = new ArrayList<>();
        /** The state machine: every applied entry, in order (a snapshot is a copy of a prefix). */
        final List<Entry> applied = new ArrayList<>();
        /** A snapshot received from a leader, waiting for the node to decide to install it. */
        List<Entry> staged;
        /** The configuration at the log start, once a compaction or snapshot moved it. */
        Membership base;

        void save(Ready ready) {
            if (ready.snapshot() != null) {
                applied.clear();
                applied.addAll(staged);
                log.clear();
                base = ready.snapshot().membership();
                logStartIndex = ready.snapshot().index();
                logStartTerm = ready.snapshot().term();
            }
            staged = null;
            if (!ready.entries().isEmpty()) {
                long first = ready.entries().get(0).index();
                while (logStartIndex + log.size() >= first) {
                    log.remove(log.size() - 1);
                }
                log.addAll(ready.entries());
            }
            if (ready.hardState() != null) {
                hardState = ready.hardState();
            }
        }
    }

    final Membership membership;
    final Map<Integer, RaftNode> nodes = new TreeMap<>();
    final Map<Integer, Disk> disks = new HashMap<>();
    final Map<Integer, List<ReadState>> reads = new HashMap<>();
    final Map<Integer, List<ForwardedProposal>> forwarded = new HashMap<>();
    final ArrayDeque<Message> network = new ArrayDeque<>();
    private final Set<Integer> isolated = new HashSet<>();
    private final Set<Integer> stopped = new HashSet<>();
    private final Random random;
    private final RaftConfig template;
    private Predicate<Message> dropFilter = m -> false;

    LocalCluster(int size, long seed) {
        this(size, seed, RaftConfig.defaults(1));
    }

    LocalCluster(int size, long seed, RaftConfig template) {
        Set<Integer> ids = new HashSet<>();
        for (int id = 1; id <= size; id++) {
            ids.add(id);
        }
        this.membership = Membership.ofVoters(ids);
        this.random = new Random(seed);
        this.template = template;
        for (int id : ids) {
            disks.put(id, new Disk());
            start(id);
        }
    }

    RaftNode node(int id) {
        return nodes.get(id);
    }

    private RaftConfig configFor(int id) {
        return new RaftConfig(id, template.electionTimeoutTicksMin(), template.electionTimeoutTicksMax(),
                template.heartbeatIntervalTicks(), template.messageBytesMax(), template.inflightMessagesMax(),
                template.uncommittedBytesMax(), template.preVote(), template.checkQuorum(),
                template.asyncStorageWrites(), template.deliberateBugs());
    }

    /** Starts a brand-new node that knows the cluster as {@code known} (as a joining node learns it). */
    void addNode(int id, Membership known) {
        Disk disk = new Disk();
        disks.put(id, disk);
        RecoveredState state = new RecoveredState(HardState.INITIAL, known, List.of(), 0);
        nodes.put(id, new RaftNode(configFor(id), state, new Random(random.nextLong())));
        reads.put(id, new ArrayList<>());
    }

    private void start(int id) {
        Disk disk = disks.get(id);
        long applied = disk.applied.isEmpty() ? 0 : disk.applied.get(disk.applied.size() - 1).index();
        RecoveredState state = new RecoveredState(disk.hardState, disk.base == null ? membership : disk.base,
                disk.logStartIndex, disk.logStartTerm, disk.log, applied);
        nodes.put(id, new RaftNode(configFor(id), state, new Random(random.nextLong())));
        reads.put(id, new ArrayList<>());
    }

    /** Stops a node: it loses all volatile state; its disk stays. */
    void stop(int id) {
        stopped.add(id);
    }

    void restart(int id) {
        stopped.remove(id);
        start(id);
    }

    void isolate(int id) {
        isolated.add(id);
    }

    void heal() {
        isolated.clear();
        dropFilter = m -> false;
    }

    void dropWhere(Predicate<Message> filter) {
        dropFilter = filter;
    }

    /** One tick on every running node, then everything that follows from it, until quiet. */
    void tick() {
        for (int id : nodes.keySet()) {
            if (!stopped.contains(id)) {
                nodes.get(id).tick();
            }
        }
        settle();
    }

    void ticks(int count) {
        for (int i = 0; i < count; i++) {
            tick();
        }
    }

    /** Processes every Ready and delivers every message until no node has anything left to do. */
    void settle() {
        for (int round = 0; round < 100_000; round++) {
            boolean progressed = false;
            for (Map.Entry<Integer, RaftNode> e : nodes.entrySet()) {
                int id = e.getKey();
                RaftNode node = e.getValue();
                while (!stopped.contains(id) && node.hasReady()) {
                    Ready ready = node.ready();
                    network.addAll(ready.messages());
                    disks.get(id).save(ready);
                    network.addAll(ready.messagesAfterPersist());
                    disks.get(id).applied.addAll(ready.committedEntries());
                    reads.get(id).addAll(ready.readStates());
                    forwarded.computeIfAbsent(id, k -> new ArrayList<>()).addAll(ready.forwardedProposals());
                    node.advance(ready);
                    for (int peer : ready.peersNeedingSnapshot()) {
                        sendSnapshot(id, peer);
                    }
                    progressed = true;
                }
            }
            while (!network.isEmpty()) {
                Message message = network.poll();
                progressed = true;
                if (isolated.contains(message.from()) || isolated.contains(message.to())
                        || stopped.contains(message.to()) || dropFilter.test(message)) {
                    continue;
                }
                nodes.get(message.to()).step(message);
            }
            if (!progressed) {
                return;
            }
        }
        throw new AssertionError("cluster did not settle");
    }

    /** Compacts a node's log through {@code index}, as a host does after a snapshot. */
    void compact(int id, long index) {
        RaftNode node = nodes.get(id);
        node.compact(index);
        Disk disk = disks.get(id);
        disk.base = node.baseMembership();
        long newStart = node.logStartIndex();
        while (disk.logStartIndex < newStart) {
            Entry dropped = disk.log.remove(0);
            disk.logStartIndex = dropped.index();
            disk.logStartTerm = dropped.term();
        }
    }

    int snapshotsSent;
    int snapshotAttempts;
    /** How many of the next snapshot transfers fail on the way (the host reports them failed). */
    int snapshotFailuresToInject;

    /** Streams the leader's state machine to {@code peer} (instantly, unless the peer is cut off). */
    private void sendSnapshot(int leaderId, int peer) {
        RaftNode leader = nodes.get(leaderId);
        Disk source = disks.get(leaderId);
        long index = source.applied.isEmpty() ? 0 : source.applied.get(source.applied.size() - 1).index();
        snapshotAttempts++;
        boolean reachable = !isolated.contains(leaderId) && !isolated.contains(peer) && !stopped.contains(peer);
        if (snapshotFailuresToInject > 0) {
            snapshotFailuresToInject--;
            reachable = false;
        }
        if (reachable) {
            snapshotsSent++;
            disks.get(peer).staged = new ArrayList<>(source.applied);
            network.add(new io.rafty.raft.message.InstallSnapshot(leaderId, peer, leader.term(), index,
                    leader.termAt(index), leader.membershipAt(index)));
        }
        leader.reportSnapshot(peer, reachable, index);
    }

    /** Ticks until some node leads and every running, connected node agrees on it; returns its id. */
    int awaitLeader(int maxTicks) {
        for (int i = 0; i < maxTicks; i++) {
            int leader = agreedLeader();
            if (leader != 0) {
                return leader;
            }
            tick();
        }
        throw new AssertionError("no leader within " + maxTicks + " ticks");
    }

    private int agreedLeader() {
        int leader = 0;
        for (Map.Entry<Integer, RaftNode> e : nodes.entrySet()) {
            if (stopped.contains(e.getKey()) || isolated.contains(e.getKey())
                    || !e.getValue().membership().contains(e.getKey())) {
                continue;
            }
            int known = e.getValue().leaderId();
            if (known == 0 || (leader != 0 && known != leader)) {
                return 0;
            }
            leader = known;
        }
        if (leader == 0 || nodes.get(leader).role() != Role.LEADER) {
            return 0;
        }
        return leader;
    }

    List<Entry> applied(int id) {
        return disks.get(id).applied;
    }

    List<byte[]> appliedCommands(int id) {
        List<byte[]> out = new ArrayList<>();
        for (Entry entry : applied(id)) {
            if (entry.type() == EntryType.COMMAND) {
                out.add(entry.payload());
            }
        }
        return out;
    }
}
