package io.rafty.node;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.raft.Entry;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.PeerProgress;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RecoveredState;
import io.rafty.raft.SnapshotMeta;
import io.rafty.raft.message.Message;
import io.rafty.storage.LogStore;
import io.rafty.storage.SnapshotStaging;
import io.rafty.storage.SnapshotStore;
import io.rafty.transport.PeerClient;
import io.rafty.transport.SnapshotSender;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * The Vert.x plumbing around one {@link NodeDriver}: it owns the driver on one event loop, turns a
 * periodic timer into ticks, runs the driver's {@link StorageTask}s on four single-thread workers,
 * sends through the {@link PeerClient}, streams snapshots through the {@link SnapshotSender}, and hops
 * client requests onto its context. Every decision is the driver's; see {@code package-info.java}
 * for the threading model.
 */
public final class RaftVerticle extends VerticleBase {

    private static final Logger LOG = Logger.getLogger(RaftVerticle.class.getName());

    /** Host-side settings: the tick length, the driver's limits, history retention and watch limits. */
    public record Settings(int tickIntervalMs, NodeDriver.Settings driver, NodeDriver.HistorySettings history,
                           long leaseCheckpointIntervalMs) {
    }

    /**
     * The node's durable state: the log, the state-machine snapshots, the staging area for snapshots
     * arriving from a leader, and a hook that reclaims compacted log space on disk.
     */
    public record Storage(LogStore log, SnapshotStore snapshots, SnapshotStaging staging,
                          LongConsumer reclaimLogSpace) {
    }

    private final RaftConfig raftConfig;
    private final Membership initialMembership;
    private final LogStore logStore;
    private final SnapshotStore snapshots;
    private final SnapshotStaging staging;
    private final LongConsumer reclaimLogSpace;
    private final KvStateMachine stateMachine;
    private final PeerClient peers;
    private final SnapshotSender snapshotSender;
    private final Settings settings;
    private final NodeDriver.SnapshotSettings snapshotSettings;
    private final Map<Integer, String> directory;
    private final NodeMetrics metrics;

    // Everything below is touched only on this verticle's event loop.
    private Context raftContext;
    private NodeDriver driver;
    private SerialWorker persistWorker;
    private SerialWorker stateMachineWorker;
    private SerialWorker readWorker;
    private SerialWorker snapshotWorker;
    /** Snapshot images opened for a stream and not yet closed (identity: an image is closed exactly once). */
    private final Set<SnapshotStore.StateImage> openImages = Collections.newSetFromMap(new IdentityHashMap<>());
    private long tickTimer = -1;
    private volatile NodeStatus status;
    private Membership publishedMembership;

    public RaftVerticle(RaftConfig raftConfig, Membership initialMembership, Storage storage,
                        KvStateMachine stateMachine, PeerClient peers, SnapshotSender snapshotSender,
                        Settings settings, NodeDriver.SnapshotSettings snapshotSettings, Map<Integer, String> directory) {
        this(raftConfig, initialMembership, storage, stateMachine, peers, snapshotSender, settings, snapshotSettings,
                directory, NodeMetrics.NONE);
    }

    /** As the constructor above, reporting syncs, applies, client writes and leader changes to {@code metrics}. */
    public RaftVerticle(RaftConfig raftConfig, Membership initialMembership, Storage storage,
                        KvStateMachine stateMachine, PeerClient peers, SnapshotSender snapshotSender,
                        Settings settings, NodeDriver.SnapshotSettings snapshotSettings, Map<Integer, String> directory,
                        NodeMetrics metrics) {
        this.metrics = metrics;
        this.directory = directory;
        this.raftConfig = raftConfig;
        this.initialMembership = initialMembership;
        this.logStore = storage.log();
        this.snapshots = storage.snapshots();
        this.staging = storage.staging();
        this.reclaimLogSpace = storage.reclaimLogSpace();
        this.stateMachine = stateMachine;
        this.peers = peers;
        this.snapshotSender = snapshotSender;
        this.settings = settings;
        this.snapshotSettings = snapshotSettings;
    }

    @Override
    public Future<?> start() {
        raftContext = context;
        persistWorker = new SerialWorker(vertx.createSharedWorkerExecutor("rafty-persist-" + raftConfig.id(), 1));
        stateMachineWorker = new SerialWorker(vertx.createSharedWorkerExecutor("rafty-apply-" + raftConfig.id(), 1));
        readWorker = new SerialWorker(vertx.createSharedWorkerExecutor("rafty-read-" + raftConfig.id(), 1));
        // Created here, like the others, so that the pool belongs to this verticle and outlives its stop: one created
        // outside it is closed by Vertx.close beside the verticle's stop, and a chunk read or image close is refused.
        snapshotWorker = new SerialWorker(vertx.createSharedWorkerExecutor(snapshotPoolName(raftConfig.id()), 1));
        return persistWorker.submit(this::recover).map(recovered -> {
            driver = new NodeDriver(raftConfig, recovered, stateMachine.compactRevision(),
                    new SplittableRandom(new SecureRandom().nextLong()), settings.driver(), snapshotSettings,
                    settings.history(), new VertxHost(), NodeDriver.Listener.NONE);
            driver.useLeases(stateMachine, nanos(settings.leaseCheckpointIntervalMs()), nanos(settings.tickIntervalMs()));
            tickTimer = vertx.setPeriodic(settings.tickIntervalMs(), id -> driver.tick(System.nanoTime()));
            LOG.info(() -> "node " + raftConfig.id() + " started at term " + recovered.hardState().term()
                    + " with " + recovered.entries().size() + " log entries, applied through "
                    + recovered.appliedIndex() + ", storage id " + Long.toHexString(recovered.storageId()));
            return null;
        });
    }

    private RecoveredState recover() {
        return NodeDriver.recover(logStore, initialMembership, stateMachine.appliedIndex());
    }

    @Override
    public Future<?> stop() {
        if (tickTimer >= 0) {
            vertx.cancelTimer(tickTimer);
        }
        if (driver != null) {
            driver.stop();
        }
        peers.close();
        snapshotSender.close();
        return Future.all(List.of(persistWorker.close(), stateMachineWorker.close(), readWorker.close(),
                snapshotWorker.close())).onComplete(closed -> closeOpenImages());
    }

    /**
     * Closes the snapshot images still open once every worker has finished its running task: a stream cut by
     * the stop leaves its image here, as its close was refused by the closed worker. Nothing reads them any
     * more, and the database refuses to close while one of its snapshots is unreleased.
     */
    private void closeOpenImages() {
        for (SnapshotStore.StateImage image : List.copyOf(openImages)) {
            openImages.remove(image);
            try {
                image.close();
            } catch (RuntimeException e) {
                LOG.warning(() -> "closing a snapshot image at stop failed: " + e.getMessage());
            }
        }
    }

    // ----- thread-safe entry points -----------------------------------------------------------

    /**
     * The name of node {@code id}'s snapshot pool: one thread, shared by name between this verticle (taking and
     * streaming snapshots) and the API's snapshot route (staging incoming chunks), each holding its own reference.
     */
    public static String snapshotPoolName(int id) {
        return "rafty-snapshot-" + id;
    }

    /** This node's id. */
    public int id() {
        return raftConfig.id();
    }

    /** The latest published status; safe from any thread. */
    public NodeStatus status() {
        return status;
    }

    /** See {@link NodeDriver#propose}. Fails with a {@link RequestFailure} saying whether it may have taken effect. */
    public Future<KvResult> propose(Command command) {
        byte[] payload = CommandCodec.encode(command);
        return onRaftContext(promise -> {
            metrics.proposalStarted();
            driver.propose(payload, proposalReply(promise), System.nanoTime());
        });
    }

    /** See {@link NodeDriver#keepAlive}. */
    public Future<NodeDriver.KeepAlive> keepAlive(long id) {
        return onRaftContext(promise -> driver.keepAlive(id, reply(promise), System.nanoTime()));
    }

    /** See {@link NodeDriver#leaseInfo}. */
    public Future<NodeDriver.LeaseInfo> leaseInfo(long id) {
        return onRaftContext(promise -> driver.leaseInfo(id, reply(promise), System.nanoTime()));
    }

    /** See {@link NodeDriver#readBarrier}: completes with the read index once it may be served locally. */
    public Future<Long> readBarrier() {
        return onRaftContext(promise -> driver.readBarrier(reply(promise), System.nanoTime()));
    }

    /**
     * See {@link NodeDriver#watch}: completes with the watch's id once its created message was sent to
     * {@code subscriber}, whose methods are then called on the Raft context.
     */
    public Future<Long> watch(WatchRequest request, WatchHub.Subscriber subscriber) {
        return onRaftContext(promise -> {
            try {
                promise.complete(driver.watch(request, subscriber, System.nanoTime()));
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
    }

    /** See {@link NodeDriver#cancelWatch}; safe from any thread. */
    public void cancelWatch(long id) {
        raftContext.runOnContext(v -> driver.cancelWatch(id));
    }

    /** See {@link NodeDriver#watchWritable}; safe from any thread. */
    public void watchWritable(long id) {
        raftContext.runOnContext(v -> driver.watchWritable(id));
    }

    /**
     * See {@link NodeDriver#watchesSyncedThrough}. Completes on the caller's context after every message the
     * watches were sent before the check.
     */
    public Future<Long> watchesSyncedThrough(List<Long> ids) {
        return onRaftContext(promise -> promise.complete(driver.watchesSyncedThrough(ids)));
    }

    /** See {@link NodeDriver#changeMembership}. */
    public Future<Membership> changeMembership(UnaryOperator<Membership> change) {
        return onRaftContext(promise -> driver.changeMembership(change, reply(promise), System.nanoTime()));
    }

    /** Hands leadership to {@code target}; completes when this node sees it lead. */
    public Future<Void> transferLeadership(int target) {
        return onRaftContext(promise -> driver.transferLeadership(target, reply(promise)));
    }

    /** The leader's view of every member; empty on a non-leader. */
    public Future<List<PeerProgress>> progress() {
        return onRaftContext(promise -> promise.complete(driver.progress()));
    }

    /** See {@link NodeDriver#recentEntries}: the last {@code limit} log entries, newest first. */
    public Future<List<Entry>> recentEntries(int limit) {
        return onRaftContext(promise -> promise.complete(driver.recentEntries(limit)));
    }

    /** Steps a batch of peer messages stamped with its sender's identity. */
    public void receive(PeerIdentity sender, List<Message> messages) {
        raftContext.runOnContext(v -> driver.receive(sender, messages));
    }

    private static <T> Reply<T> reply(Promise<T> promise) {
        return new Reply<>() {
            @Override
            public void succeed(T value) {
                promise.tryComplete(value);
            }

            @Override
            public void fail(RuntimeException failure) {
                promise.tryFail(failure);
            }
        };
    }

    /** A client write's reply, which also tells the metrics how it ended (once, should it be answered twice). */
    private <T> Reply<T> proposalReply(Promise<T> promise) {
        return new Reply<>() {
            private boolean answered;

            @Override
            public void succeed(T value) {
                finish(false);
                promise.tryComplete(value);
            }

            @Override
            public void fail(RuntimeException failure) {
                finish(true);
                promise.tryFail(failure);
            }

            private void finish(boolean failed) {
                if (!answered) {
                    answered = true;
                    metrics.proposalFinished(failed);
                }
            }
        };
    }

    /** Runs {@code action} on the Raft event loop; the result is delivered back on the caller's context. */
    private <T> Future<T> onRaftContext(Consumer<Promise<T>> action) {
        Context caller = Vertx.currentContext();
        Promise<T> promise = Promise.promise();
        raftContext.runOnContext(v -> action.accept(promise));
        if (caller == null || caller == raftContext) {
            return promise.future();
        }
        Promise<T> relayed = Promise.promise();
        promise.future().onComplete(ar -> caller.runOnContext(x -> relayed.handle(ar)));
        return relayed.future();
    }

    // ----- the driver's host ------------------------------------------------------------------

    /** Carries out the driver's effects with Vert.x: workers, the peer client, the snapshot sender. */
    private final class VertxHost implements NodeDriver.Host {

        @Override
        public void send(List<Message> messages) {
            if (!messages.isEmpty()) {
                peers.send(driver.identity(), messages);
            }
        }

        @Override
        public void execute(NodeDriver.Worker worker, StorageTask task) {
            SerialWorker executor = switch (worker) {
                case PERSIST -> persistWorker;
                case STATE_MACHINE -> stateMachineWorker;
                case SNAPSHOT -> snapshotWorker;
                case READ -> readWorker;
            };
            executor.submit(() -> run(task)).onComplete(ar -> {
                if (ar.succeeded()) {
                    driver.completed(task, ar.result());
                } else {
                    driver.failed(task, ar.cause());
                }
            });
        }

        /** Runs on the worker: the blocking storage call each kind of task stands for. */
        private Object run(StorageTask task) {
            switch (task.kind()) {
                case PERSIST -> {
                    StorageTask.Persist persist = (StorageTask.Persist) task;
                    long started = System.nanoTime();
                    logStore.save(persist.hardState(), persist.entries());
                    metrics.logSynced(System.nanoTime() - started);
                    return null;
                }
                case COMPACT_LOG -> {
                    StorageTask.CompactLog compact = (StorageTask.CompactLog) task;
                    logStore.saveMembership(compact.baseMembership());
                    logStore.compact(compact.throughIndex());
                    return null;
                }
                case APPLY -> {
                    long started = System.nanoTime();
                    List<KvResult> results = stateMachine.apply(((StorageTask.Apply) task).entries());
                    metrics.batchApplied(System.nanoTime() - started);
                    return results;
                }
                case INSTALL_SNAPSHOT -> {
                    SnapshotMeta meta = ((StorageTask.InstallSnapshot) task).meta();
                    if (staging.completed(meta.index()) == null) {
                        throw new IllegalStateException("no complete staged snapshot for index " + meta.index());
                    }
                    snapshots.install(meta, staging.read());
                    staging.clear();
                    return stateMachine.compactRevision();
                }
                case TAKE_SNAPSHOT -> {
                    return snapshots.syncStateMachine();
                }
                case READ_HISTORY -> {
                    return ((StorageTask.ReadHistory) task).readFrom(stateMachine);
                }
                case PURGE_HISTORY -> {
                    return stateMachine.purgeHistory(((StorageTask.PurgeHistory) task).maxRecords());
                }
                case RECLAIM_LOG_SPACE -> {
                    reclaimLogSpace.accept(((StorageTask.ReclaimLogSpace) task).throughIndex());
                    return null;
                }
                case DISCARD_STAGED_SNAPSHOT -> {
                    staging.discard(((StorageTask.DiscardStagedSnapshot) task).transfer());
                    return null;
                }
            }
            throw new AssertionError(task.kind());
        }

        @Override
        public void streamSnapshot(int peer, long term) {
            snapshotWorker.submit(snapshots::openImage).onComplete(opened -> {
                if (opened.failed()) {
                    LOG.warning(() -> "opening a snapshot for node " + peer + " failed: " + opened.cause().getMessage());
                    driver.snapshotStreamed(peer, false, 0);
                    return;
                }
                SnapshotStore.StateImage image = opened.result();
                openImages.add(image);
                long index = image.appliedIndex();
                SnapshotMeta meta = driver.snapshotToSend(peer, term, index);
                if (meta == null) {
                    close(image);
                    driver.snapshotStreamed(peer, false, index);
                    return;
                }
                LOG.info(() -> "node " + raftConfig.id() + " sends a snapshot through index " + index + " to node "
                        + peer);
                // The chunks are read on the worker that opened the image and closes it: none runs after stop.
                SnapshotSender.ChunkReads reads = snapshotWorker::submit;
                snapshotSender.send(raftConfig.id(), peer, term, meta, image, driver.identity(), reads).onComplete(sent -> {
                    if (sent.failed()) {
                        LOG.warning(() -> "snapshot to node " + peer + " failed: " + sent.cause().getMessage());
                    }
                    close(image);
                    driver.snapshotStreamed(peer, sent.succeeded(), index);
                });
            });
        }

        /** Closes {@code image} on the worker that reads it; if that worker has closed, {@link #stop} does. */
        private void close(SnapshotStore.StateImage image) {
            snapshotWorker.submit(() -> {
                image.close();
                return null;
            }).onSuccess(v -> openImages.remove(image));
        }

        @Override
        public void publish(NodeStatus published) {
            Membership membership = published.membership();
            if (!membership.equals(publishedMembership)) {
                publishedMembership = membership;
                // Addresses of members added at runtime travel in the configuration; the ones this node
                // was started with stay as configured.
                membership.addresses().forEach(directory::putIfAbsent);
            }
            NodeStatus previous = status;
            if (published.leaderId() != 0 && (previous == null || previous.leaderId() != published.leaderId())) {
                metrics.leaderChanged();
            }
            status = published;
        }
    }

    /** Milliseconds to nanoseconds, for the driver's request timeout. */
    public static long nanos(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
