package io.rafty.sim;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.Dedup;
import io.rafty.kv.Event;
import io.rafty.kv.ForwardingKvStore;
import io.rafty.kv.Key;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.kv.KvStore;
import io.rafty.kv.RecentWrites;
import io.rafty.node.NodeDriver;
import io.rafty.node.NodeStatus;
import io.rafty.node.Reply;
import io.rafty.node.RequestFailure;
import io.rafty.node.StorageTask;
import io.rafty.node.WatchHub;
import io.rafty.node.WatchRequest;
import io.rafty.raft.DeliberateBug;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RaftNode;
import io.rafty.raft.Ready;
import io.rafty.raft.RecoveredState;
import io.rafty.raft.Role;
import io.rafty.raft.SnapshotMeta;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.VoteResponse;
import io.rafty.storage.InMemoryKvStore;
import io.rafty.storage.SnapshotStaging;
import io.rafty.storage.InMemoryLogStore;
import io.rafty.storage.ImageRecord;
import io.rafty.storage.InMemorySnapshotStore;
import io.rafty.storage.SnapshotStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The simulated machine around one node: a disk, a state machine, four workers and a network card,
 * driven by the production {@link NodeDriver} — the same host policy {@code RaftVerticle} runs, so the
 * simulator tests the real thing, not a copy of it. This class is only plumbing, like the verticle:
 * it carries out the driver's effects in simulated time and reports them back.
 *
 * <p>Each worker runs its tasks one at a time, in order, each taking a random simulated time drawn
 * from the seed. A task's reads happen when it starts and its writes when it ends, as with RocksDB
 * (an apply reads the keys it changes before its write batch lands): two workers whose tasks overlap
 * can see each other's races. A crash loses every task in flight and whatever the disk had not
 * finished writing.
 */
final class SimHost implements NodeDriver.Host, NodeDriver.Listener {

    /** The driver's INFO lines (role changes, snapshots) would drown the sweep's output. */
    private static final Logger DRIVER_LOG = Logger.getLogger(NodeDriver.class.getName());

    static {
        // -Dsim.driverLog=true shows them, for replaying one seed.
        DRIVER_LOG.setLevel(Boolean.getBoolean("sim.driverLog") ? Level.FINE : Level.OFF);
    }

    /** One of the node's single-thread workers: a FIFO of tasks, each with a start and an end. */
    private final class Worker {
        private final String name;
        private final long delayMinMicros;
        private final long delayMaxMicros;
        private final ArrayDeque<Task> queue = new ArrayDeque<>();
        private boolean busy;

        Worker(String name, long delayMinMicros, long delayMaxMicros) {
            this.name = name;
            this.delayMinMicros = delayMinMicros;
            this.delayMaxMicros = delayMaxMicros;
        }

        void submit(Task task) {
            queue.add(task);
            startNext();
        }

        private void startNext() {
            if (busy || queue.isEmpty()) {
                return;
            }
            busy = true;
            Task task = queue.poll();
            long delay = sim.workerRandom().nextLong(delayMinMicros, delayMaxMicros + 1);
            if (sim.now() < slowDiskUntil) {
                delay *= SLOW_DISK_FACTOR;
            }
            task.start();
            sim.scheduleOn(SimHost.this, delay, () -> {
                busy = false;
                task.end();
                startNext();
            });
        }

        void clear() {
            queue.clear();
            busy = false;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A unit of worker time: what it reads when it starts, what it writes and reports when it ends. */
    private interface Task {
        void start();

        void end();
    }

    /** A snapshot arriving from a leader, staged as the production staging area holds one transfer. */
    private record Staged(SnapshotStaging.TransferId transfer, List<ImageRecord> image) {
        long index() {
            return transfer.index();
        }
    }

    final int id;
    private final Simulation sim;
    private final RaftConfig config;
    private final Membership membership;
    private final SimParameters parameters;
    final long tickMicros;
    /** How fast this node's clock runs against simulated time: within the world's clock-rate skew of 1. */
    private final double clockRate;

    // Durable: survives crashes (the disk survives unless the simulator throws it away).
    private InMemoryLogStore disk;
    private InMemoryKvStore kvStore;
    /**
     * What the disk durably holds of the state machine: its state at the last sync (a snapshot taken,
     * or one installed). Applies are written unsynced, as RocksDB's are, so a crash loses the rest.
     */
    private InMemoryKvStore syncedKv;
    private KvStateMachine stateMachine;
    private InMemorySnapshotStore snapshots;
    private long nextStorageId;

    // Volatile: lost on a crash.
    /** The state machine's cache of recent writes: one per process, across the state machines of its applies. */
    private RecentWrites recentWrites;
    NodeDriver driver;
    RaftNode node;
    boolean up;
    boolean paused;
    /** Stopped for good after leaving the configuration (its disk is kept, in case it is added back). */
    boolean retired;
    int incarnation;
    private Staged staged;
    private final Worker persistWorker;
    private final Worker stateMachineWorker;
    private final Worker snapshotWorker;
    private final Worker readWorker;
    /** Watch streams served by this incarnation; a crash ends them all. */
    private final List<SimWatcher.Session> sessions = new ArrayList<>();
    /** Lost its disk and has not yet been told by a leader that it caught up. */
    boolean lostDisk;
    /** Until then (simulated time) every worker task takes {@link #SLOW_DISK_FACTOR} times as long. */
    long slowDiskUntil;
    private static final int SLOW_DISK_FACTOR = 20;
    private static final long LEASE_CHECKPOINT_NANOS = 300_000_000L;

    /** Small, so a purge takes several steps between applies. */
    private static final int PURGE_BATCH_RECORDS = 3;

    // Invariant bookkeeping, per incarnation.
    long lastCommitSeen;
    long commitCheckedUpTo;

    SimHost(int id, Simulation sim, RaftConfig config, Membership membership, long tickMicros,
            SimParameters parameters) {
        this.id = id;
        this.sim = sim;
        this.config = config;
        this.membership = membership;
        this.tickMicros = tickMicros;
        this.parameters = parameters;
        // Spread over the skew deterministically by id: some nodes fast, some slow, one near exact.
        this.clockRate = 1 + parameters.clockRateSkew() * (((id * 7) % 5) / 2.0 - 1);
        this.nextStorageId = 1000L * id + 1;
        this.disk = new InMemoryLogStore(nextStorageId++);
        this.kvStore = new InMemoryKvStore(parameters.bugs());
        this.syncedKv = new InMemoryKvStore(parameters.bugs());
        this.recentWrites = RecentWrites.withDefaultBound();
        this.stateMachine = new KvStateMachine(kvStore, parameters.bugs(), recentWrites);
        this.snapshots = new InMemorySnapshotStore(disk, kvStore);
        this.persistWorker = new Worker("persist", parameters.persistDelayMinMicros(),
                parameters.persistDelayMaxMicros());
        this.stateMachineWorker = new Worker("state-machine", 1, parameters.applyDelayMaxMicros());
        this.snapshotWorker = new Worker("snapshot", 1, parameters.applyDelayMaxMicros());
        this.readWorker = new Worker("read", 1, parameters.applyDelayMaxMicros());
    }

    /** Boots from what the disk and state machine durably hold. */
    void start(SplittableRandom random) {
        RecoveredState state = NodeDriver.recover(disk, membership, stateMachine.appliedIndex());
        up = true;
        paused = false;
        incarnation++;
        staged = null;
        NodeDriver.Settings settings = new NodeDriver.Settings(10_000, 10_000,
                parameters.clientTimeoutMicros() * 1000, 64, parameters.applyQueueBytesMax(), 1L << 20,
                MembershipNemesis.PROMOTE_LAG_ENTRIES_MAX);
        NodeDriver.SnapshotSettings snapshotSettings = new NodeDriver.SnapshotSettings(parameters.snapshotEntries(), 0,
                parameters.snapshotLogTailEntries());
        NodeDriver.HistorySettings history = new NodeDriver.HistorySettings(parameters.historyRetentionRevisions(), 0,
                parameters.compactionIntervalMicros() * 1000, PURGE_BATCH_RECORDS,
                new WatchHub.Settings(50, parameters.watchQueueBytes(), parameters.watchPageEvents()));
        driver = new NodeDriver(config, state, stateMachine.compactRevision(), random, settings, snapshotSettings,
                history, this, this);
        // A checkpoint every 300 ms: shorter than every simulated TTL, so long leases and their checkpoints are
        // exercised.
        driver.useLeases(stateMachine, LEASE_CHECKPOINT_NANOS, tickMicros * 1000);
        node = driver.raft();
        lastCommitSeen = node.commitIndex();
        commitCheckedUpTo = 0;
        sim.trace("n" + id + " start term=" + node.term() + " commit=" + node.commitIndex() + " logStart="
                + node.logStartIndex() + " last=" + node.lastIndex() + " applied=" + stateMachine.appliedIndex()
                + " storage=" + disk.storageId());
    }

    /**
     * Stops the process: every task in flight on a worker is lost, and with it every unsynced write —
     * of the state machine, everything applied since its last sync, which the node replays from its
     * log. When {@code loseStateMachine}, even the synced state machine is gone and the node replays
     * its whole log (allowed only while the log still starts at 1).
     */
    void crash(boolean loseStateMachine) {
        sim.trace("n" + id + " crash" + (loseStateMachine ? " and state machine" : "") + ", state machine back to "
                + (loseStateMachine ? 0 : syncedKv.appliedIndex()) + " from " + kvStore.appliedIndex());
        stopProcess();
        kvStore = loseStateMachine ? new InMemoryKvStore(parameters.bugs()) : syncedKv.copy();
        // The process's memory is gone with it, the cache of recent writes too; with the deliberate bug the
        // cache is kept, as a state machine that survived its store would keep it.
        if (!parameters.bugs().contains(DeliberateBug.RECENT_WRITES_KEPT_ACROSS_INSTALL)) {
            recentWrites = RecentWrites.withDefaultBound();
        }
        stateMachine = new KvStateMachine(kvStore, parameters.bugs(), recentWrites);
        snapshots = new InMemorySnapshotStore(disk, kvStore);
    }

    /** Stops the process and replaces its disk by an empty one, as an operator replacing a broken disk would. */
    void crashLosingDisk() {
        sim.trace("n" + id + " crash losing its disk");
        stopProcess();
        disk = new InMemoryLogStore(nextStorageId++);
        kvStore = new InMemoryKvStore(parameters.bugs());
        syncedKv = new InMemoryKvStore(parameters.bugs());
        recentWrites = RecentWrites.withDefaultBound();
        stateMachine = new KvStateMachine(kvStore, parameters.bugs(), recentWrites);
        snapshots = new InMemorySnapshotStore(disk, kvStore);
        lostDisk = true;
    }

    private void stopProcess() {
        up = false;
        paused = false;
        driver = null;
        node = null;
        staged = null;
        persistWorker.clear();
        stateMachineWorker.clear();
        snapshotWorker.clear();
        readWorker.clear();
        disk = disk.reopen();
        // The process is gone, and with it every connection it served.
        List<SimWatcher.Session> ended = List.copyOf(sessions);
        sessions.clear();
        ended.forEach(SimWatcher.Session::connectionLost);
    }

    /**
     * Whether this node still counts as one that forgot what it acknowledged: it lost its disk, and the
     * configuration has not yet bound its id to the new storage as a voter (the end of its rebuild).
     */
    boolean amnesiac() {
        if (lostDisk && up && node.membership().isVoter(id) && node.membership().storageOf(id) == disk.storageId()) {
            lostDisk = false;
        }
        return lostDisk;
    }

    /** Whether the state machine may be destroyed on a crash: only while replay from index 1 is possible. */
    boolean canLoseStateMachine() {
        return disk.logStartIndex() == 0;
    }

    long appliedIndex() {
        return stateMachine.appliedIndex();
    }

    /** The state machine as the process sees it now (reads at a revision go straight to it, as the API's do). */
    KvStateMachine stateMachine() {
        return stateMachine;
    }

    /** Opens a watch stream on this node for {@code session}; it ends when the process does. */
    long watch(WatchRequest request, SimWatcher.Session session) {
        long watchId = driver.watch(request, session, nowNanos());
        sessions.add(session);
        return watchId;
    }

    /** The client hung up (or was told the stream ended). */
    void forget(SimWatcher.Session session) {
        sessions.remove(session);
    }

    /**
     * This node's clock, what its driver is given: simulated time, running up to the world's clock-rate
     * skew faster or slower than on the other nodes (lease deadlines are measured in it).
     */
    long nowNanos() {
        return Math.round(sim.now() * 1000 * clockRate);
    }

    // ----- inputs ---------------------------------------------------------------------------

    void tick() {
        driver.tick(nowNanos());
    }

    void receive(PeerIdentity sender, Message message) {
        driver.receive(sender, List.of(message));
    }

    void receive(ClientRequest request) {
        ClientCommand command = request.command();
        if (command.isWrite()) {
            sim.trace("n" + id + " propose a" + request.attemptId() + " " + command + " as "
                    + node.role().displayName());
            driver.propose(KvCommands.encode(command), new Reply<>() {
                @Override
                public void succeed(KvResult result) {
                    sim.acknowledged(result.index());
                    sim.reply(SimHost.this, request, ClientReply.Status.OK, 0, KvCommands.answer(result));
                }

                @Override
                public void fail(RuntimeException failure) {
                    sim.reply(SimHost.this, request, status(failure, false), hint(failure), null);
                }
            }, nowNanos());
        } else {
            driver.readBarrier(new Reply<>() {
                @Override
                public void succeed(Long index) {
                    if (command.kind() == ClientCommand.Kind.TXN) {
                        // As the API serves a read-only transaction: after the barrier, from the history.
                        KvAnswer answer = KvCommands.txnAnswer(stateMachine.readTransaction(KvCommands.txn(command.txn())));
                        sim.reply(SimHost.this, request, ClientReply.Status.OK, 0, answer);
                        return;
                    }
                    String value = KvCommands.value(stateMachine.get(KvCommands.bytes(command.key())));
                    sim.reply(SimHost.this, request, ClientReply.Status.OK, 0, new KvAnswer(value, value != null));
                }

                @Override
                public void fail(RuntimeException failure) {
                    sim.reply(SimHost.this, request, status(failure, true), hint(failure), null);
                }
            }, nowNanos());
        }
    }

    void receiveLease(LeaseRequest request) {
        Reply<KvResult> written = new Reply<>() {
            @Override
            public void succeed(KvResult result) {
                sim.acknowledged(result.index());
                if (result instanceof KvResult.LeaseGranted granted) {
                    sim.replyLease(SimHost.this, request, ClientReply.Status.OK, 0, granted.lease().id(), true);
                } else {
                    sim.replyLease(SimHost.this, request, ClientReply.Status.OK, 0, 0,
                            !(result instanceof KvResult.LeaseNotFound));
                }
            }

            @Override
            public void fail(RuntimeException failure) {
                sim.replyLease(SimHost.this, request, status(failure, false), hint(failure), 0, false);
            }
        };
        switch (request.kind()) {
            case GRANT -> driver.propose(CommandCodec.encode(new Command.LeaseGrant(0, request.ttlSeconds())), written,
                    nowNanos());
            case PUT -> driver.propose(CommandCodec.encode(new Command.Put(KvCommands.bytes(request.key()),
                    KvCommands.bytes("alive"), io.rafty.kv.Precondition.NONE, request.lease())), written, nowNanos());
            case KEEPALIVE -> driver.keepAlive(request.lease(), new Reply<>() {
                @Override
                public void succeed(NodeDriver.KeepAlive kept) {
                    sim.replyLease(SimHost.this, request, ClientReply.Status.OK, 0, request.lease(), kept.lease() != null);
                }

                @Override
                public void fail(RuntimeException failure) {
                    sim.replyLease(SimHost.this, request, status(failure, true), hint(failure), 0, false);
                }
            }, nowNanos());
        }
    }

    /** What a client may conclude from a failure: the driver's kinds, as the HTTP API maps them. */
    private static ClientReply.Status status(RuntimeException failure, boolean read) {
        if (!(failure instanceof RequestFailure requestFailure)) {
            throw new IllegalStateException("the driver failed a request with " + failure, failure);
        }
        if (read) {
            return ClientReply.Status.READ_ABORTED;
        }
        return switch (requestFailure.kind()) {
            case NO_LEADER -> ClientReply.Status.NOT_LEADER;
            case OVERLOADED, UNAVAILABLE -> ClientReply.Status.DROPPED;
            case OUTCOME_UNKNOWN -> ClientReply.Status.UNKNOWN;
        };
    }

    private static int hint(RuntimeException failure) {
        return failure instanceof RequestFailure requestFailure ? requestFailure.leaderId() : 0;
    }

    /**
     * A whole snapshot arrived from a leader. As the production staging area, it holds one transfer:
     * another one is refused while a complete one waits to be installed or declined (the sender
     * learns the transfer failed); the same transfer again is accepted, like a re-sent last chunk.
     */
    boolean receiveSnapshot(PeerIdentity sender, InstallSnapshot message, List<ImageRecord> image) {
        Staged incoming = new Staged(new SnapshotStaging.TransferId(message.from(), message.term(),
                message.snapshotIndex(), message.snapshotTerm()), image);
        if (staged != null && !staged.transfer().equals(incoming.transfer())) {
            sim.trace("n" + id + " staging busy with snapshot " + staged.index() + ": refuses " + incoming.index());
            return false;
        }
        staged = incoming;
        receive(sender, message);
        return true;
    }

    /** The outcome of a snapshot transfer this node sent, as its sender would learn it. */
    void snapshotTransferred(int peer, boolean delivered, long index) {
        driver.snapshotStreamed(peer, delivered, index);
    }

    // ----- the driver's effects ---------------------------------------------------------------

    @Override
    public void send(List<Message> messages) {
        PeerIdentity identity = driver.identity();
        for (Message message : canonicalOrder(messages)) {
            checkBackedByDisk(message);
            sim.send(identity, message);
        }
    }

    /**
     * The Ready contract where a crash would expose it: an append acknowledgement or a granted vote
     * leaves only once the disk holds what it promises (the entries through its index; the vote in
     * its term). A host or core that sends one early (before its persist, or in a light Ready beside
     * a persist in flight) is caught the moment it does, not only when a later crash loses a write.
     */
    private void checkBackedByDisk(Message message) {
        if (message instanceof AppendResponse ack && ack.success() && disk.lastIndex() < ack.index()) {
            throw new InvariantViolation("node " + id + " acknowledges index " + ack.index() + " to " + ack.to()
                    + " in term " + ack.term() + ", but its disk holds entries only through " + disk.lastIndex());
        }
        if (message instanceof VoteResponse vote && vote.granted() && !vote.preVote()) {
            HardState durable = disk.hardState();
            if (durable.term() < vote.term() || (durable.term() == vote.term() && durable.votedFor() != vote.to())) {
                throw new InvariantViolation("node " + id + " grants its term-" + vote.term() + " vote to " + vote.to()
                        + ", but its disk holds " + durable);
            }
        }
    }

    /**
     * The messages, stably sorted by destination. RaftNode sends vote requests in the iteration order of
     * the voter set; the network's random draws follow send order, so a fixed order keeps a seed
     * replaying across JVMs. Messages to one peer keep their relative order.
     */
    private static List<Message> canonicalOrder(List<Message> messages) {
        if (messages.size() < 2) {
            return messages;
        }
        List<Message> sorted = new ArrayList<>(messages);
        sorted.sort(Comparator.comparingInt(Message::to));
        return sorted;
    }

    @Override
    public void execute(NodeDriver.Worker worker, StorageTask task) {
        Worker target = switch (worker) {
            case PERSIST -> persistWorker;
            case STATE_MACHINE -> stateMachineWorker;
            case SNAPSHOT -> snapshotWorker;
            case READ -> readWorker;
        };
        target.submit(taskFor(task));
    }

    private Task taskFor(StorageTask task) {
        return switch (task.kind()) {
            case PERSIST -> ending(task, () -> {
                StorageTask.Persist persist = (StorageTask.Persist) task;
                List<Entry> entries = persist.entries();
                if (!entries.isEmpty() && entries.get(0).index() <= stateMachine.appliedIndex()) {
                    throw new InvariantViolation("node " + id + " truncates its durable log at "
                            + entries.get(0).index() + ", at or below its applied index " + stateMachine.appliedIndex());
                }
                disk.save(persist.hardState(), entries);
                sim.trace("n" + id + " persisted " + entries.size() + " entries"
                        + (entries.isEmpty() ? "" : " " + entries.get(0).index() + ".."
                        + entries.get(entries.size() - 1).index())
                        + (persist.hardState() == null ? "" : " hs=" + persist.hardState()));
                for (Entry entry : entries) {
                    if (entry.type() == io.rafty.raft.EntryType.CONFIGURATION) {
                        sim.trace("n" + id + " persisted configuration " + entry.index() + "@" + entry.term() + " "
                                + Membership.decode(entry.payload()));
                    }
                }
                return null;
            });
            case COMPACT_LOG -> ending(task, () -> {
                StorageTask.CompactLog compact = (StorageTask.CompactLog) task;
                disk.saveMembership(compact.baseMembership());
                disk.compact(compact.throughIndex());
                sim.trace("n" + id + " compacted through " + compact.throughIndex());
                return null;
            });
            case APPLY -> apply((StorageTask.Apply) task);
            case INSTALL_SNAPSHOT -> install((StorageTask.InstallSnapshot) task);
            case TAKE_SNAPSHOT -> {
                List<InMemoryKvStore> synced = new ArrayList<>(1);
                yield new Task() {
                    @Override
                    public void start() {
                        synced.add(kvStore.copy());
                    }

                    @Override
                    public void end() {
                        // A flush never makes the disk older: when a snapshot install synced a newer state while
                        // this ran, that one stays (RocksDB's flush after an install would only write it again).
                        InMemoryKvStore copy = synced.get(0);
                        if (copy.appliedIndex() >= syncedKv.appliedIndex()) {
                            syncedKv = copy;
                        }
                        complete(task, copy.appliedIndex());
                    }
                };
            }
            case RECLAIM_LOG_SPACE -> ending(task, () -> null);
            case READ_HISTORY -> {
                // A read sees the store as it is when it starts, like a RocksDB snapshot.
                Object[] page = new Object[1];
                yield new Task() {
                    @Override
                    public void start() {
                        page[0] = ((StorageTask.ReadHistory) task).readFrom(stateMachine);
                    }

                    @Override
                    public void end() {
                        complete(task, page[0]);
                    }
                };
            }
            case PURGE_HISTORY -> ending(task, () -> {
                int looked = stateMachine.purgeHistory(((StorageTask.PurgeHistory) task).maxRecords());
                sim.trace("n" + id + " purged history: " + looked + " changes looked at below "
                        + stateMachine.compactRevision());
                return looked;
            });
            case DISCARD_STAGED_SNAPSHOT -> ending(task, () -> {
                if (staged != null && staged.transfer().equals(((StorageTask.DiscardStagedSnapshot) task).transfer())) {
                    staged = null;
                }
                return null;
            });
        };
    }

    /** A task whose whole effect lands when it ends. */
    private Task ending(StorageTask task, java.util.function.Supplier<Object> effect) {
        return new Task() {
            @Override
            public void start() {
            }

            @Override
            public void end() {
                Object result;
                try {
                    result = effect.get();
                } catch (InvariantViolation e) {
                    throw e;
                } catch (RuntimeException e) {
                    driver.failed(task, e);
                    return;
                }
                complete(task, result);
            }
        };
    }

    private void complete(StorageTask task, Object result) {
        driver.completed(task, result);
    }

    /**
     * An apply reads the keys it changes when it starts and writes its batch when it ends, as the
     * RocksDB one does: results and writes are computed against the state at the start.
     */
    private Task apply(StorageTask.Apply task) {
        DeferredWrites deferred = new DeferredWrites(kvStore);
        List<List<KvResult>> results = new ArrayList<>(1);
        return new Task() {
            @Override
            public void start() {
                sim.invariants().onApply(SimHost.this, task.entries());
                results.add(new KvStateMachine(deferred, parameters.bugs(), recentWrites).apply(task.entries()));
                java.util.Map<Long, KvResult> byIndex = new java.util.HashMap<>();
                for (KvResult result : results.get(0)) {
                    sim.invariants().onResult(SimHost.this, result.index(), KvCommands.answer(result), result.events());
                    byIndex.put(result.index(), result);
                }
                for (Entry entry : task.entries()) {
                    KvResult result = byIndex.get(entry.index());
                    if (result != null && !(result instanceof KvResult.Replayed)
                            && CommandCodec.decode(entry.payload()) instanceof Command.Idempotent idempotent) {
                        sim.invariants().onIdempotentApplied(SimHost.this,
                                new String(idempotent.key(), java.nio.charset.StandardCharsets.UTF_8), entry.index());
                    }
                }
            }

            @Override
            public void end() {
                try {
                    deferred.land();
                } catch (RuntimeException e) {
                    driver.failed(task, e);
                    return;
                }
                List<Entry> entries = task.entries();
                sim.trace("n" + id + " applied " + entries.get(0).index() + ".." + entries.get(entries.size() - 1).index());
                complete(task, results.get(0));
            }
        };
    }

    /** An install reads the staged snapshot when it starts and replaces the state machine and log when it ends. */
    private Task install(StorageTask.InstallSnapshot task) {
        SnapshotMeta meta = task.meta();
        List<List<ImageRecord>> image = new ArrayList<>(1);
        return new Task() {
            @Override
            public void start() {
                if (staged == null || staged.index() != meta.index()) {
                    throw new InvariantViolation("node " + id + " must install a snapshot through " + meta.index()
                            + " that it does not hold (staged: " + (staged == null ? "none" : staged.index()) + ")");
                }
                image.add(staged.image());
            }

            @Override
            public void end() {
                snapshots.install(meta, image.get(0).iterator());
                // An install is one synced write.
                syncedKv = kvStore.copy();
                staged = null;
                sim.invariants().onSnapshotInstalled(SimHost.this, meta.index());
                sim.trace("n" + id + " installed snapshot through " + meta.index() + "@" + meta.term()
                        + " compacted below " + kvStore.compactRevision());
                complete(task, kvStore.compactRevision());
            }
        };
    }

    @Override
    public void streamSnapshot(int peer, long term) {
        List<ImageRecord> image = new ArrayList<>();
        long[] index = new long[1];
        snapshotWorker.submit(new Task() {
            @Override
            public void start() {
                try (SnapshotStore.StateImage state = snapshots.openImage()) {
                    index[0] = state.appliedIndex();
                    state.records().forEachRemaining(image::add);
                }
            }

            @Override
            public void end() {
                SnapshotMeta meta = driver.snapshotToSend(peer, term, index[0]);
                if (meta == null) {
                    sim.trace("n" + id + " no snapshot to n" + peer + " (no longer leads term " + term + ")");
                    driver.snapshotStreamed(peer, false, index[0]);
                    return;
                }
                sim.sendSnapshot(SimHost.this, driver.identity(), new InstallSnapshot(id, peer, term, meta.index(),
                        meta.term(), meta.membership()), image);
            }
        });
    }

    @Override
    public void publish(NodeStatus status) {
    }

    // ----- what the driver did ----------------------------------------------------------------

    @Override
    public void readyTaken(Ready ready) {
        sim.invariants().onReady(this, ready);
        if (ready.softState() != null) {
            sim.trace("n" + id + " " + ready.softState().role() + " term=" + ready.softState().term()
                    + " leader=" + ready.softState().leaderId());
            if (ready.softState().role() == Role.LEADER) {
                sim.onBecameLeader(this);
            }
        }
    }

    @Override
    public void fenced(String reason, Throwable cause) {
        // The simulator injects no storage failures: a node that fences found a bug.
        throw new InvariantViolation("node " + id + " fenced: " + reason + ": " + cause, cause);
    }

    /**
     * The state machine's store as an apply sees it while it runs: reads go to the store as it is at
     * the start, the batch's write is held back until {@link #land()}.
     */
    private static final class DeferredWrites extends ForwardingKvStore {
        private Batch batch;

        DeferredWrites(KvStore target) {
            super(target);
        }

        @Override
        public void write(Batch held) {
            batch = new Batch(new HashMap<>(held.changes()), List.copyOf(held.events()), List.copyOf(held.dedups()),
                    new HashMap<>(held.leases()), List.copyOf(held.attachments()), held.compactRevision(),
                    held.appliedIndex());
        }

        void land() {
            if (batch != null) {
                delegate.write(batch);
            }
        }
    }
}
