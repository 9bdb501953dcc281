package io.rafty.sim;

import io.rafty.kv.KvEntry;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RaftNode;
import io.rafty.raft.Role;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.storage.ImageRecord;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * One deterministic run: a cluster of {@link SimHost}s, a simulated network, a nemesis injecting
 * faults, and {@link SimClient}s, all driven by one single-threaded discrete-event loop over
 * simulated time. Everything random is drawn from generators split off the seed in a fixed order,
 * events run in (time, sequence) order, and no unordered collection is iterated, so a seed always
 * yields the same trace.
 *
 * <p>A run has two phases. In the chaos phase the nemesis partitions, crashes, restarts and
 * pauses nodes, and in half the worlds a {@link MembershipNemesis} adds, promotes and removes
 * members and transfers leadership, until the event budget is spent. Then the world heals: every
 * link works, every node is up (but those retired after leaving the configuration), nothing is
 * lost; a leader of the current configuration must emerge within
 * {@link SimParameters#livenessTicks()} ticks, every member of the final configuration must catch
 * up to everything ever committed, and the clients finish. Finally the client history goes through
 * the linearizability checker.
 */
final class Simulation {

    /** What one run found. {@code failure} is null when every check passed. */
    record Result(SimParameters parameters, long events, long fingerprint, String failure, List<String> traceTail,
                  int operations, MembershipNemesis.Counts membership, Faults faults, Watches watches) {
        long seed() {
            return parameters.seed();
        }

        boolean failed() {
            return failure != null;
        }
    }

    /**
     * What the watchers and history readers of one run did: watch sessions opened, changes received,
     * sessions that resumed after a last-seen revision, cancels for slowness and for compaction, reads at
     * a past revision, and whether any compaction committed.
     */
    record Watches(int sessions, long changes, int resumed, int slow, int compacted, int historyReads,
                   int compactedWorlds) {
        Watches plus(Watches other) {
            return new Watches(sessions + other.sessions, changes + other.changes, resumed + other.resumed,
                    slow + other.slow, compacted + other.compacted, historyReads + other.historyReads,
                    compactedWorlds + other.compactedWorlds);
        }
    }

    /** Disk losses of one run: nodes that restarted on empty storage, and how many in the lost-disk scenario. */
    record Faults(int disksLost, int scenarios) {
        Faults plus(Faults other) {
            return new Faults(disksLost + other.disksLost, scenarios + other.scenarios);
        }
    }

    private static final int TRACE_TAIL_LINES = 50;
    private static final double SLOW_MESSAGE_FACTOR = 20;
    private static final long SNAPSHOT_TIMEOUT_MICROS = 50_000;

    private static final class Event {
        final long time;
        final long sequence;
        final int node;
        final int incarnation;
        final Runnable action;

        Event(long time, long sequence, int node, int incarnation, Runnable action) {
            this.time = time;
            this.sequence = sequence;
            this.node = node;
            this.incarnation = incarnation;
            this.action = action;
        }
    }

    private final SimParameters parameters;
    private final SplittableRandom networkRandom;
    private final SplittableRandom nemesisRandom;
    private final SplittableRandom nodeRandom;
    private final SplittableRandom workerRandom;
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.time != b.time
            ? Long.compare(a.time, b.time) : Long.compare(a.sequence, b.sequence));
    private final SimHost[] hosts;
    private final List<List<Event>> held = new ArrayList<>();
    private final List<SimClient> clients = new ArrayList<>();
    private final List<SimWatcher> watchers = new ArrayList<>();
    private final List<SimHistoryReader> historyReaders = new ArrayList<>();
    /** The highest revision (log index) of a write any node has acknowledged to a client. */
    private long maxAckedRevision;
    private final Network network;
    private final Invariants invariants = new Invariants();
    private final List<SimLeaseClient> leaseClients = new ArrayList<>();
    private LeaseLedger leaseLedger;
    private final Trace trace = new Trace(TRACE_TAIL_LINES);
    private final ClientRecorder recorder;
    private final long[][] lastDelivery;

    private long now;
    private long sequence;
    private long events;
    private long attemptIds;
    private boolean chaos = true;
    private int leadersToKill;
    private int figure8Stage;
    private int figure8Isolated;
    private final Set<Integer> figure8Minority = new TreeSet<>();
    private double lossRate;
    private double duplicateRate;
    private double slowMessageRate;
    private final MembershipNemesis membershipNemesis;
    private int disksLost;
    private int lostDiskScenarios;
    /** The configuration the healed cluster must catch up, as its latest leader last saw it. */
    private Set<Integer> finalMembers = Set.of();

    Simulation(SimParameters parameters, ClientRecorder recorder) {
        this.parameters = parameters;
        this.recorder = recorder;
        SplittableRandom master = new SplittableRandom(parameters.seed());
        master.nextLong(); // the parameters were drawn from the same seed; start a fresh stream
        this.networkRandom = master.split();
        this.nemesisRandom = master.split();
        this.nodeRandom = master.split();
        SplittableRandom tickRandom = master.split();
        SplittableRandom clientRandom = master.split();
        this.workerRandom = master.split();
        SplittableRandom watchRandom = master.split();
        int size = parameters.nodeCount();
        this.network = new Network(size);
        this.lastDelivery = new long[size + 1][size + 1];
        this.lossRate = parameters.lossRate();
        this.duplicateRate = parameters.duplicateRate();
        this.slowMessageRate = parameters.slowMessageRate();
        // Spare nodes (ids above clusterSize) start empty with the cluster's initial configuration, in
        // which they are not members: they cannot campaign until a leader adds them.
        Set<Integer> ids = new TreeSet<>();
        for (int id = 1; id <= parameters.clusterSize(); id++) {
            ids.add(id);
        }
        Membership membership = Membership.ofVoters(ids);
        this.hosts = new SimHost[size + 1];
        held.add(List.of());
        for (int id = 1; id <= size; id++) {
            RaftConfig config = RaftConfig.builder(id)
                    .electionTimeoutTicks(parameters.electionTimeoutTicksMin(), parameters.electionTimeoutTicksMax())
                    .heartbeatIntervalTicks(parameters.heartbeatIntervalTicks())
                    .messageBytesMax(parameters.maxMessageBytes()).inflightMessagesMax(parameters.maxInflightMessages())
                    .uncommittedBytesMax(1L << 20).asyncStorageWrites(parameters.asyncStorageWrites())
                    .deliberateBugs(parameters.bugs()).build();
            double skew = parameters.tickSkew() == 0 ? 0 : tickRandom.nextDouble(-parameters.tickSkew(),
                    parameters.tickSkew());
            long tickMicros = Math.round(parameters.baseTickMicros() * (1 + skew));
            hosts[id] = new SimHost(id, this, config, membership, tickMicros, parameters);
            held.add(new ArrayList<>());
        }
        for (int id = 1; id <= parameters.clients(); id++) {
            clients.add(new SimClient(id, this, clientRandom.split(), parameters, false));
        }
        leaseLedger = new LeaseLedger(parameters.clockRateSkew());
        invariants.useLeaseLedger(leaseLedger, this::now);
        // Lease clients draw from a random of their own, so the clients above draw what they drew before.
        SplittableRandom leaseRandom = new SplittableRandom(parameters.seed() ^ 0x1ea5e);
        for (int i = 1; i <= parameters.leaseClients(); i++) {
            leaseClients.add(new SimLeaseClient(1000 + i, this, leaseRandom.split(), parameters, leaseLedger));
        }
        // Transaction clients come after the others, so the key clients draw what they drew before them.
        for (int id = parameters.clients() + 1; id <= parameters.clients() + parameters.txnClients(); id++) {
            clients.add(new SimClient(id, this, clientRandom.split(), parameters, true));
        }
        for (int id = 1; id <= parameters.watchers(); id++) {
            watchers.add(new SimWatcher(id, this, watchRandom.split(), parameters));
        }
        for (int id = 1; id <= parameters.historyReaders(); id++) {
            historyReaders.add(new SimHistoryReader(id, this, watchRandom.split()));
        }
        this.membershipNemesis = new MembershipNemesis(this, hosts, nemesisRandom);
    }

    // ----- the loop -------------------------------------------------------------------------

    Result run() {
        String failure = null;
        trace("params " + parameters.describe());
        try {
            for (int id = 1; id < hosts.length; id++) {
                startHost(hosts[id]);
            }
            for (SimClient client : clients) {
                client.scheduleNext();
            }
            leaseClients.forEach(SimLeaseClient::start);
            watchers.forEach(SimWatcher::start);
            historyReaders.forEach(SimHistoryReader::start);
            scheduleNemesis();
            while (events < parameters.chaosEvents() && !queue.isEmpty()) {
                step();
            }
            healedPhase();
            for (SimWatcher watcher : watchers) {
                watcher.check(invariants, invariants.maxCommitted());
            }
            for (SimHistoryReader reader : historyReaders) {
                reader.check(invariants);
            }
            String verdict = recorder.check();
            if (verdict != null) {
                failure = "history is not linearizable: " + verdict;
            }
        } catch (InvariantViolation e) {
            failure = "invariant violated: " + e.getMessage();
        } catch (RuntimeException | AssertionError e) {
            failure = "exception: " + e;
            trace("exception " + stackTop(e));
        }
        if (failure != null) {
            trace("FAILURE " + failure);
        }
        Watches watched = new Watches(0, 0, 0, 0, 0, 0, invariants.maxCompactRevision() > 0 ? 1 : 0);
        for (SimWatcher watcher : watchers) {
            watched = watched.plus(watcher.counts());
        }
        for (SimHistoryReader reader : historyReaders) {
            watched = watched.plus(new Watches(0, 0, 0, 0, 0, reader.readCount(), 0));
        }
        return new Result(parameters, events, trace.fingerprint(), failure, trace.tail(), recorder.operationCount(),
                membershipNemesis.counts(), new Faults(disksLost, lostDiskScenarios), watched);
    }

    private static String stackTop(Throwable e) {
        StringBuilder out = new StringBuilder(e.toString());
        StackTraceElement[] stack = e.getStackTrace();
        for (int i = 0; i < Math.min(6, stack.length); i++) {
            out.append(" at ").append(stack[i]);
        }
        return out.toString();
    }

    private void step() {
        Event event = queue.poll();
        now = event.time;
        if (event.node > 0) {
            SimHost host = hosts[event.node];
            if (event.incarnation >= 0 && (!host.up || host.incarnation != event.incarnation)) {
                return;
            }
            if (host.up && host.paused) {
                held.get(event.node).add(event);
                return;
            }
        }
        events++;
        event.action.run();
        for (int id = 1; id < hosts.length; id++) {
            if (hosts[id].up) {
                invariants.checkNode(hosts[id]);
            }
        }
    }

    /** Runs events until {@code done} holds; fails with {@code what} if simulated time passes {@code deadline}. */
    private void runUntil(Supplier<Boolean> done, long deadline, Supplier<String> what) {
        while (!done.get()) {
            if (queue.isEmpty() || queue.peek().time > deadline) {
                throw new InvariantViolation(what.get());
            }
            step();
        }
    }

    private void healedPhase() {
        chaos = false;
        lossRate = 0;
        duplicateRate = 0;
        slowMessageRate = 0;
        network.heal();
        trace("heal: network healed, every node up but the retired ones, no loss");
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            if (!host.up && !host.retired) {
                startHost(host);
            } else if (host.paused) {
                resume(host);
            }
        }
        long healedAt = now;
        long slowestTick = 0;
        for (int id = 1; id < hosts.length; id++) {
            slowestTick = Math.max(slowestTick, hosts[id].tickMicros);
        }
        long livenessDeadline = now + parameters.livenessTicks() * slowestTick;
        runUntil(() -> stableLeader() != 0, livenessDeadline, () -> "liveness: no stable leader within "
                + parameters.livenessTicks() + " ticks after the network healed at " + healedAt + "us; "
                + roles());
        int leader = stableLeader();
        trace("heal: leader n" + leader + " elected " + (now - healedAt) + "us after healing, configuration "
                + hosts[leader].node.membership());
        // A node retired on the word of a leader that was already deposed may be back in the final
        // configuration: every member must be running to catch up.
        for (int id : hosts[leader].node.membership().all()) {
            if (hosts[id].retired) {
                hosts[id].retired = false;
                startHost(hosts[id]);
            }
        }
        long target = invariants.maxCommitted();
        // A far-behind follower may need many round trips (one entry per message, one persist each):
        // demand progress within every window rather than a fixed total time.
        long window = parameters.livenessTicks() * slowestTick;
        long progressMark = -1;
        while (!allCommitted(target)) {
            long lowest = lowestApplied();
            if (lowest == progressMark) {
                throw new InvariantViolation("after healing, nodes stopped catching up to index " + target
                        + " (the highest index ever committed) for " + window + "us: " + roles());
            }
            progressMark = lowest;
            long deadline = now + window;
            runUntil(() -> allCommitted(target) || lowestApplied() > lowest, deadline, () -> "after healing, nodes"
                    + " stopped catching up to index " + target + " (the highest index ever committed): " + roles());
        }
        for (SimClient client : clients) {
            client.stop();
        }
        leaseClients.forEach(SimLeaseClient::stop);
        long drainDeadline = now + 10 * parameters.clientTimeoutMicros();
        runUntil(() -> clients.stream().allMatch(SimClient::idle), drainDeadline,
                () -> "clients did not finish after healing");
        historyReaders.forEach(SimHistoryReader::stop);
        watchers.forEach(SimWatcher::stop);
        // Every open watch stream must be sent everything its node applied. A stream far behind reads its
        // backlog a page per round, so, as for the nodes above, demand progress within every window (a
        // few reconnect and page-read rounds) rather than a fixed total time.
        long watchWindow = 10 * parameters.clientTimeoutMicros();
        while (!watchers.stream().allMatch(SimWatcher::caughtUp)) {
            long positions = watchers.stream().mapToLong(SimWatcher::positions).sum();
            runUntil(() -> watchers.stream().allMatch(SimWatcher::caughtUp)
                    || watchers.stream().mapToLong(SimWatcher::positions).sum() > positions, now + watchWindow,
                    () -> "watch streams stopped catching up with their nodes after healing: no stream moved on for "
                            + watchWindow + "us");
        }
        trace("end: " + events + " events, " + recorder.operationCount() + " client operations, committed "
                + invariants.maxCommitted());
    }

    /**
     * The leader a majority of its own configuration's voters follows in its term, once it has
     * committed an entry of that term; else 0. A leader outside its own configuration (it removed
     * itself and waits for that to commit) does not count.
     */
    private int stableLeader() {
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            if (!host.up || host.node.role() != Role.LEADER) {
                continue;
            }
            long term = host.node.term();
            if (host.node.termAt(host.node.commitIndex()) != term) {
                continue;
            }
            Membership membership = host.node.membership();
            if (!membership.isVoter(id)) {
                continue;
            }
            int followers = 0;
            for (int other : membership.voters()) {
                SimHost peer = hosts[other];
                if (peer.up && peer.node.term() == term && peer.node.leaderId() == id) {
                    followers++;
                }
            }
            if (followers >= membership.quorum()) {
                return id;
            }
        }
        return 0;
    }

    /**
     * The members that must catch up after healing: the current leader's configuration. Nodes
     * removed from it no longer receive the log and are left out.
     */
    private Set<Integer> finalMembers() {
        int leader = currentLeader();
        if (leader != 0) {
            finalMembers = hosts[leader].node.membership().all();
        }
        return finalMembers;
    }

    private boolean allCommitted(long target) {
        for (int id : finalMembers()) {
            SimHost host = hosts[id];
            if (!host.up || host.node.commitIndex() < target || host.appliedIndex() < target) {
                return false;
            }
        }
        return true;
    }

    private long lowestApplied() {
        long lowest = Long.MAX_VALUE;
        for (int id : finalMembers()) {
            SimHost host = hosts[id];
            lowest = Math.min(lowest, host.up ? Math.min(host.node.commitIndex(), host.appliedIndex()) : -1);
        }
        return lowest;
    }

    private String roles() {
        StringBuilder out = new StringBuilder();
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            out.append(" n").append(id);
            if (!host.up) {
                out.append("=down");
            } else {
                out.append('=').append(host.node.role()).append(" t").append(host.node.term())
                        .append(" leader=").append(host.node.leaderId()).append(" commit=")
                        .append(host.node.commitIndex()).append(" last=").append(host.node.lastIndex())
                        .append(host.paused ? " paused" : "");
            }
        }
        return out.toString().trim();
    }

    // ----- scheduling -----------------------------------------------------------------------

    private void schedule(long delayMicros, int node, int incarnation, Runnable action) {
        queue.add(new Event(now + delayMicros, sequence++, node, incarnation, action));
    }

    void scheduleClient(long delayMicros, Runnable action) {
        schedule(delayMicros, 0, -1, action);
    }

    /** Runs {@code action} on {@code host} after {@code delayMicros}, unless it crashed meanwhile (held while paused). */
    void scheduleOn(SimHost host, long delayMicros, Runnable action) {
        schedule(delayMicros, host.id, host.incarnation, action);
    }

    /** The draws of worker task durations. */
    SplittableRandom workerRandom() {
        return workerRandom;
    }

    private void scheduleTick(SimHost host) {
        schedule(host.tickMicros, host.id, host.incarnation, () -> {
            trace("n" + host.id + " tick");
            host.tick();
            scheduleTick(host);
        });
    }

    void startHost(SimHost host) {
        host.start(nodeRandom.split());
        held.get(host.id).clear();
        // A random first tick phase, so nodes with equal tick rates do not tick in lockstep.
        schedule(nodeRandom.nextLong(1, host.tickMicros + 1), host.id, host.incarnation, () -> {
            host.tick();
            scheduleTick(host);
        });
    }

    long now() {
        return now;
    }

    /** A client learned that the write at {@code revision} took effect. */
    void acknowledged(long revision) {
        maxAckedRevision = Math.max(maxAckedRevision, revision);
    }

    long maxAckedRevision() {
        return maxAckedRevision;
    }

    /** A random node that is up, or null when none is. */
    SimHost randomUpHost(SplittableRandom random) {
        List<SimHost> up = new ArrayList<>();
        for (int id = 1; id < hosts.length; id++) {
            if (hosts[id].up) {
                up.add(hosts[id]);
            }
        }
        return up.isEmpty() ? null : up.get(random.nextInt(up.size()));
    }

    long nextAttemptId() {
        return ++attemptIds;
    }

    ClientRecorder recorder() {
        return recorder;
    }

    Invariants invariants() {
        return invariants;
    }

    void trace(String line) {
        trace.line(now, line);
    }

    // ----- the network ----------------------------------------------------------------------

    private long messageDelay() {
        double exponential = -Math.log(1 - networkRandom.nextDouble());
        long delay = parameters.messageDelayMinMicros()
                + Math.round(exponential * (parameters.messageDelayMeanMicros() - parameters.messageDelayMinMicros()));
        if (slowMessageRate > 0 && networkRandom.nextDouble() < slowMessageRate) {
            delay = Math.round(delay * SLOW_MESSAGE_FACTOR);
        }
        return delay;
    }

    /** A peer message leaves its node now, stamped with its identity; it may be cut, lost, duplicated, delayed or reordered. */
    void send(PeerIdentity sender, Message message) {
        int from = message.from();
        int to = message.to();
        if (!network.delivers(from, to)) {
            trace("cut " + describe(message));
            return;
        }
        if (lossRate > 0 && networkRandom.nextDouble() < lossRate) {
            trace("lost " + describe(message));
            return;
        }
        deliverLater(sender, message);
        if (duplicateRate > 0 && networkRandom.nextDouble() < duplicateRate) {
            deliverLater(sender, message);
        }
    }

    private void deliverLater(PeerIdentity sender, Message message) {
        int from = message.from();
        int to = message.to();
        long at = now + messageDelay();
        if (!parameters.reorder()) {
            at = Math.max(at, lastDelivery[from][to]);
            lastDelivery[from][to] = at;
        }
        schedule(at - now, to, -1, () -> {
            SimHost host = hosts[to];
            if (!host.up) {
                trace("undeliverable (n" + to + " down) " + describe(message));
            } else if (!network.delivers(from, to)) {
                trace("cut in flight " + describe(message));
            } else {
                trace("deliver " + describe(message));
                host.receive(sender, message);
                if (message instanceof AppendResponse response && response.success()) {
                    onAppendAcknowledged(host, response);
                }
            }
        });
    }

    /**
     * A snapshot travels as one transfer: cut or lost like any message, and slower. The sender learns
     * the outcome one delay after delivery, or after a timeout when it was lost or refused (the
     * receiver's staging area holds another snapshot). Where the network duplicates, the last chunk is
     * sometimes delivered twice, as a sender that lost the first acknowledgement re-sends it.
     */
    void sendSnapshot(SimHost sender, PeerIdentity identity, InstallSnapshot message, List<ImageRecord> image) {
        int from = message.from();
        int to = message.to();
        int incarnation = sender.incarnation;
        boolean lost = !network.delivers(from, to) || (lossRate > 0 && networkRandom.nextDouble() < lossRate);
        boolean resent = duplicateRate > 0 && networkRandom.nextDouble() < 0.25;
        long transfer = 3 * messageDelay();
        trace("snapshot " + from + "->" + to + " t" + message.term() + " through " + message.snapshotIndex() + "@"
                + message.snapshotTerm() + " (" + image.size() + " keys)" + (lost ? " lost" : ""));
        if (lost) {
            schedule(transfer + SNAPSHOT_TIMEOUT_MICROS, from, -1, () -> reportSnapshot(sender, incarnation, to,
                    false, message.snapshotIndex()));
            return;
        }
        schedule(transfer, to, -1, () -> {
            SimHost host = hosts[to];
            boolean accepted = false;
            if (host.up && network.delivers(from, to)) {
                trace("deliver snapshot " + from + "->" + to + " through " + message.snapshotIndex());
                accepted = host.receiveSnapshot(identity, message, image);
                if (accepted && resent) {
                    int receiver = host.incarnation;
                    schedule(messageDelay(), to, -1, () -> {
                        if (host.up && host.incarnation == receiver) {
                            trace("deliver re-sent last snapshot chunk " + from + "->" + to);
                            host.receiveSnapshot(identity, message, image);
                        }
                    });
                }
            }
            boolean delivered = accepted;
            schedule(delivered ? messageDelay() : SNAPSHOT_TIMEOUT_MICROS, from, -1,
                    () -> reportSnapshot(sender, incarnation, to, delivered, message.snapshotIndex()));
        });
    }

    private void reportSnapshot(SimHost sender, int incarnation, int to, boolean delivered, long index) {
        if (sender.up && sender.incarnation == incarnation) {
            trace("n" + sender.id + " snapshot to n" + to + (delivered ? " delivered" : " failed"));
            sender.snapshotTransferred(to, delivered, index);
        }
    }

    /** A client request travels to a node; clients are never partitioned from nodes. */
    void sendToNode(int node, ClientRequest request) {
        if (lossRate > 0 && networkRandom.nextDouble() < lossRate / 2) {
            trace("lost request c" + request.clientId() + "->n" + node + " " + request.command());
            return;
        }
        schedule(messageDelay(), node, -1, () -> {
            SimHost host = hosts[node];
            if (!host.up) {
                trace("request to down n" + node + " dropped");
                return;
            }
            trace("n" + node + " request a" + request.attemptId() + " " + request.command() + " from c"
                    + request.clientId());
            host.receive(request);
        });
    }

    /** A lease client's request travels to a node, as a client's does. */
    void sendLease(int node, LeaseRequest request) {
        if (lossRate > 0 && networkRandom.nextDouble() < lossRate / 2) {
            trace("lost lease request c" + request.clientId() + "->n" + node + " " + request);
            return;
        }
        schedule(messageDelay(), node, -1, () -> {
            SimHost host = hosts[node];
            if (host.up) {
                trace("n" + node + " lease request a" + request.attemptId() + " " + request + " from c"
                        + request.clientId());
                host.receiveLease(request);
            }
        });
    }

    void replyLease(SimHost host, LeaseRequest request, ClientReply.Status status, int leaderHint, long value,
                    boolean flag) {
        trace("n" + host.id + " lease reply a" + request.attemptId() + " " + status + " " + value + " " + flag);
        if (lossRate > 0 && networkRandom.nextDouble() < lossRate / 2) {
            return;
        }
        SimLeaseClient client = leaseClients.get(request.clientId() - 1001);
        schedule(messageDelay(), 0, -1, () -> client.onReply(request.attemptId(), status, leaderHint, value, flag));
    }

    void reply(SimHost host, ClientRequest request, ClientReply.Status status, int leaderHint, KvAnswer answer) {
        trace("n" + host.id + " reply a" + request.attemptId() + " " + status
                + (status == ClientReply.Status.OK ? " " + answer : " hint=" + leaderHint));
        if (lossRate > 0 && networkRandom.nextDouble() < lossRate / 2) {
            trace("lost reply a" + request.attemptId());
            return;
        }
        ClientReply reply = new ClientReply(request.attemptId(), status, leaderHint, answer);
        SimClient client = clients.get(request.clientId() - 1);
        schedule(messageDelay(), 0, -1, () -> client.onReply(reply));
    }

    static String describe(Message message) {
        String route = message.from() + "->" + message.to() + " t" + message.term();
        if (message instanceof AppendEntries m) {
            return "app " + route + " prev=" + m.prevLogIndex() + "@" + m.prevLogTerm() + " n=" + m.entries().size()
                    + " commit=" + m.leaderCommit();
        } else if (message instanceof AppendResponse m) {
            return "app-resp " + route + (m.success() ? " ok " : " reject ") + m.index()
                    + (m.success() ? "" : " hint=" + m.conflictIndex() + "@" + m.conflictTerm());
        } else if (message instanceof Heartbeat m) {
            return "hb " + route + " commit=" + m.commit() + " ctx=" + m.readContext();
        } else if (message instanceof HeartbeatResponse m) {
            return "hb-resp " + route + " ctx=" + m.readContext() + " last=" + m.lastIndex();
        } else if (message instanceof RequestVote m) {
            return (m.preVote() ? "prevote " : "vote ") + route + " last=" + m.lastLogIndex() + "@" + m.lastLogTerm();
        } else if (message instanceof InstallSnapshot m) {
            return "install-snapshot " + route + " through " + m.snapshotIndex() + "@" + m.snapshotTerm();
        } else if (message instanceof VoteResponse m) {
            return (m.preVote() ? "prevote-resp " : "vote-resp ") + route + (m.granted() ? " granted" : " rejected");
        }
        return message.toString();
    }

    // ----- the nemesis ----------------------------------------------------------------------

    private long exponential(long mean) {
        return 1 + Math.round(-Math.log(1 - nemesisRandom.nextDouble()) * mean);
    }

    private void scheduleNemesis() {
        schedule(exponential(parameters.nemesisIntervalMeanMicros()), 0, -1, () -> {
            if (chaos) {
                nemesis();
                scheduleNemesis();
            }
        });
    }

    private void nemesis() {
        int partition = parameters.partitionWeight();
        int crash = parameters.crashWeight();
        int pause = parameters.pauseWeight();
        int heal = parameters.healWeight();
        int killer = parameters.leaderKillerWeight();
        int figure8 = parameters.figure8Weight();
        int membership = parameters.membershipWeight();
        int diskLoss = parameters.diskLossWeight();
        if (membership > 0 && nemesisRandom.nextInt(3) == 0) {
            membershipNemesis.retireRemovedNodes();
        }
        int dice = nemesisRandom.nextInt(partition + crash + pause + heal + killer + figure8 + diskLoss + membership);
        if (dice >= partition + crash + pause + heal + killer + figure8 + diskLoss) {
            membershipNemesis.act();
            return;
        }
        if (dice >= partition + crash + pause + heal + killer + figure8) {
            loseSomeDisk();
            return;
        }
        if (figure8Stage != 0 && (dice < partition || dice >= partition + crash + pause)) {
            // The network belongs to the running Figure 8 script; crashes and pauses still happen.
            return;
        }
        if (dice >= partition + crash + pause + heal + killer) {
            startFigure8();
        } else if (dice >= partition + crash + pause + heal) {
            armLeaderKiller();
        } else if (dice < partition) {
            partition();
        } else if (dice < partition + crash) {
            crashSomeNode();
        } else if (dice < partition + crash + pause) {
            pauseSomeNode();
        } else {
            network.heal();
            trace("nemesis heal");
        }
    }

    private int leaderOrRandom() {
        int best = 0;
        long bestTerm = -1;
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            if (host.up && host.node.role() == Role.LEADER && host.node.term() > bestTerm) {
                best = id;
                bestTerm = host.node.term();
            }
        }
        return best != 0 && nemesisRandom.nextInt(4) != 0 ? best : 1 + nemesisRandom.nextInt(hosts.length - 1);
    }

    private Set<Integer> randomMinority() {
        int size = parameters.nodeCount();
        int count = 1 + nemesisRandom.nextInt((size - 1) / 2);
        Set<Integer> side = new TreeSet<>();
        side.add(leaderOrRandom());
        while (side.size() < count) {
            side.add(1 + nemesisRandom.nextInt(size));
        }
        return side;
    }

    private Set<Integer> allExcept(Set<Integer> side) {
        Set<Integer> rest = new TreeSet<>();
        for (int id = 1; id < hosts.length; id++) {
            if (!side.contains(id)) {
                rest.add(id);
            }
        }
        return rest;
    }

    private void partition() {
        switch (nemesisRandom.nextInt(5)) {
            case 0 -> {
                Set<Integer> side = new TreeSet<>();
                for (int id = 1; id < hosts.length; id++) {
                    if (nemesisRandom.nextBoolean()) {
                        side.add(id);
                    }
                }
                network.split(side);
            }
            case 1 -> network.split(randomMinority());
            case 2 -> network.split(Set.of(leaderOrRandom()));
            case 3 -> {
                Set<Integer> one = Set.of(leaderOrRandom());
                if (nemesisRandom.nextBoolean()) {
                    network.oneWay(one, allExcept(one));
                } else {
                    network.oneWay(allExcept(one), one);
                }
            }
            default -> {
                int flips = 2 + nemesisRandom.nextInt(8);
                long gap = 5_000 + nemesisRandom.nextLong(40_000);
                trace("nemesis flapping x" + flips + " every " + gap + "us");
                for (int i = 1; i <= flips; i++) {
                    boolean cut = i % 2 == 1;
                    schedule(gap * i, 0, -1, () -> {
                        if (!chaos) {
                            return;
                        }
                        if (cut) {
                            network.split(randomMinority());
                        } else {
                            network.heal();
                        }
                        trace("nemesis flap " + network);
                    });
                }
                return;
            }
        }
        trace("nemesis partition " + network);
    }

    /**
     * Arms the leader killer: each of the next few nodes to become leader is crashed a moment
     * after its election, often before its no-op reaches a majority. Quick leader changes with
     * partial replication are the schedules of Raft's Figure 8.
     */
    private void armLeaderKiller() {
        leadersToKill = 1 + nemesisRandom.nextInt(5);
        trace("nemesis will crash the next " + leadersToKill + " new leaders");
    }

    /**
     * Starts a Figure 8 script (Raft paper §5.4.2): leader changes with partial replication.
     * <ol>
     *   <li>The leader A (with one companion in a five-node cluster) is cut off; clients that still
     *       believe in A keep appending entries there that the majority never sees.</li>
     *   <li>The moment the majority elects C, C is isolated too: its new-term entries stay on C.</li>
     *   <li>A rejoins; when the next leader L receives an acknowledgement that covers only part of its
     *       log (an older term's entries may now be on a majority, its own no-op not yet), L is
     *       isolated and C rejoins. C's log ends in a newer term than the older entries L just
     *       spread, so C can win and overwrite them: safe only if L did not count them as committed.</li>
     * </ol>
     */
    private void startFigure8() {
        int leader = currentLeader();
        if (figure8Stage != 0 || leader == 0) {
            return;
        }
        figure8Minority.clear();
        figure8Minority.add(leader);
        if (parameters.clusterSize() == 5) {
            int companion = leader;
            while (companion == leader) {
                companion = 1 + nemesisRandom.nextInt(parameters.nodeCount());
            }
            figure8Minority.add(companion);
        }
        network.split(figure8Minority);
        figure8Stage = 1;
        trace("nemesis figure8 stage 1: " + network);
        long script = nemesisRandom.nextLong(30, 120) * parameters.baseTickMicros();
        schedule(script, 0, -1, () -> {
            if (figure8Stage != 0) {
                figure8Stage = 0;
                if (chaos) {
                    network.heal();
                }
                trace("nemesis figure8 over: " + network);
            }
        });
    }

    /** The up node that leads the highest term, or 0. */
    int currentLeader() {
        int best = 0;
        long bestTerm = -1;
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            if (host.up && host.node.role() == Role.LEADER && host.node.term() > bestTerm) {
                best = id;
                bestTerm = host.node.term();
            }
        }
        return best;
    }

    /** Called after a leader processed a successful append acknowledgement. */
    private void onAppendAcknowledged(SimHost leader, AppendResponse response) {
        if (figure8Stage == 2 && chaos && leader.up && leader.node.role() == Role.LEADER
                && leader.id != figure8Isolated && response.index() < leader.node.lastIndex()) {
            network.isolate(Set.of(leader.id));
            figure8Stage = 3;
            trace("nemesis figure8 stage 3: partial ack " + response.index() + " < " + leader.node.lastIndex()
                    + "; " + network);
        }
    }

    /** Called by a host whose Ready reports that it became leader. */
    void onBecameLeader(SimHost host) {
        if (figure8Stage == 1 && chaos && !figure8Minority.contains(host.id)) {
            figure8Isolated = host.id;
            network.isolate(Set.of(host.id));
            figure8Stage = 2;
            trace("nemesis figure8 stage 2: " + network);
        }
        if (!chaos || leadersToKill == 0) {
            return;
        }
        leadersToKill--;
        int incarnation = host.incarnation;
        schedule(nemesisRandom.nextLong(0, parameters.leaderKillerDelayMaxMicros()), 0, -1, () -> {
            if (chaos && host.up && host.incarnation == incarnation) {
                crash(host);
            }
        });
    }

    private void crashSomeNode() {
        crash(hosts[leaderOrRandom()]);
    }

    private void crash(SimHost host) {
        if (!host.up) {
            return;
        }
        boolean loseStateMachine = nemesisRandom.nextInt(4) == 0 && host.canLoseStateMachine();
        host.crash(loseStateMachine);
        held.get(host.id).clear();
        // Applies after the last sync are lost with the process: the applied index may go back.
        invariants.forgetApplied(host.id);
        long downtime = 1_000 + nemesisRandom.nextLong(parameters.downtimeMaxMicros());
        schedule(downtime, 0, -1, () -> {
            if (!host.up && !host.retired) {
                startHost(host);
            }
        });
    }

    /**
     * A node loses its disk: it stops, and comes back on empty storage with a new storage id. Half the
     * time it is the plain fault; the other half the scenario of issue 12, which is what makes a wiped
     * node dangerous: a follower B is cut off and misses writes, the follower C loses its disk and
     * restarts, then the leader A (the only other holder of those writes) crashes. A node that votes
     * with its empty log would elect B without them.
     *
     * <p>At most a minority of the voters is ever amnesiac (lost its disk and not yet told by a leader
     * that it caught up): a majority losing its data loses data whatever the protocol. And disks are
     * lost only once every voter holds the configuration that binds members to their storage: before
     * that, a wiped node cannot be told apart from the member it was (see the README, "Lost storage").
     */
    private void loseSomeDisk() {
        int leader = currentLeader();
        Membership config = leader == 0 ? null : hosts[leader].node.membership();
        if (config == null || !mayLoseAnotherDisk()) {
            return;
        }
        List<Integer> voters = new ArrayList<>(config.voters());
        voters.remove(Integer.valueOf(leader));
        if (voters.size() < 2 || nemesisRandom.nextBoolean() || figure8Stage != 0) {
            int victim = 1 + nemesisRandom.nextInt(hosts.length - 1);
            if (hosts[victim].up) {
                loseDisk(hosts[victim]);
            }
            return;
        }
        lostDiskScenarios++;
        int behind = voters.remove(nemesisRandom.nextInt(voters.size()));
        int wiped = voters.get(nemesisRandom.nextInt(voters.size()));
        SimHost leaderHost = hosts[leader];
        int leaderIncarnation = leaderHost.incarnation;
        network.split(Set.of(behind));
        trace("nemesis lost-disk scenario: n" + behind + " cut off, then n" + wiped + " loses its disk, then leader n"
                + leader + " crashes");
        long gap = 5_000 + nemesisRandom.nextLong(50_000);
        schedule(gap, 0, -1, () -> {
            if (chaos && hosts[wiped].up && mayLoseAnotherDisk()) {
                loseDisk(hosts[wiped]);
            }
        });
        schedule(2 * gap, 0, -1, () -> {
            if (chaos) {
                network.heal();
                trace("nemesis lost-disk scenario: n" + behind + " rejoins");
                if (leaderHost.up && leaderHost.incarnation == leaderIncarnation) {
                    crash(leaderHost);
                }
            }
        });
    }

    /**
     * Whether one more disk may be lost now: after it, the nodes that forgot their disk must still be a
     * minority of every configuration in play (the current leader's latest and committed ones, and the
     * latest one in any running node's log), and every voter must hold the configuration that binds
     * the members to their storage (the founding binding, see {@link Membership}): before that, a wiped
     * node cannot be told apart from the member it was.
     */
    private boolean mayLoseAnotherDisk() {
        int leader = currentLeader();
        if (leader == 0) {
            return false;
        }
        RaftNode node = hosts[leader].node;
        List<Membership> configs = new ArrayList<>(List.of(node.membership(), node.membershipAt(node.commitIndex())));
        int amnesiac = 0;
        for (int id = 1; id < hosts.length; id++) {
            SimHost host = hosts[id];
            if (host.amnesiac()) {
                amnesiac++;
            }
            if (host.up) {
                configs.add(host.node.membership());
            }
        }
        for (Membership config : configs) {
            for (int voter : config.voters()) {
                if (!hosts[voter].up || !hosts[voter].node.membership().bindsStorage()) {
                    return false;
                }
            }
            if (amnesiac + 1 > (config.voters().size() - 1) / 2) {
                return false;
            }
        }
        return true;
    }

    private void loseDisk(SimHost host) {
        disksLost++;
        host.crashLosingDisk();
        held.get(host.id).clear();
        invariants.forgetApplied(host.id);
        long downtime = 1_000 + nemesisRandom.nextLong(parameters.downtimeMaxMicros());
        schedule(downtime, 0, -1, () -> {
            if (!host.up && !host.retired) {
                startHost(host);
            }
        });
    }

    /** Stops a node for good: it left the configuration (it keeps its disk in case it is added back). */
    void retire(SimHost host) {
        host.crash(false);
        held.get(host.id).clear();
        invariants.forgetApplied(host.id);
        host.retired = true;
    }

    private void pauseSomeNode() {
        SimHost host = hosts[leaderOrRandom()];
        if (!host.up || host.paused) {
            return;
        }
        if (nemesisRandom.nextBoolean()) {
            // A slow disk instead: the node runs, but every write, apply and install crawls, so its
            // workers' tasks overlap in ways a fast disk rarely shows.
            host.slowDiskUntil = now + 1_000 + nemesisRandom.nextLong(parameters.downtimeMaxMicros());
            trace("n" + host.id + " disk slow until " + host.slowDiskUntil + "us");
            return;
        }
        host.paused = true;
        int incarnation = host.incarnation;
        trace("n" + host.id + " paused");
        schedule(1_000 + nemesisRandom.nextLong(parameters.downtimeMaxMicros() / 2), 0, -1, () -> {
            if (host.up && host.paused && host.incarnation == incarnation) {
                resume(host);
            }
        });
    }

    private void resume(SimHost host) {
        host.paused = false;
        trace("n" + host.id + " resumed with " + held.get(host.id).size() + " held events");
        for (Event event : held.get(host.id)) {
            schedule(0, event.node, event.incarnation, event.action);
        }
        held.get(host.id).clear();
    }
}
