package io.rafty.node;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.ForwardedProposal;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.NotLeaderException;
import io.rafty.raft.PeerProgress;
import io.rafty.raft.ProposalDroppedException;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RaftNode;
import io.rafty.raft.ReadState;
import io.rafty.raft.Ready;
import io.rafty.raft.RecoveredState;
import io.rafty.raft.Role;
import io.rafty.raft.SoftState;
import io.rafty.raft.SnapshotMeta;
import io.rafty.raft.message.InstallSnapshot;
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
import io.vertx.core.WorkerExecutor;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.function.LongConsumer;
import java.util.logging.Logger;

/**
 * Owns one {@link RaftNode} on one event loop and carries out its {@link Ready}s: ticks it with a
 * periodic timer, persists on a dedicated single-thread worker, sends through the {@link PeerClient},
 * applies committed entries on a second single-thread worker, and completes client requests on
 * apply. See {@code package-info.java} for the threading model.
 */
public final class RaftVerticle extends VerticleBase {

    private static final Logger LOG = Logger.getLogger(RaftVerticle.class.getName());

    /** Host-side settings: timing and limits that the pure core does not know about. */
    public record Settings(int tickIntervalMs, int maxPendingProposals, int maxPendingReads,
                           int clientRequestTimeoutMs, int maxApplyBatchEntries, long learnerPromotionLagEntries) {
    }

    /**
     * When to snapshot and how much log to keep.
     *
     * @param snapshotEntries  take a snapshot once this many entries were applied since the last one
     * @param snapshotLogBytes ... or once this many log bytes were written since the last one
     * @param logTailEntries   entries kept after the snapshot point, so slightly slow followers
     *                         catch up from the log rather than by a full snapshot
     */
    public record SnapshotSettings(long snapshotEntries, long snapshotLogBytes, long logTailEntries) {
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
    private final SnapshotSettings snapshotSettings;

    // Everything below is touched only on this verticle's event loop.
    private Context raftContext;
    private RaftNode node;
    private WorkerExecutor persistWorker;
    private WorkerExecutor applyWorker;
    private WorkerExecutor snapshotWorker;
    private long tickTimer = -1;
    private boolean readyInFlight;
    private boolean applyInFlight;
    private final ArrayDeque<Entry> applyQueue = new ArrayDeque<>();
    private PendingProposals proposals;
    private long nextForwardId = 1;
    private final Map<Long, PendingRead> readsAwaitingConfirmation = new HashMap<>();
    private final TreeMap<Long, List<PendingRead>> readsAwaitingApply = new TreeMap<>();
    private long nextReadId = 1;
    private long appliedIndex;
    private Role lastRole = Role.FOLLOWER;
    private boolean fenced;
    private long snapshotIndex;
    /** The hard state last synced to the log store (term and vote are what must never go back). */
    private HardState durableHardState = HardState.INITIAL;
    private long logBytesSinceSnapshot;
    private boolean snapshotInProgress;
    private final Set<Integer> snapshotTransfers = new HashSet<>();
    private final Map<Integer, String> directory;
    private Membership publishedMembership;
    /** Membership changes waiting for their configuration entry to be applied, by log index. */
    private final Map<Long, PendingChange> pendingChanges = new HashMap<>();
    /** Leadership transfers waiting for the target to lead. */
    private final Map<Integer, List<Promise<Void>>> pendingTransfers = new HashMap<>();
    private volatile NodeStatus status;
    private Set<Integer> publishedMembers = Set.of();

    private record PendingRead(Promise<Long> promise, long deadlineNanos) {
    }

    private record PendingChange(long term, Membership next, Promise<Membership> promise, long deadlineNanos) {
    }

    public RaftVerticle(RaftConfig raftConfig, Membership initialMembership, Storage storage,
                        KvStateMachine stateMachine, PeerClient peers, SnapshotSender snapshotSender,
                        WorkerExecutor snapshotWorker, Settings settings, SnapshotSettings snapshotSettings,
                        Map<Integer, String> directory) {
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
        this.snapshotWorker = snapshotWorker;
        this.settings = settings;
        this.snapshotSettings = snapshotSettings;
    }

    @Override
    public Future<?> start() {
        raftContext = context;
        proposals = new PendingProposals(settings.maxPendingProposals());
        persistWorker = vertx.createSharedWorkerExecutor("rafty-persist-" + raftConfig.id(), 1);
        applyWorker = vertx.createSharedWorkerExecutor("rafty-apply-" + raftConfig.id(), 1);
        return persistWorker.executeBlocking(this::recover).map(recovered -> {
            node = new RaftNode(raftConfig, recovered, new SplittableRandom(new SecureRandom().nextLong()));
            appliedIndex = recovered.appliedIndex();
            snapshotIndex = recovered.logStartIndex();
            durableHardState = recovered.hardState();
            lastRole = node.role();
            publishStatus();
            tickTimer = vertx.setPeriodic(settings.tickIntervalMs(), id -> onTick());
            LOG.info(() -> "node " + raftConfig.id() + " started at term " + recovered.hardState().term()
                    + " with " + recovered.entries().size() + " log entries, applied through " + appliedIndex);
            return null;
        });
    }

    private RecoveredState recover() {
        Membership membership = logStore.membership();
        if (membership == null) {
            membership = initialMembership;
            logStore.saveMembership(membership);
        }
        return new RecoveredState(logStore.hardState(), membership, logStore.logStartIndex(), logStore.logStartTerm(),
                logStore.entries(), stateMachine.appliedIndex());
    }

    @Override
    public Future<?> stop() {
        if (tickTimer >= 0) {
            vertx.cancelTimer(tickTimer);
        }
        RequestFailure shutdown = RequestFailure.outcomeUnknown("the node is shutting down");
        if (proposals != null) {
            proposals.failAll(shutdown);
        }
        failReads(shutdown);
        peers.close();
        snapshotSender.close();
        return Future.all(persistWorker.close(), applyWorker.close(), snapshotWorker.close());
    }

    // ----- thread-safe entry points -----------------------------------------------------------

    /** The latest published status; safe from any thread. */
    public NodeStatus status() {
        return status;
    }

    /**
     * Proposes a write: on the leader into its log, on a follower by forwarding it to the leader over
     * the peer channel. Completes with its result once applied here (a follower applies the same
     * entries, so its answer is the leader's); fails with a {@link RequestFailure} saying whether it
     * may have taken effect.
     */
    public Future<KvResult> propose(Command command) {
        return onRaftContext(promise -> {
            if (fenced) {
                promise.fail(new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "storage failed on this node", 0));
                return;
            }
            if (proposals.isFull()) {
                promise.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED,
                        "too many pending writes (" + settings.maxPendingProposals() + ")", node.leaderId()));
                return;
            }
            try {
                byte[] payload = CommandCodec.encode(command);
                if (node.role() == Role.LEADER) {
                    long index = node.propose(payload);
                    proposals.add(index, node.term(), promise, deadline());
                } else {
                    long requestId = nextForwardId++;
                    node.forwardProposal(requestId, payload);
                    proposals.addForwarded(requestId, promise, deadline());
                }
            } catch (NotLeaderException e) {
                promise.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
            } catch (ProposalDroppedException e) {
                promise.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED, e.getMessage(), node.leaderId()));
            }
            drive();
        });
    }

    /**
     * Waits until a linearizable read may be served from the local state machine (ReadIndex): the
     * future completes, with the read index, once the leader has confirmed its leadership (itself, or
     * asked by this follower) and this node has applied through that index. Fails with
     * {@link RequestFailure} (NO_LEADER) when no leader is known, or when the leader changes before it
     * confirmed the read.
     */
    public Future<Long> readBarrier() {
        return onRaftContext(promise -> {
            if (fenced) {
                promise.fail(new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "storage failed on this node", 0));
                return;
            }
            if (readsAwaitingConfirmation.size() >= settings.maxPendingReads()) {
                promise.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED,
                        "too many pending reads (" + settings.maxPendingReads() + ")", node.leaderId()));
                return;
            }
            long id = nextReadId++;
            try {
                node.readIndex(id);
                readsAwaitingConfirmation.put(id, new PendingRead(promise, deadline()));
            } catch (NotLeaderException e) {
                promise.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
            }
            drive();
        });
    }

    /**
     * Proposes the configuration {@code change} computes from the current one (which it may refuse by
     * throwing {@link io.rafty.raft.MembershipChangeException} or {@link IllegalArgumentException}).
     * Completes with the new configuration once its entry is applied here; returning the current
     * configuration unchanged completes at once (an idempotent request).
     */
    public Future<Membership> changeMembership(java.util.function.UnaryOperator<Membership> change) {
        return onRaftContext(promise -> {
            if (fenced) {
                promise.fail(new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "storage failed on this node", 0));
                return;
            }
            try {
                Membership current = node.membership();
                Membership next = change.apply(current);
                if (next.equals(current)) {
                    promise.complete(current);
                    return;
                }
                long index = node.proposeMembership(next);
                pendingChanges.put(index, new PendingChange(node.term(), next, promise, deadline()));
            } catch (NotLeaderException e) {
                promise.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
            } catch (RuntimeException e) {
                promise.fail(e);
            }
            drive();
        });
    }

    /** Hands leadership to {@code target}; completes when this node sees it lead. */
    public Future<Void> transferLeadership(int target) {
        return onRaftContext(promise -> {
            try {
                if (node.role() == Role.LEADER && target == raftConfig.id()) {
                    promise.complete();
                    return;
                }
                node.transferLeadership(target);
                pendingTransfers.computeIfAbsent(target, t -> new ArrayList<>()).add(promise);
            } catch (NotLeaderException e) {
                promise.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
            } catch (RuntimeException e) {
                promise.fail(e);
            }
            drive();
        });
    }

    /** The leader's view of every member; empty on a non-leader. */
    public Future<List<PeerProgress>> progress() {
        return onRaftContext(promise -> promise.complete(node.progress()));
    }

    /** Steps messages received from peers. Malformed or impossible ones are dropped and logged. */
    public void receive(List<Message> messages) {
        raftContext.runOnContext(v -> {
            if (fenced) {
                return;
            }
            for (Message message : messages) {
                boolean stepped = false;
                long logStartBefore = node.logStartIndex();
                if (message.to() == raftConfig.id() && node.membership().contains(message.from())) {
                    try {
                        node.step(message);
                        stepped = true;
                    } catch (RuntimeException e) {
                        LOG.log(Level.WARNING, "dropped peer message " + message + ": " + e.getMessage());
                    }
                }
                if (message instanceof InstallSnapshot && (!stepped || node.logStartIndex() == logStartBefore)) {
                    // Dropped or declined (stale, or already in our log): free the staging area,
                    // which holds a complete snapshot only until it is installed or declined.
                    blocking(snapshotWorker, () -> {
                        staging.clear();
                        return null;
                    });
                }
            }
            drive();
        });
    }

    /** Runs {@code action} on the Raft event loop; the result is delivered back on the caller's context. */
    private <T> Future<T> onRaftContext(java.util.function.Consumer<Promise<T>> action) {
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

    // ----- the Ready loop ----------------------------------------------------------------------

    private void onTick() {
        if (fenced) {
            return;
        }
        node.tick();
        long now = System.nanoTime();
        proposals.expire(now);
        expireReads(now);
        expireAdmin(now);
        promoteCaughtUpLearners();
        drive();
    }

    private void expireAdmin(long now) {
        pendingChanges.values().removeIf(change -> {
            if (now - change.deadlineNanos() > 0) {
                change.promise().tryFail(RequestFailure.outcomeUnknown(
                        "the membership change was not applied within the request timeout; it may still commit"));
                return true;
            }
            return false;
        });
        if (node.role() == Role.LEADER && !pendingTransfers.isEmpty() && !node.isTransferringLeadership()) {
            // The core gave the transfer up (the target did not catch up in an election timeout).
            RequestFailure failed = RequestFailure.outcomeUnknown("the leadership transfer did not complete in time");
            pendingTransfers.values().forEach(list -> list.forEach(p -> p.tryFail(failed)));
            pendingTransfers.clear();
        }
    }

    /** The leader promotes a learner added for automatic promotion once its log is close to the leader's. */
    private void promoteCaughtUpLearners() {
        Membership membership = node.membership();
        if (node.role() != Role.LEADER || membership.autoPromote().isEmpty() || !pendingChanges.isEmpty()) {
            return;
        }
        for (PeerProgress peer : node.progress()) {
            // A learner that never acknowledged anything is not caught up, however short the log.
            boolean caughtUp = peer.matchIndex() > 0 && peer.state().equals("replicate")
                    && node.lastIndex() - peer.matchIndex() <= settings.learnerPromotionLagEntries();
            if (membership.autoPromote().contains(peer.id()) && caughtUp) {
                LOG.info(() -> "node " + raftConfig.id() + " promotes learner " + peer.id() + " to voter");
                changeMembership(current -> current.isLearner(peer.id()) ? current.promoted(peer.id()) : current)
                        .onFailure(e -> LOG.fine(() -> "promotion of " + peer.id() + " deferred: " + e.getMessage()));
                return;
            }
        }
    }

    /**
     * Takes the next Ready when none is in flight. One persist at a time: whatever arrives meanwhile
     * (proposals, acknowledgements) accumulates in the node and leaves in the next Ready — one
     * synced RocksDB write for many client writes (group commit).
     */
    private void drive() {
        if (readyInFlight || fenced || !node.hasReady()) {
            publishStatus();
            return;
        }
        Ready ready = node.ready();
        readyInFlight = true;
        if (ready.softState() != null) {
            onSoftState(ready.softState());
        }
        peers.send(ready.messages());
        for (ReadState read : ready.readStates()) {
            confirmRead(read);
        }
        for (ForwardedProposal outcome : ready.forwardedProposals()) {
            onForwarded(outcome);
        }
        for (int peer : ready.peersNeedingSnapshot()) {
            sendSnapshot(peer);
        }
        for (Entry entry : ready.entries()) {
            logBytesSinceSnapshot += entry.sizeBytes();
        }
        SnapshotMeta install = ready.snapshot();
        HardState hard = ready.hardState();
        // A Ready whose only durable change is a higher commit index needs no fsync: the commit
        // index is a restart hint (recovery takes max(commit, applied), and the leader re-teaches
        // it), never a promise made to a peer. Skipping it takes one fsync off every write's path.
        boolean onlyCommitMoved = install == null && ready.entries().isEmpty() && hard != null
                && hard.term() == durableHardState.term() && hard.votedFor() == durableHardState.votedFor();
        boolean sync = ready.mustPersist() && !onlyCommitMoved;
        Future<Void> persisted = sync
                ? blocking(persistWorker, () -> {
                    if (install != null) {
                        installSnapshot(install);
                    }
                    logStore.save(ready.hardState(), ready.entries());
                    return null;
                })
                : Future.succeededFuture();
        persisted.onComplete(ar -> {
            if (ar.failed()) {
                fence("persisting the log failed", ar.cause());
                return;
            }
            if (sync && hard != null) {
                durableHardState = hard;
            }
            if (install != null) {
                LOG.info(() -> "node " + raftConfig.id() + " installed a snapshot through index " + install.index());
                snapshotIndex = install.index();
                appliedIndex = Math.max(appliedIndex, install.index());
                releaseReads();
            }
            peers.send(ready.messagesAfterPersist());
            applyQueue.addAll(ready.committedEntries());
            node.advance(ready);
            readyInFlight = false;
            maybeApply();
            drive();
        });
    }

    private <T> Future<T> blocking(WorkerExecutor worker, Callable<T> task) {
        return worker.executeBlocking(task, true);
    }

    private void onSoftState(SoftState soft) {
        List<Promise<Void>> transferred = pendingTransfers.remove(soft.leaderId());
        if (transferred != null) {
            transferred.forEach(Promise::tryComplete);
        }
        if (soft.role() != Role.LEADER && soft.leaderId() != 0 && !pendingTransfers.isEmpty()) {
            RequestFailure other = RequestFailure.outcomeUnknown("node " + soft.leaderId()
                    + " became leader instead of the transfer target");
            pendingTransfers.values().forEach(list -> list.forEach(p -> p.tryFail(other)));
            pendingTransfers.clear();
        }
        // A new term, role or leader: reads and forwarded writes the old leader has not answered never
        // will be (it dropped them, or its answer is of an old term). A read is retried elsewhere; a
        // forwarded write may have been appended, so its outcome is unknown.
        RequestFailure unconfirmed = RequestFailure.noLeader("the leader changed before the read was confirmed",
                soft.leaderId());
        readsAwaitingConfirmation.values().forEach(r -> r.promise().tryFail(unconfirmed));
        readsAwaitingConfirmation.clear();
        proposals.failForwarded(RequestFailure.outcomeUnknown(
                "the leader changed before it acknowledged the forwarded write; it may still commit"));
        if (lastRole == Role.LEADER && soft.role() != Role.LEADER) {
            // Requests whose entries are already committed will be applied here as a follower and
            // answered then. For the rest we cannot know: the next leader may still commit them.
            long committed = node.commitIndex();
            RequestFailure lost = RequestFailure.outcomeUnknown(
                    "leadership was lost before the membership change was applied; it may still commit");
            pendingChanges.entrySet().removeIf(e -> {
                if (e.getKey() > committed) {
                    e.getValue().promise().tryFail(lost);
                    return true;
                }
                return false;
            });
            proposals.failAbove(committed, RequestFailure.outcomeUnknown(
                    "leadership was lost before the write was applied; it may still commit"));
        }
        if (soft.role() != lastRole || soft.leaderId() != (status == null ? 0 : status.leaderId())) {
            LOG.info(() -> "node " + raftConfig.id() + " is " + soft.role().displayName() + " in term " + soft.term()
                    + (soft.leaderId() != 0 ? ", leader " + soft.leaderId() : ", no leader"));
        }
        lastRole = soft.role();
    }

    private void maybeApply() {
        if (applyInFlight || applyQueue.isEmpty() || fenced) {
            return;
        }
        List<Entry> batch = new ArrayList<>();
        while (!applyQueue.isEmpty() && batch.size() < settings.maxApplyBatchEntries()) {
            batch.add(applyQueue.poll());
        }
        applyInFlight = true;
        blocking(applyWorker, () -> stateMachine.apply(batch)).onComplete(ar -> {
            applyInFlight = false;
            if (ar.failed()) {
                fence("applying committed entries failed", ar.cause());
                return;
            }
            onApplied(batch, ar.result());
            maybeApply();
        });
    }

    private void onApplied(List<Entry> batch, List<KvResult> results) {
        Map<Long, KvResult> byIndex = new HashMap<>();
        for (KvResult result : results) {
            byIndex.put(result.index(), result);
        }
        for (Entry entry : batch) {
            PendingChange change = pendingChanges.remove(entry.index());
            if (change != null) {
                if (change.term() == entry.term() && entry.type() == EntryType.CONFIGURATION) {
                    change.promise().tryComplete(change.next());
                } else {
                    change.promise().tryFail(RequestFailure.noLeader(
                            "the membership change was discarded by a leader change; it was not applied", 0));
                }
            }
            PendingProposals.Pending pending = proposals.remove(entry.index());
            if (pending == null) {
                continue;
            }
            KvResult result = byIndex.get(entry.index());
            if (pending.term() == entry.term() && entry.type() == EntryType.COMMAND && result != null) {
                pending.promise().tryComplete(result);
            } else {
                // Another leader's entry took this index: ours was discarded and can never commit.
                pending.promise().tryFail(RequestFailure.noLeader(
                        "the write was discarded by a leader change; it was not applied", node.leaderId()));
            }
        }
        appliedIndex = Math.max(appliedIndex, batch.get(batch.size() - 1).index());
        releaseReads();
        maybeSnapshot();
        publishStatus();
    }

    // ----- snapshots --------------------------------------------------------------------------

    /** Runs on the persist worker: replaces the state machine and the log with the staged snapshot. */
    private void installSnapshot(SnapshotMeta meta) {
        if (staging.completed(meta.index()) == null) {
            throw new IllegalStateException("no complete staged snapshot for index " + meta.index());
        }
        snapshots.install(meta, staging.read());
        staging.clear();
    }

    /**
     * Takes a snapshot when enough was applied or logged since the last one: the state machine is
     * synced through its applied index (the snapshot), then the log before it, less a tail, is
     * dropped — in the core at once, on disk by the persist worker, and its space reclaimed later.
     */
    private void maybeSnapshot() {
        boolean due = appliedIndex - snapshotIndex >= snapshotSettings.snapshotEntries()
                || logBytesSinceSnapshot >= snapshotSettings.snapshotLogBytes();
        if (!due || snapshotInProgress || fenced) {
            return;
        }
        snapshotInProgress = true;
        blocking(snapshotWorker, snapshots::syncStateMachine).onComplete(ar -> {
            snapshotInProgress = false;
            if (ar.failed()) {
                fence("taking a snapshot failed", ar.cause());
                return;
            }
            long synced = ar.result();
            snapshotIndex = synced;
            logBytesSinceSnapshot = 0;
            node.compact(synced - snapshotSettings.logTailEntries());
            long compactedThrough = node.logStartIndex();
            Membership base = node.baseMembership();
            blocking(persistWorker, () -> {
                // The configuration at the new log start must outlive the entries that carried it.
                logStore.saveMembership(base);
                logStore.compact(compactedThrough);
                return null;
            }).compose(v -> blocking(snapshotWorker, () -> {
                reclaimLogSpace.accept(compactedThrough);
                return null;
            })).onFailure(e -> fence("compacting the log failed", e));
            publishStatus();
        });
    }

    /** Streams a consistent image of the state machine to a follower that needs compacted entries. */
    private void sendSnapshot(int peer) {
        if (!snapshotTransfers.add(peer)) {
            return;
        }
        long term = node.term();
        blocking(snapshotWorker, snapshots::openImage).onComplete(opened -> {
            if (opened.failed()) {
                finishTransfer(peer, false, 0, null);
                return;
            }
            SnapshotStore.StateImage image = opened.result();
            long index = image.appliedIndex();
            long snapshotTerm = node.termAt(index);
            if (snapshotTerm < 0 || node.role() != Role.LEADER || node.term() != term) {
                finishTransfer(peer, false, index, image);
                return;
            }
            SnapshotMeta meta = new SnapshotMeta(index, snapshotTerm, node.membershipAt(index));
            LOG.info(() -> "node " + raftConfig.id() + " sends a snapshot through index " + index + " to node " + peer);
            snapshotSender.send(raftConfig.id(), peer, term, meta, image).onComplete(sent -> {
                if (sent.failed()) {
                    LOG.warning(() -> "snapshot to node " + peer + " failed: " + sent.cause().getMessage());
                }
                finishTransfer(peer, sent.succeeded(), index, image);
            });
        });
    }

    private void finishTransfer(int peer, boolean delivered, long index, SnapshotStore.StateImage image) {
        if (image != null) {
            blocking(snapshotWorker, () -> {
                image.close();
                return null;
            });
        }
        snapshotTransfers.remove(peer);
        node.reportSnapshot(peer, delivered, index);
        drive();
    }

    // ----- forwarded writes ---------------------------------------------------------------------

    /**
     * The leader said where it put a forwarded write (or refused it). From here it waits like the
     * leader's own proposals: complete when this node applies the index, if the entry has its term.
     */
    private void onForwarded(ForwardedProposal outcome) {
        PendingProposals.Forwarded pending = proposals.removeForwarded(outcome.requestId());
        if (pending == null) {
            return;
        }
        if (outcome.refused()) {
            // Nothing was appended; the API layer relays the request to the leader for its own answer.
            pending.promise().tryFail(RequestFailure.noLeader("the leader refused the forwarded write",
                    node.leaderId()));
        } else if (outcome.index() <= appliedIndex) {
            // Only if the answer overtook the entry's commit and apply (a reconnect reordered batches).
            pending.promise().tryFail(RequestFailure.outcomeUnknown(
                    "the write was applied before the leader's answer arrived; its result is unknown"));
        } else {
            proposals.add(outcome.index(), outcome.term(), pending.promise(), pending.deadlineNanos());
        }
    }

    // ----- reads ------------------------------------------------------------------------------

    private void confirmRead(ReadState read) {
        PendingRead pending = readsAwaitingConfirmation.remove(read.requestId());
        if (pending == null) {
            return;
        }
        if (appliedIndex >= read.index()) {
            pending.promise().tryComplete(read.index());
        } else {
            readsAwaitingApply.computeIfAbsent(read.index(), i -> new ArrayList<>()).add(pending);
        }
    }

    private void releaseReads() {
        while (!readsAwaitingApply.isEmpty() && readsAwaitingApply.firstKey() <= appliedIndex) {
            Map.Entry<Long, List<PendingRead>> ready = readsAwaitingApply.pollFirstEntry();
            ready.getValue().forEach(r -> r.promise().tryComplete(ready.getKey()));
        }
    }

    private void expireReads(long now) {
        RequestFailure timeout = RequestFailure.noLeader("the read could not be confirmed in time", 0);
        readsAwaitingConfirmation.values().removeIf(r -> expired(r, now, timeout));
        Iterator<List<PendingRead>> lists = readsAwaitingApply.values().iterator();
        while (lists.hasNext()) {
            List<PendingRead> list = lists.next();
            list.removeIf(r -> expired(r, now, timeout));
            if (list.isEmpty()) {
                lists.remove();
            }
        }
    }

    private static boolean expired(PendingRead read, long now, RuntimeException failure) {
        if (now - read.deadlineNanos() > 0) {
            read.promise().tryFail(failure);
            return true;
        }
        return false;
    }

    private void failReads(RuntimeException failure) {
        readsAwaitingConfirmation.values().forEach(r -> r.promise().tryFail(failure));
        readsAwaitingConfirmation.clear();
        readsAwaitingApply.values().forEach(list -> list.forEach(r -> r.promise().tryFail(failure)));
        readsAwaitingApply.clear();
    }

    // ----- failure and status -----------------------------------------------------------------

    /**
     * A storage failure means this node can no longer promise durability. It stops taking part:
     * no ticks, no steps, no acknowledgements, and every waiting request learns its outcome is
     * unknown. An operator restarts it once the disk is healthy; the log on disk is still valid,
     * because nothing is acknowledged that was not synced.
     */
    private void fence(String what, Throwable cause) {
        if (fenced) {
            return;
        }
        fenced = true;
        LOG.log(Level.SEVERE, "node " + raftConfig.id() + " fenced: " + what + ": " + cause.getMessage()
                + " — it no longer acknowledges writes; restart it once storage is healthy", cause);
        RequestFailure failure = RequestFailure.outcomeUnknown("storage failed on this node: " + cause.getMessage());
        proposals.failAll(failure);
        failReads(failure);
        publishStatus();
    }

    private long deadline() {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.clientRequestTimeoutMs());
    }

    /**
     * Publishes a new status only when a field changed: drive() runs for every proposal, peer batch and
     * tick, and building a fresh record with a copied member set each time showed up in the leader's
     * profile ({@code TreeSet.addAll}). The member set is copied only when the membership object
     * (an immutable record) changes.
     */
    private void publishStatus() {
        if (node == null) {
            return;
        }
        NodeStatus current = status;
        Membership membership = node.membership();
        if (current != null && membership.equals(publishedMembership) && current.role() == node.role()
                && current.term() == node.term() && current.leaderId() == node.leaderId()
                && current.commitIndex() == node.commitIndex() && current.appliedIndex() == appliedIndex
                && current.lastLogIndex() == node.lastIndex() && current.fenced() == fenced
                && current.snapshotIndex() == snapshotIndex && current.firstLogIndex() == node.logStartIndex() + 1) {
            return;
        }
        if (!membership.equals(publishedMembership)) {
            publishedMembers = java.util.Collections.unmodifiableSet(membership.all());
            publishedMembership = membership;
            // Addresses of members added at runtime travel in the configuration; the ones this node
            // was started with stay as configured.
            membership.addresses().forEach(directory::putIfAbsent);
        }
        status = new NodeStatus(node.id(), node.role(), node.term(), node.leaderId(), node.commitIndex(), appliedIndex,
                node.lastIndex(), publishedMembers, fenced, snapshotIndex, node.logStartIndex() + 1, membership);
    }
}
