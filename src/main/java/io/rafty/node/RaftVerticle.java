package io.rafty.node;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
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
import io.rafty.raft.message.Message;
import io.rafty.storage.LogStore;
import io.rafty.transport.PeerClient;
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
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
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
                           int clientRequestTimeoutMs, int maxApplyBatchEntries) {
    }

    private final RaftConfig raftConfig;
    private final Membership initialMembership;
    private final LogStore logStore;
    private final KvStateMachine stateMachine;
    private final PeerClient peers;
    private final Settings settings;

    // Everything below is touched only on this verticle's event loop.
    private Context raftContext;
    private RaftNode node;
    private WorkerExecutor persistWorker;
    private WorkerExecutor applyWorker;
    private long tickTimer = -1;
    private boolean readyInFlight;
    private boolean applyInFlight;
    private final ArrayDeque<Entry> applyQueue = new ArrayDeque<>();
    private PendingProposals proposals;
    private final Map<Long, PendingRead> readsAwaitingConfirmation = new HashMap<>();
    private final TreeMap<Long, List<PendingRead>> readsAwaitingApply = new TreeMap<>();
    private long nextReadId = 1;
    private long appliedIndex;
    private Role lastRole = Role.FOLLOWER;
    private boolean fenced;
    private volatile NodeStatus status;
    private Membership publishedMembership;
    private Set<Integer> publishedMembers = Set.of();

    private record PendingRead(Promise<Long> promise, long deadlineNanos) {
    }

    public RaftVerticle(RaftConfig raftConfig, Membership initialMembership, LogStore logStore,
                        KvStateMachine stateMachine, PeerClient peers, Settings settings) {
        this.raftConfig = raftConfig;
        this.initialMembership = initialMembership;
        this.logStore = logStore;
        this.stateMachine = stateMachine;
        this.peers = peers;
        this.settings = settings;
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
        return new RecoveredState(logStore.hardState(), membership, logStore.entries(), stateMachine.appliedIndex());
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
        return Future.all(persistWorker.close(), applyWorker.close());
    }

    // ----- thread-safe entry points -----------------------------------------------------------

    /** The latest published status; safe from any thread. */
    public NodeStatus status() {
        return status;
    }

    /**
     * Proposes a write. Completes with its result once applied here; fails with a
     * {@link RequestFailure} saying whether it may have taken effect.
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
                long index = node.propose(CommandCodec.encode(command));
                proposals.add(index, node.term(), promise, deadline());
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
     * future completes, with the read index, once this leader has confirmed its leadership and
     * applied through that index. Fails with {@link RequestFailure} (NO_LEADER) on a non-leader.
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
                if (message.to() != raftConfig.id() || !node.membership().contains(message.from())) {
                    continue;
                }
                try {
                    node.step(message);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "dropped peer message " + message + ": " + e.getMessage());
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
        drive();
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
        Future<Void> persisted = ready.mustPersist()
                ? blocking(persistWorker, () -> {
                    logStore.save(ready.hardState(), ready.entries());
                    return null;
                })
                : Future.succeededFuture();
        persisted.onComplete(ar -> {
            if (ar.failed()) {
                fence("persisting the log failed", ar.cause());
                return;
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
        if (lastRole == Role.LEADER && soft.role() != Role.LEADER) {
            // Entries this leader appended may still be committed by the next one: we cannot know.
            proposals.failAll(RequestFailure.outcomeUnknown(
                    "leadership was lost before the write was applied; it may still commit"));
            RequestFailure notLeader = RequestFailure.noLeader("leadership was lost before the read was confirmed",
                    soft.leaderId());
            readsAwaitingConfirmation.values().forEach(r -> r.promise().tryFail(notLeader));
            readsAwaitingConfirmation.clear();
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
        appliedIndex = batch.get(batch.size() - 1).index();
        releaseReads();
        publishStatus();
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
        if (current != null && membership == publishedMembership && current.role() == node.role()
                && current.term() == node.term() && current.leaderId() == node.leaderId()
                && current.commitIndex() == node.commitIndex() && current.appliedIndex() == appliedIndex
                && current.lastLogIndex() == node.lastIndex() && current.fenced() == fenced) {
            return;
        }
        if (membership != publishedMembership) {
            publishedMembers = java.util.Collections.unmodifiableSet(membership.all());
            publishedMembership = membership;
        }
        status = new NodeStatus(node.id(), node.role(), node.term(), node.leaderId(), node.commitIndex(), appliedIndex,
                node.lastIndex(), publishedMembers, fenced);
    }
}
