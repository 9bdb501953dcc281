package io.rafty.node;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.Event;
import io.rafty.kv.KeySelector;
import io.rafty.kv.KvResult;
import io.rafty.kv.Lease;
import io.rafty.kv.LeaseTable;
import io.rafty.kv.RevisionUnavailableException;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.ForwardedProposal;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.NotLeaderException;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.PeerProgress;
import io.rafty.raft.ProposalDroppedException;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RaftNode;
import io.rafty.raft.ReadState;
import io.rafty.raft.Ready;
import io.rafty.raft.RecoveredState;
import io.rafty.storage.LogStore;
import io.rafty.raft.Role;
import io.rafty.raft.SnapshotMeta;
import io.rafty.raft.SoftState;
import io.rafty.raft.DeliberateBug;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Message;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * The host policy around one {@link RaftNode}, deterministic and free of Vert.x, threads and clocks:
 * everything a node decides besides Raft itself. Production runs it on the Raft verticle's event loop
 * ({@link RaftVerticle}); the simulator runs the very same class with simulated workers whose tasks
 * finish at seeded random times, so the host's races are replayable seeds.
 *
 * <p>Inputs are events — {@link #tick}, {@link #receive}, client requests ({@link #propose},
 * {@link #readBarrier}, {@link #changeMembership}, {@link #transferLeadership}), and the completion of
 * work it handed out ({@link #completed}, {@link #failed}, {@link #snapshotStreamed}). Outputs are
 * effects on its {@link Host}: messages to send, {@link StorageTask}s to run on a named
 * {@link Worker}, snapshots to stream, statuses to publish, and the answers to requests through their
 * {@link Reply}. Time arrives with the inputs that need it, in nanoseconds of any monotonic clock.
 *
 * <h2>What it decides</h2>
 * <ul>
 *   <li><b>The Ready loop.</b> One Ready in flight: its messages leave at once, its entries and hard
 *       state are persisted (a Ready that only moves the commit index is not synced), then its
 *       after-persist messages leave and its committed entries join the apply queue. Whatever arrives
 *       meanwhile accumulates in the core: group commit without a timer.</li>
 *   <li><b>One writer of the state machine.</b> Applies and snapshot installs run on the same worker,
 *       in order. A Ready that installs a snapshot drops the queued entries it covers (answering their
 *       requests honestly), waits for the batch in flight, installs, and only then persists the rest
 *       of the Ready.</li>
 *   <li><b>Requests.</b> Writes wait for their entry to be applied (on a follower, forwarded through the
 *       core first), reads for a confirmed ReadIndex and its apply, membership changes and transfers
 *       for their effect. Every request is answered exactly once, with what is known of its effect
 *       ({@link RequestFailure.Kind}); limits give 503 at once.</li>
 *   <li><b>Snapshots.</b> When to take one and compact the log, streaming one to a follower that needs
 *       it, staging and declining incoming ones.</li>
 *   <li><b>Fencing.</b> A storage failure or a broken invariant in the core stops the node: one SEVERE
 *       line, every waiting request answered, nothing acknowledged again until a restart.</li>
 *   <li><b>Identity.</b> Every batch carries its sender's {@link PeerIdentity}; batches of another
 *       cluster are refused with one log line. The leader binds each member to the storage it hears
 *       from ({@link Membership#counts}), and a member that comes back on new storage is replaced by
 *       two single-server changes: demoted to a learner bound to the new storage, rebuilt by appends
 *       or a snapshot, promoted once caught up.</li>
 * </ul>
 *
 * <p>Not thread-safe: one thread owns it (see {@code package-info.java}).
 */
public final class NodeDriver {

    private static final Logger LOG = Logger.getLogger(NodeDriver.class.getName());

    /** The workers a host provides; each runs its tasks one at a time, in the order given. */
    public enum Worker {
        /** The log and hard state: every synced write of the Raft log. */
        PERSIST,
        /** The state machine's only writer: applies and snapshot installs. */
        STATE_MACHINE,
        /** Syncing the state machine, reclaiming log space, the staging area of incoming snapshots. */
        SNAPSHOT,
        /** Reads of the state machine beside its writer: history pages for catching-up watchers. */
        READ
    }

    /** What the driver asks of the world around it. Every method is called on the driver's thread. */
    public interface Host {

        /** Sends {@code messages} to their peers, stamped with {@link NodeDriver#identity()}; may lose them. */
        void send(List<Message> messages);

        /** Runs {@code task} on {@code worker} after the tasks given to it before, then reports it back. */
        void execute(Worker worker, StorageTask task);

        /**
         * Streams a consistent image of the state machine to {@code peer}: opens the image, asks
         * {@link NodeDriver#snapshotToSend} for its metadata (null: abandon), sends it, and reports with
         * {@link NodeDriver#snapshotStreamed}.
         */
        void streamSnapshot(int peer, long term);

        /** The node's status changed. */
        void publish(NodeStatus status);
    }

    /** Observes what the driver does, for the simulator's invariant checks; production passes {@link #NONE}. */
    public interface Listener {

        Listener NONE = new Listener() {
        };

        /** A Ready was taken from the core, before any of it is carried out. */
        default void readyTaken(Ready ready) {
        }

        /** The node fenced itself. */
        default void fenced(String reason, Throwable cause) {
        }
    }

    /**
     * Host-side limits and timing that the core does not know about.
     *
     * @param maxPendingProposals        writes waiting (placed or forwarded) before new ones get 503
     * @param maxPendingReads            reads waiting for confirmation before new ones get 503
     * @param requestTimeoutNanos        how long a request may wait before its outcome is declared unknown
     * @param maxApplyBatchEntries       entries in one apply task
     * @param maxApplyQueueBytes         committed entries queued for the state machine, in bytes; beyond it
     *                                   the core keeps further committed entries until there is room
     * @param maxForwardedBytes          payload bytes a follower may have forwarded without an answer
     * @param learnerPromotionLagEntries a learner added for automatic promotion becomes a voter this close
     */
    public record Settings(int maxPendingProposals, int maxPendingReads, long requestTimeoutNanos,
                           int maxApplyBatchEntries, long maxApplyQueueBytes, long maxForwardedBytes,
                           long learnerPromotionLagEntries) {
    }

    /**
     * When to snapshot and how much log to keep.
     *
     * @param snapshotEntries  take a snapshot once this many entries were applied since the last one
     *                         (0: never by count)
     * @param snapshotLogBytes ... or once this many log bytes were written since the last one (0: never)
     * @param logTailEntries   entries kept after the snapshot point, so slightly slow followers catch
     *                         up from the log rather than by a whole snapshot
     */
    public record SnapshotSettings(long snapshotEntries, long snapshotLogBytes, long logTailEntries) {
    }

    /**
     * How much history to keep, and the watchers' limits.
     *
     * @param retentionRevisions      the leader compacts history older than this many revisions (0: no bound)
     * @param retentionNanos          ... and older than this (0: no bound); both 0 turns automatic
     *                                compaction off, as etcd's default is
     * @param compactionIntervalNanos how often the leader checks whether to compact
     * @param purgeBatchRecords       history records one purge step looks at
     * @param watch                   the watchers' limits
     */
    public record HistorySettings(long retentionRevisions, long retentionNanos, long compactionIntervalNanos,
                                  int purgeBatchRecords, WatchHub.Settings watch) {

        /** No automatic compaction; generous watch limits. For tests that do not care. */
        public static final HistorySettings UNBOUNDED = new HistorySettings(0, 0, 1_000_000_000L, 1000,
                new WatchHub.Settings(10_000, 8L << 20, 1000));

        public HistorySettings {
            if (retentionRevisions < 0 || retentionNanos < 0 || compactionIntervalNanos < 1 || purgeBatchRecords < 1) {
                throw new IllegalArgumentException("history settings must not be negative (and the interval and"
                        + " purge batch positive)");
            }
        }
    }

    /** How often each node notes its applied index, for the leader's time-based compaction. */
    private static final long RETENTION_SAMPLE_NANOS = 1_000_000_000L;

    private final RaftConfig config;
    private final Settings settings;
    private final HistorySettings history;
    private final SnapshotSettings snapshotSettings;
    private final Host host;
    private final Listener listener;
    private final long storageId;
    private final RaftNode node;

    /** The Ready being carried out, or null. */
    private Ready inFlight;
    private final ArrayDeque<Entry> applyQueue = new ArrayDeque<>();
    private long applyQueueBytes;
    /** An apply or an install is running on the state-machine worker. */
    private boolean stateMachineBusy;
    /** The snapshot the Ready in flight installs, once the state machine is free; null otherwise. */
    private SnapshotMeta installWaiting;
    /** The core accepted a staged snapshot that is not installed yet: the staging must not be discarded. */
    private boolean stagedSnapshotClaimed;
    private boolean snapshotInProgress;
    private boolean compactionInFlight;

    private final PendingProposals proposals;
    private long nextForwardId = 1;
    private final PendingReads reads = new PendingReads();
    private final Reconfigurations reconfigurations;

    private long appliedIndex;
    private long snapshotIndex;
    private long logBytesSinceSnapshot;
    /** The hard state last synced to the log (term and vote are what must never go back). */
    private HardState durableHardState;
    private final Set<Integer> snapshotTransfers = new TreeSet<>();
    private Role lastRole;
    private boolean lastCountedAsItself;
    private boolean fenced;
    private boolean stopped;
    private final Set<String> refusedClusters = new HashSet<>();

    private NodeStatus status;
    private Membership publishedMembership;
    private Set<Integer> publishedMembers = Set.of();

    private final WatchHub watches;
    /** Revisions below this are compacted, as this node has applied it. */
    private long compactRevision;
    /**
     * History records below the compact revision may remain: the purge has work (it runs when idle).
     * At open that is so whenever anything was ever compacted: a purge may have stopped part way.
     */
    private boolean purgePending;
    /** The leader proposed a compaction that has not been answered yet. */
    private boolean compactionProposed;
    /**
     * The newest revision with a change, as far as this node knows (its applied index at start and after
     * an install, where it cannot tell). Compactions go no further than just past it: compacting an idle
     * store again would only append a compaction entry, which would move the bound and call for another.
     */
    private long lastChangeRevision;
    private long lastCompactionCheckNanos = Long.MIN_VALUE;
    private long lastIdempotencyPurgeNanos = Long.MIN_VALUE;
    private LeaseTable leaseTable = LeaseTable.EMPTY;
    private LeaseClock leases = new LeaseClock(new LeaseClock.Settings(0, 0, true), List::of);
    /** The latest time an input brought: applies and confirmations happen "now" by it. */
    private long nowNanos;
    /** (time, applied index) notes, oldest first, for time-based retention. */
    private final ArrayDeque<long[]> appliedSamples = new ArrayDeque<>();

    /**
     * What a node boots from: its log store's hard state, log and storage id, the state machine's applied
     * index, and the store's membership — or {@code initial} for a store that has none yet, saved so that a
     * restart finds it there. Both hosts (the Vert.x one and the simulator's) recover through this.
     */
    public static RecoveredState recover(LogStore log, Membership initial, long appliedIndex) {
        Membership membership = log.membership();
        if (membership == null) {
            membership = initial;
            log.saveMembership(membership);
        }
        return new RecoveredState(log.hardState(), membership, log.logStartIndex(), log.logStartTerm(), log.entries(),
                appliedIndex, log.storageId());
    }

    /** A driver with unbounded history and default watch limits over a store with nothing compacted. */
    public NodeDriver(RaftConfig config, RecoveredState recovered, RandomGenerator random,
                      Settings settings, SnapshotSettings snapshotSettings, Host host, Listener listener) {
        this(config, recovered, 0, random, settings, snapshotSettings, HistorySettings.UNBOUNDED, host, listener);
    }

    /**
     * @param recovered       what the node's storage held at open, its storage id included
     * @param compactRevision the state machine's compact revision at open
     * @param random          the core's randomness (election timeouts, the founding cluster id)
     */
    public NodeDriver(RaftConfig config, RecoveredState recovered, long compactRevision, RandomGenerator random,
                      Settings settings, SnapshotSettings snapshotSettings, HistorySettings history, Host host,
                      Listener listener) {
        this.config = config;
        this.settings = settings;
        this.snapshotSettings = snapshotSettings;
        this.history = history;
        this.host = host;
        this.listener = listener;
        this.storageId = recovered.storageId();
        this.node = new RaftNode(config, recovered, random);
        this.proposals = new PendingProposals(settings.maxPendingProposals());
        this.reconfigurations = new Reconfigurations(node, settings.requestTimeoutNanos(),
                settings.learnerPromotionLagEntries());
        this.appliedIndex = recovered.appliedIndex();
        this.snapshotIndex = recovered.logStartIndex();
        this.durableHardState = recovered.hardState();
        this.lastRole = node.role();
        this.lastCountedAsItself = node.countsAsItself();
        this.compactRevision = compactRevision;
        this.purgePending = compactRevision > 0;
        this.lastChangeRevision = appliedIndex;
        Set<DeliberateBug> bugs = new HashSet<>();
        for (DeliberateBug bug : DeliberateBug.values()) {
            if (config.has(bug)) {
                bugs.add(bug);
            }
        }
        this.watches = new WatchHub(history.watch(), this::readHistory, appliedIndex, compactRevision, bugs);
        publishStatus();
    }

    /**
     * Serves leases from {@code table} (the state machine's, as last applied). The leader checkpoints
     * long leases every {@code checkpointIntervalNanos}; a new leader extends every lease by one longest
     * election timeout, which is {@code tickNanos} (the host's tick interval) times the configured ticks.
     * Without this call the node has no leases.
     */
    public void useLeases(LeaseTable table, long checkpointIntervalNanos, long tickNanos) {
        this.leaseTable = table;
        long extensionNanos = config.electionTimeoutTicksMax() * tickNanos;
        this.leases = new LeaseClock(new LeaseClock.Settings(checkpointIntervalNanos, extensionNanos,
                !config.has(DeliberateBug.LEASES_NOT_EXTENDED_ON_ELECTION)), table::leases);
        if (node.role() == Role.LEADER) {
            leases.becameLeader(nowNanos);
        }
    }

    // ----- observation --------------------------------------------------------------------------

    /** The identity this node's peer batches carry. */
    public PeerIdentity identity() {
        return node.identity();
    }

    /** The latest status (also handed to {@link Host#publish} whenever it changes). */
    public NodeStatus status() {
        return status;
    }

    /** The Raft core, for inspection by tests and the simulator's checks; never drive it directly. */
    public RaftNode raft() {
        return node;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    public boolean isFenced() {
        return fenced;
    }

    /** Revisions below this are compacted here. */
    public long compactRevision() {
        return compactRevision;
    }

    /** How many watchers this node serves. */
    public int watchers() {
        return watches.size();
    }

    /**
     * The last {@code limit} entries of this node's log, newest first (fewer when the log holds fewer since
     * its last compaction). The log is in memory, so this reads no storage; the entries are the log's own
     * (immutable) records, handed out without copying their payloads.
     */
    public List<Entry> recentEntries(int limit) {
        long last = node.lastIndex();
        long first = Math.max(node.logStartIndex() + 1, last - Math.max(0, limit) + 1);
        List<Entry> entries = new ArrayList<>((int) Math.max(0, last - first + 1));
        for (long index = last; index >= first; index--) {
            entries.add(node.entryAt(index));
        }
        return entries;
    }

    /** The leader's view of every member; empty on a non-leader. */
    public List<PeerProgress> progress() {
        return node.progress();
    }

    // ----- inputs: time and peers ---------------------------------------------------------------

    /** One tick of logical time; {@code nowNanos} expires requests. */
    public void tick(long nowNanos) {
        if (fenced || stopped) {
            return;
        }
        this.nowNanos = nowNanos;
        node.tick();
        proposals.expire(nowNanos);
        reads.expire(nowNanos, RequestFailure.noLeader("the read was not served within the request timeout", 0));
        reconfigurations.tick(nowNanos);
        watches.tick(nowNanos);
        maybeCompactHistory(nowNanos);
        maybePurgeIdempotencyTable(nowNanos);
        expireLeases(nowNanos);
        drive();
    }

    /** The leader proposes a revoke for every lease past its deadline, and its checkpoints when due. */
    private void expireLeases(long nowNanos) {
        if (node.role() != Role.LEADER) {
            return;
        }
        for (long id : leases.expired(nowNanos)) {
            Reply<KvResult> expiry = ownReply(() -> { }, failure -> leases.expiryFailed(id));
            if (proposeOwn(new Command.LeaseRevoke(id), expiry) != null) {
                leases.expiryFailed(id);
            } else {
                LOG.fine(() -> "node " + config.id() + " expires lease " + id);
            }
        }
        List<Lease> checkpoints = leases.checkpoints(nowNanos);
        if (!checkpoints.isEmpty()) {
            // A lost checkpoint only leaves the previous one in place: the next interval writes another.
            proposeOwn(new Command.LeaseCheckpoint(checkpoints), ownReply(() -> { }, failure -> { }));
        }
    }

    /**
     * Proposes a command of the node's own (a compaction, a lease's expiry or checkpoint), answered to
     * {@code reply} once applied here like a client's write. Returns null when it was appended, else why
     * not (nothing was appended, and {@code reply} is not called).
     */
    private RequestFailure proposeOwn(Command command, Reply<KvResult> reply) {
        if (proposals.isFull()) {
            return new RequestFailure(RequestFailure.Kind.OVERLOADED,
                    "too many pending writes (" + settings.maxPendingProposals() + ")", node.leaderId());
        }
        try {
            long index = node.propose(CommandCodec.encode(command));
            proposals.add(index, node.term(), reply, nowNanos + settings.requestTimeoutNanos());
            return null;
        } catch (NotLeaderException e) {
            return RequestFailure.noLeader(e.getMessage(), e.leaderId());
        } catch (ProposalDroppedException e) {
            return new RequestFailure(RequestFailure.Kind.OVERLOADED, e.getMessage(), node.leaderId());
        }
    }

    /** A reply for a command of the node's own, whose result is not needed: only that it applied, or failed. */
    private static Reply<KvResult> ownReply(Runnable onApplied,
                                            java.util.function.Consumer<RuntimeException> onFailure) {
        return new Reply<>() {
            @Override
            public void succeed(KvResult result) {
                onApplied.run();
            }

            @Override
            public void fail(RuntimeException failure) {
                onFailure.accept(failure);
            }
        };
    }

    /** What a keepalive found: the lease it renewed, or null when there is no such lease (or it is ending). */
    public record KeepAlive(Lease lease) {
    }

    /**
     * Renews lease {@code id} for its TTL from now. Only the leader does, after confirming with a quorum
     * that it still leads (a ReadIndex round, shared with the reads waiting at that moment); elsewhere
     * it fails with NO_LEADER and the leader's id, and the API relays it. A lease checkpointed since its
     * last keepalive is first cleared through the log (see {@link LeaseClock}).
     */
    public void keepAlive(long id, Reply<KeepAlive> reply, long nowNanos) {
        this.nowNanos = nowNanos;
        if (refuseWhenDown(reply)) {
            return;
        }
        if (node.role() != Role.LEADER) {
            reply.fail(RequestFailure.noLeader("keepalives are served by the leader", node.leaderId()));
            return;
        }
        Lease lease = leaseTable.lease(id);
        if (lease == null || leases.expiring(id)) {
            reply.succeed(new KeepAlive(null));
            return;
        }
        long arrived = nowNanos;
        if (lease.remainingMs() == Lease.NO_CHECKPOINT) {
            confirmKeepAlive(id, arrived, reply);
        } else {
            // Checkpointed since its last keepalive: the checkpoint is cleared through the log first.
            RequestFailure refused = proposeOwn(new Command.LeaseCheckpoint(
                    List.of(lease.withRemaining(Lease.NO_CHECKPOINT))),
                    ownReply(() -> confirmKeepAlive(id, arrived, reply), reply::fail));
            if (refused != null) {
                reply.fail(refused);
            }
        }
        drive();
    }

    private void confirmKeepAlive(long id, long arrivedNanos, Reply<KeepAlive> reply) {
        if (reads.waiting() >= settings.maxPendingReads()) {
            reply.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED,
                    "too many pending reads (" + settings.maxPendingReads() + ")", node.leaderId()));
            return;
        }
        long readId = reads.add(new Reply<>() {
            @Override
            public void succeed(Long index) {
                Lease lease = leaseTable.lease(id);
                if (lease == null || leases.expiring(id) || !leases.leading()) {
                    reply.succeed(new KeepAlive(null));
                    return;
                }
                leases.renewed(lease, arrivedNanos);
                reply.succeed(new KeepAlive(lease));
            }

            @Override
            public void fail(RuntimeException failure) {
                reply.fail(failure);
            }
        }, nowNanos + settings.requestTimeoutNanos());
        try {
            node.readIndex(readId);
        } catch (NotLeaderException e) {
            reads.forget(readId);
            reply.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
        }
    }

    /** What the leader knows of a lease: the lease and the time it has left, or null lease when none. */
    public record LeaseInfo(Lease lease, long remainingNanos) {
    }

    /** Lease {@code id} with its remaining time; the leader's alone (elsewhere NO_LEADER). */
    public void leaseInfo(long id, Reply<LeaseInfo> reply, long nowNanos) {
        this.nowNanos = nowNanos;
        if (refuseWhenDown(reply)) {
            return;
        }
        if (node.role() != Role.LEADER) {
            reply.fail(RequestFailure.noLeader("lease deadlines are kept by the leader", node.leaderId()));
            return;
        }
        Lease lease = leaseTable.lease(id);
        reply.succeed(new LeaseInfo(lease, lease == null ? -1 : leases.remainingNanos(id, nowNanos)));
    }

    /**
     * Every node removes the idempotency entries whose window has passed, with the history purge, once
     * every compaction interval (the entries stop counting at their window's end whether or not they are
     * removed yet: the purge only frees the space).
     */
    private void maybePurgeIdempotencyTable(long nowNanos) {
        if (lastIdempotencyPurgeNanos != Long.MIN_VALUE
                && nowNanos - lastIdempotencyPurgeNanos < history.compactionIntervalNanos()) {
            return;
        }
        lastIdempotencyPurgeNanos = nowNanos;
        purgePending = true;
        runStateMachine();
    }

    /**
     * Steps a batch of peer messages that {@code sender} stamped with its identity. Messages addressed
     * to another node, or from a node outside this node's configuration that does not carry this
     * cluster's id, are dropped; a batch of another cluster is refused
     * with one log line per peer and cluster; malformed-but-decodable ones are dropped with a warning;
     * one that breaks an invariant of the core fences the node.
     */
    public void receive(PeerIdentity sender, List<Message> messages) {
        if (fenced || stopped) {
            return;
        }
        for (Message message : messages) {
            if (fenced) {
                return;
            }
            int from = message.from();
            // A sender outside this node's configuration is stepped only when it carries a cluster id,
            // this node's or any if this node knows none yet: a member added after this node's
            // configuration was written (it may even lead), or the leader of the cluster a brand-new
            // node was added to; their appends are how this node learns of them. A sender without a
            // cluster id that is not a member is a stranger, and is dropped.
            boolean member = message.to() == config.id() && (node.membership().contains(from)
                    || (sender.clusterId() != 0 && (node.clusterId() == 0 || sender.clusterId() == node.clusterId())));
            boolean stepped = false;
            long logStartBefore = node.logStartIndex();
            if (member && !observe(from, sender)) {
                if (message instanceof InstallSnapshot && !stagedSnapshotClaimed) {
                    // Another cluster's snapshot was staged by the time its last chunk arrived: free the
                    // staging area, or this cluster's own leader could never stage one again.
                    host.execute(Worker.SNAPSHOT, discard((InstallSnapshot) message));
                }
                return;
            }
            if (member) {
                try {
                    node.step(message);
                    stepped = true;
                } catch (IllegalArgumentException e) {
                    LOG.log(Level.WARNING, "node " + config.id() + " dropped peer message " + message + ": "
                            + e.getMessage());
                } catch (RuntimeException e) {
                    fence("a message from node " + from + " broke an invariant of the Raft core", e);
                    return;
                }
            }
            if (message instanceof InstallSnapshot) {
                if (stepped && node.logStartIndex() != logStartBefore) {
                    stagedSnapshotClaimed = true;
                } else if (!stagedSnapshotClaimed) {
                    // Dropped or declined (stale, or already in our log), and no install waits for the
                    // staged data: free the staging area, which holds one complete snapshot at a time.
                    host.execute(Worker.SNAPSHOT, discard((InstallSnapshot) message));
                }
            }
        }
        noticeIdentity();
        drive();
    }

    private static StorageTask.DiscardStagedSnapshot discard(InstallSnapshot declined) {
        return new StorageTask.DiscardStagedSnapshot(declined.from(), declined.term(), declined.snapshotIndex(),
                declined.snapshotTerm());
    }

    private boolean observe(int from, PeerIdentity sender) {
        switch (node.observe(from, sender)) {
            case ACCEPTED -> {
                return true;
            }
            case STORAGE_REPLACED -> {
                LOG.warning(() -> "node " + config.id() + ": node " + from + " is back on new storage (storage id "
                        + Long.toHexString(sender.storageId()) + "): forgetting what it held; it will be replaced by a"
                        + " learner on that storage, rebuilt from this leader, and promoted once caught up");
                return true;
            }
            case OTHER_CLUSTER -> {
                if (refusedClusters.add(from + "/" + sender.clusterId())) {
                    LOG.warning(() -> "node " + config.id() + " refuses messages from node " + from + ": it belongs to"
                            + " cluster " + Long.toHexString(sender.clusterId()) + ", this node to cluster "
                            + Long.toHexString(node.clusterId()));
                }
                return false;
            }
        }
        throw new AssertionError();
    }

    /** Logs the moments this node stops, or starts again, being the member its id names. */
    private void noticeIdentity() {
        boolean counted = node.countsAsItself();
        if (counted == lastCountedAsItself) {
            return;
        }
        lastCountedAsItself = counted;
        if (!counted) {
            LOG.warning(() -> "node " + config.id() + ": the configuration binds this id to other storage, so this"
                    + " node (storage id " + Long.toHexString(storageId) + ") is taken for a new server: it neither"
                    + " votes nor counts toward a quorum until the leader has rebuilt it and bound the id to it");
        } else {
            LOG.info(() -> "node " + config.id() + " is bound to its storage again; it votes and counts toward"
                    + " quorums");
        }
    }

    // ----- inputs: client requests --------------------------------------------------------------

    /**
     * Proposes a write: on the leader into its log, on a follower by forwarding it to the leader through
     * the core. Answered with its result once applied here (a follower applies the same entries, so its
     * answer is the leader's).
     */
    public void propose(byte[] payload, Reply<KvResult> reply, long nowNanos) {
        this.nowNanos = nowNanos;
        if (refuseWhenDown(reply)) {
            return;
        }
        if (proposals.isFull()) {
            reply.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED,
                    "too many pending writes (" + settings.maxPendingProposals() + ")", node.leaderId()));
            return;
        }
        try {
            if (node.role() == Role.LEADER) {
                long index = node.propose(payload);
                proposals.add(index, node.term(), reply, nowNanos + settings.requestTimeoutNanos());
            } else {
                if (proposals.forwardedCount() > 0
                        && proposals.forwardedBytes() + payload.length > settings.maxForwardedBytes()) {
                    reply.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED, "too many bytes of writes forwarded"
                            + " to the leader and not yet answered (" + settings.maxForwardedBytes() + ")",
                            node.leaderId()));
                    return;
                }
                long requestId = nextForwardId++;
                node.forwardProposal(requestId, payload);
                proposals.addForwarded(requestId, reply, nowNanos + settings.requestTimeoutNanos(), payload.length);
            }
        } catch (NotLeaderException e) {
            reply.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
        } catch (ProposalDroppedException e) {
            reply.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED, e.getMessage(), node.leaderId()));
        }
        drive();
    }

    /**
     * Waits until a linearizable read may be served from the local state machine (ReadIndex): answered
     * with the read index once the leader has confirmed its leadership (itself, or asked by this
     * follower) and this node has applied through it. Fails with NO_LEADER when no leader is known, or
     * when the leader changes before it confirmed the read.
     */
    public void readBarrier(Reply<Long> reply, long nowNanos) {
        if (refuseWhenDown(reply)) {
            return;
        }
        if (reads.waiting() >= settings.maxPendingReads()) {
            reply.fail(new RequestFailure(RequestFailure.Kind.OVERLOADED,
                    "too many pending reads (" + settings.maxPendingReads() + ")", node.leaderId()));
            return;
        }
        long id = reads.add(reply, nowNanos + settings.requestTimeoutNanos());
        try {
            node.readIndex(id);
        } catch (NotLeaderException e) {
            reads.forget(id);
            reply.fail(RequestFailure.noLeader(e.getMessage(), e.leaderId()));
        }
        drive();
    }

    /**
     * Proposes the configuration {@code change} computes from the current one (which it may refuse by
     * throwing {@link io.rafty.raft.MembershipChangeException} or {@link IllegalArgumentException}).
     * Answered with the new configuration once its entry is applied here; a change that returns the
     * current configuration unchanged is answered at once (an idempotent request).
     */
    public void changeMembership(UnaryOperator<Membership> change, Reply<Membership> reply, long nowNanos) {
        if (refuseWhenDown(reply)) {
            return;
        }
        reconfigurations.change(change, reply, nowNanos);
        drive();
    }

    /** Hands leadership to {@code target}; answered when this node sees it lead. */
    public void transferLeadership(int target, Reply<Void> reply) {
        if (refuseWhenDown(reply)) {
            return;
        }
        reconfigurations.transfer(target, reply);
        drive();
    }

    // ----- inputs: watches ----------------------------------------------------------------------

    /**
     * Starts a watch (DESIGN §4): its {@link WatchMessage.Created} is sent before this returns. For a
     * start of {@code now}, the caller takes a read barrier first, so that the created revision covers
     * every write acknowledged before the request.
     *
     * @return the watch's id, for {@link #cancelWatch} and {@link #watchWritable}
     * @throws RequestFailure                when the node is down or serves its maximum of watchers
     * @throws RevisionUnavailableException when the start is older than the kept history
     */
    public long watch(WatchRequest request, WatchHub.Subscriber subscriber, long nowNanos) {
        if (fenced) {
            throw new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "storage failed on this node", 0);
        }
        if (stopped) {
            throw new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "the node is shutting down", 0);
        }
        long id = watches.add(request, subscriber, nowNanos);
        publishStatus();
        return id;
    }

    /** The watcher went away (its connection closed). */
    public void cancelWatch(long id) {
        watches.remove(id);
        publishStatus();
    }

    /**
     * The applied revision if every watch of {@code ids} has been handed every matching change through it
     * ({@link WatchHub#syncedThrough}), else -1: what an etcd WatchProgressRequest may promise.
     */
    public long watchesSyncedThrough(List<Long> ids) {
        for (long id : ids) {
            if (watches.syncedThrough(id) < 0) {
                return -1;
            }
        }
        return status().appliedIndex();
    }

    /** The subscriber of watch {@code id} is no longer congested. */
    public void watchWritable(long id) {
        watches.writable(id);
    }

    private void readHistory(long watchId, KeySelector selector, long from, long to, int maxEvents, boolean withPrev) {
        host.execute(Worker.READ, new StorageTask.ReadHistory(watchId, selector, from, to, maxEvents, withPrev));
    }

    /**
     * The leader keeps the history within its retention: every {@code compactionIntervalNanos} it
     * proposes a compaction to the newest revision outside both bounds (revisions behind the applied
     * index, and time since this node applied it), in steps of a tenth of the revision bound (so between
     * R and 1.1 R revisions are kept), and never past the newest change. Every node notes its applied
     * index once a second, so a new leader can compact by time as soon as it has led for the retention.
     */
    private void maybeCompactHistory(long nowNanos) {
        if (history.retentionNanos() > 0 && (appliedSamples.isEmpty()
                || nowNanos - appliedSamples.peekLast()[0] >= RETENTION_SAMPLE_NANOS)) {
            appliedSamples.addLast(new long[] {nowNanos, appliedIndex});
        }
        if (node.role() != Role.LEADER || compactionProposed
                || (history.retentionRevisions() == 0 && history.retentionNanos() == 0)
                || (lastCompactionCheckNanos != Long.MIN_VALUE
                        && nowNanos - lastCompactionCheckNanos < history.compactionIntervalNanos())) {
            return;
        }
        lastCompactionCheckNanos = nowNanos;
        long target = 0;
        if (history.retentionRevisions() > 0) {
            target = appliedIndex - history.retentionRevisions();
        }
        if (history.retentionNanos() > 0) {
            long[] old = null;
            // The newest note older than the retention is the target; the ones before it are no longer needed.
            while (!appliedSamples.isEmpty() && nowNanos - appliedSamples.peekFirst()[0] >= history.retentionNanos()) {
                old = appliedSamples.pollFirst();
            }
            if (old != null) {
                appliedSamples.addFirst(old);
                target = Math.max(target, old[1]);
            }
        }
        target = Math.min(target, lastChangeRevision + 1);
        // Compact in steps of a tenth of the kept revisions: each compaction is itself an entry, so compacting
        // for every new revision would write one entry per check forever, even on an idle store.
        long step = history.retentionRevisions() > 0 ? Math.max(1, history.retentionRevisions() / 10) : 1;
        if (target - compactRevision < step) {
            return;
        }
        long revision = target;
        RequestFailure refused = proposeOwn(new Command.Compact(revision),
                ownReply(() -> compactionProposed = false, failure -> compactionProposed = false));
        if (refused == null) {
            compactionProposed = true;
            LOG.fine(() -> "node " + config.id() + " proposes compacting history before revision " + revision);
        }
        // Otherwise not leading any more, or the log is full: the next check tries again.
    }

    private boolean refuseWhenDown(Reply<?> reply) {
        if (fenced) {
            reply.fail(new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "storage failed on this node", 0));
            return true;
        }
        if (stopped) {
            reply.fail(new RequestFailure(RequestFailure.Kind.UNAVAILABLE, "the node is shutting down", 0));
            return true;
        }
        return false;
    }

    /**
     * Stops for good: every waiting request is answered (writes and admin changes with "outcome
     * unknown": they may still commit elsewhere) and nothing new is accepted.
     */
    public void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        failEverything(RequestFailure.outcomeUnknown("the node is shutting down"));
        watches.cancelAll(WatchMessage.Reason.SHUTDOWN);
        publishStatus();
    }

    // ----- the Ready loop -----------------------------------------------------------------------

    /**
     * Takes the next Ready when none is in flight. One persist at a time: whatever arrives meanwhile
     * (proposals, acknowledgements) accumulates in the node and leaves in the next Ready — one synced
     * write for many client writes (group commit).
     */
    private void drive() {
        if ((inFlight != null && !config.asyncStorageWrites()) || fenced || stopped) {
            publishStatus();
            return;
        }
        if (inFlight == null) {
            node.limitApply(settings.maxApplyQueueBytes() - applyQueueBytes);
        }
        if (!node.hasReady()) {
            publishStatus();
            return;
        }
        Ready ready;
        try {
            ready = node.ready();
        } catch (RuntimeException e) {
            fence("the Raft core broke an invariant", e);
            return;
        }
        if (inFlight != null) {
            carryOutLight(ready);
            return;
        }
        inFlight = ready;
        carryOutNow(ready);
        for (Entry entry : ready.entries()) {
            logBytesSinceSnapshot += entry.sizeBytes();
        }
        SnapshotMeta install = ready.snapshot();
        if (install == null) {
            persist(ready);
        } else if (config.has(DeliberateBug.HOST_INSTALL_BESIDE_APPLY)) {
            // The old, broken way: installed on the persist worker, beside whatever the apply worker
            // is doing, with the queued entries left in place.
            host.execute(Worker.PERSIST, new StorageTask.InstallSnapshot(install));
        } else {
            dropEntriesCoveredBy(install.index());
            installWaiting = install;
            runStateMachine();
        }
    }

    /**
     * A light Ready, taken while the Ready in flight is being persisted ({@link RaftConfig#asyncStorageWrites()}):
     * it holds nothing to persist or apply, so it is carried out and advanced at once.
     */
    private void carryOutLight(Ready ready) {
        carryOutNow(ready);
        node.advance(ready);
        publishStatus();
    }

    /**
     * What every Ready, full or light, asks for before any persist: the role change, the messages that
     * promise nothing durable, confirmed reads, forwarded commands' outcomes and snapshots to send.
     */
    private void carryOutNow(Ready ready) {
        listener.readyTaken(ready);
        if (ready.softState() != null) {
            onSoftState(ready.softState());
        }
        host.send(ready.messages());
        for (ReadState read : ready.readStates()) {
            reads.confirmed(read.requestId(), read.index(), appliedIndex);
        }
        for (ForwardedProposal outcome : ready.forwardedProposals()) {
            onForwarded(outcome);
        }
        for (int peer : ready.peersNeedingSnapshot()) {
            sendSnapshot(peer);
        }
    }

    /** Persists the Ready in flight (its snapshot, if any, is installed by now), or finishes it at once. */
    private void persist(Ready ready) {
        HardState hard = ready.hardState();
        // A Ready whose only durable change is a higher commit index needs no fsync: the commit index is a
        // restart hint (recovery takes max(commit, applied), and the leader re-teaches it), never a promise
        // made to a peer. Skipping it takes one fsync off every write's path.
        boolean onlyCommitMoved = ready.entries().isEmpty() && hard != null && hard.sameButCommit(durableHardState);
        if ((hard == null && ready.entries().isEmpty()) || onlyCommitMoved) {
            finishReady(ready);
            return;
        }
        host.execute(Worker.PERSIST, new StorageTask.Persist(hard, ready.entries()));
    }

    private void finishReady(Ready ready) {
        host.send(ready.messagesAfterPersist());
        for (Entry entry : ready.committedEntries()) {
            applyQueue.add(entry);
            applyQueueBytes += entry.sizeBytes();
        }
        node.advance(ready);
        inFlight = null;
        noticeIdentity();
        runStateMachine();
        drive();
    }

    // ----- completions --------------------------------------------------------------------------

    /** A task given to {@link Host#execute} is done; {@code result} is what its kind says. */
    @SuppressWarnings("unchecked")
    public void completed(StorageTask task, Object result) {
        if (fenced || stopped) {
            return;
        }
        switch (task.kind()) {
            case PERSIST -> {
                StorageTask.Persist persist = (StorageTask.Persist) task;
                if (persist.hardState() != null) {
                    durableHardState = persist.hardState();
                }
                finishReady(inFlight);
            }
            case APPLY -> onApplied(((StorageTask.Apply) task).entries(), (List<KvResult>) result);
            case INSTALL_SNAPSHOT -> onInstalled(((StorageTask.InstallSnapshot) task).meta(), (Long) result);
            case TAKE_SNAPSHOT -> onSnapshotTaken((Long) result);
            case COMPACT_LOG -> {
                compactionInFlight = false;
                host.execute(Worker.SNAPSHOT, new StorageTask.ReclaimLogSpace(((StorageTask.CompactLog) task)
                        .throughIndex()));
                runStateMachine();
            }
            case READ_HISTORY -> watches.historyRead(((StorageTask.ReadHistory) task).watchId(), result);
            case PURGE_HISTORY -> {
                stateMachineBusy = false;
                purgePending = (Integer) result >= ((StorageTask.PurgeHistory) task).maxRecords();
                runStateMachine();
                drive();
            }
            case RECLAIM_LOG_SPACE, DISCARD_STAGED_SNAPSHOT -> {
            }
        }
    }

    /**
     * A task given to {@link Host#execute} failed: the storage can no longer be trusted. After {@link #stop}
     * it means nothing (a host refuses the tasks still queued when it closes its workers).
     */
    public void failed(StorageTask task, Throwable cause) {
        if (stopped) {
            return;
        }
        fence(task.describe() + " failed", cause);
    }

    // ----- the state machine --------------------------------------------------------------------

    /** Starts the next piece of state-machine work when the worker is free: an install first, else a batch. */
    private void runStateMachine() {
        if (stateMachineBusy || fenced || stopped) {
            return;
        }
        if (installWaiting != null) {
            if (compactionInFlight) {
                // A compaction saves the configuration at the old log start; installing under it could
                // leave that older configuration on disk. It finishes first, then comes back here.
                return;
            }
            stateMachineBusy = true;
            StorageTask.InstallSnapshot task = new StorageTask.InstallSnapshot(installWaiting);
            installWaiting = null;
            host.execute(Worker.STATE_MACHINE, task);
            return;
        }
        if (applyQueue.isEmpty()) {
            if (purgePending) {
                // The lowest priority: only when there is nothing to apply, one bounded step at a time.
                stateMachineBusy = true;
                host.execute(Worker.STATE_MACHINE, new StorageTask.PurgeHistory(history.purgeBatchRecords()));
            }
            return;
        }
        List<Entry> batch = new ArrayList<>();
        while (!applyQueue.isEmpty() && batch.size() < settings.maxApplyBatchEntries()) {
            Entry entry = applyQueue.poll();
            applyQueueBytes -= entry.sizeBytes();
            batch.add(entry);
        }
        stateMachineBusy = true;
        host.execute(Worker.STATE_MACHINE, new StorageTask.Apply(batch));
    }

    private void onApplied(List<Entry> batch, List<KvResult> results) {
        stateMachineBusy = false;
        Map<Long, KvResult> byIndex = new TreeMap<>();
        for (KvResult result : results) {
            byIndex.put(result.index(), result);
        }
        for (Entry entry : batch) {
            reconfigurations.applied(entry);
            PendingProposals.Pending pending = proposals.remove(entry.index());
            if (pending == null) {
                continue;
            }
            KvResult result = byIndex.get(entry.index());
            if (pending.term() == entry.term() && entry.type() == EntryType.COMMAND && result != null) {
                pending.reply().succeed(result);
            } else {
                // Another leader's entry took this index: ours was discarded and can never commit.
                pending.reply().fail(RequestFailure.noLeader(
                        "the write was discarded by a leader change; it was not applied", node.leaderId()));
            }
        }
        if (!batch.isEmpty()) {
            appliedIndex = Math.max(appliedIndex, batch.get(batch.size() - 1).index());
        }
        List<Event> events = new ArrayList<>();
        for (KvResult result : results) {
            events.addAll(result.events());
            if (!result.events().isEmpty()) {
                lastChangeRevision = Math.max(lastChangeRevision, result.index());
            }
            if (result instanceof KvResult.LeaseGranted granted) {
                leases.granted(granted.lease(), nowNanos);
            } else if (result instanceof KvResult.LeaseRevoked revoked) {
                leases.revoked(revoked.id());
            }
            if (result instanceof KvResult.Compacted compacted && compacted.compactRevision() > compactRevision) {
                compactRevision = compacted.compactRevision();
                watches.compacted(compactRevision);
                purgePending = true;
            }
        }
        watches.applied(events, appliedIndex);
        reads.applied(appliedIndex);
        maybeSnapshot();
        runStateMachine();
        drive();
    }

    /**
     * The Ready in flight installs a snapshot through {@code index}: the queued entries it covers will
     * never be applied here. Their requests learn what is known: a write whose entry carries its term
     * did commit, but its result was never computed on this node (outcome unknown); one whose index
     * another leader's entry took was not applied; a membership change whose entry committed took
     * effect as asked.
     */
    private void dropEntriesCoveredBy(long index) {
        while (!applyQueue.isEmpty() && applyQueue.peekFirst().index() <= index) {
            Entry entry = applyQueue.pollFirst();
            applyQueueBytes -= entry.sizeBytes();
            // A committed entry: what it tells a waiting change is what applying it would have.
            reconfigurations.applied(entry);
            PendingProposals.Pending pending = proposals.remove(entry.index());
            if (pending == null) {
                continue;
            }
            if (pending.term() == entry.term() && entry.type() == EntryType.COMMAND) {
                pending.reply().fail(RequestFailure.outcomeUnknown("the write committed at index " + entry.index()
                        + ", but this node installed a snapshot covering it before applying it; its result is not"
                        + " known here"));
            } else {
                pending.reply().fail(RequestFailure.noLeader(
                        "the write was discarded by a leader change; it was not applied", node.leaderId()));
            }
        }
    }

    private void onInstalled(SnapshotMeta meta, Long installedCompactRevision) {
        if (!config.has(DeliberateBug.HOST_INSTALL_BESIDE_APPLY)) {
            // Only the deliberately broken host installs on the persist worker, beside a running apply.
            stateMachineBusy = false;
        }
        stagedSnapshotClaimed = false;
        snapshotIndex = Math.max(snapshotIndex, meta.index());
        appliedIndex = Math.max(appliedIndex, meta.index());
        logBytesSinceSnapshot = 0;
        LOG.info(() -> "node " + config.id() + " installed a snapshot through index " + meta.index());
        // Requests for entries the snapshot covers that were never queued here (not yet committed when
        // the snapshot arrived): this node cannot tell whether their entries carried their term.
        RequestFailure covered = RequestFailure.outcomeUnknown("this node installed a snapshot covering the entry"
                + " before applying it; whether the write took effect is not known here");
        for (Map.Entry<Long, PendingProposals.Pending> pending : proposals.removeThrough(meta.index())) {
            pending.getValue().reply().fail(covered);
        }
        reconfigurations.covered(meta.index());
        if (installedCompactRevision != null) {
            compactRevision = Math.max(compactRevision, installedCompactRevision);
        }
        // The installed history may hold records its compact revision no longer needs.
        purgePending = true;
        lastChangeRevision = Math.max(lastChangeRevision, meta.index());
        watches.installed(meta.index(), compactRevision);
        reads.applied(appliedIndex);
        if (inFlight != null && inFlight.snapshot() != null && inFlight.snapshot().index() == meta.index()) {
            persist(inFlight);
        }
        runStateMachine();
        drive();
    }

    // ----- snapshots ----------------------------------------------------------------------------

    /**
     * Takes a snapshot when enough was applied or logged since the last one: the state machine is
     * synced through its applied index (the snapshot), then the log before it, less a tail, is dropped —
     * in the core at once, on disk by the persist worker, and its space reclaimed later.
     */
    private void maybeSnapshot() {
        boolean dueByEntries = snapshotSettings.snapshotEntries() > 0
                && appliedIndex - snapshotIndex >= snapshotSettings.snapshotEntries();
        boolean dueByBytes = snapshotSettings.snapshotLogBytes() > 0
                && logBytesSinceSnapshot >= snapshotSettings.snapshotLogBytes();
        boolean installing = installWaiting != null || (inFlight != null && inFlight.snapshot() != null);
        if (!(dueByEntries || dueByBytes) || snapshotInProgress || compactionInFlight || installing || fenced) {
            return;
        }
        snapshotInProgress = true;
        host.execute(Worker.SNAPSHOT, new StorageTask.TakeSnapshot());
    }

    private void onSnapshotTaken(long synced) {
        snapshotInProgress = false;
        if (synced <= snapshotIndex) {
            // An installed snapshot overtook this one.
            return;
        }
        snapshotIndex = synced;
        logBytesSinceSnapshot = 0;
        long startBefore = node.logStartIndex();
        node.compact(synced - snapshotSettings.logTailEntries());
        if (node.logStartIndex() > startBefore) {
            compactionInFlight = true;
            // The configuration at the new log start must outlive the entries that carried it.
            host.execute(Worker.PERSIST, new StorageTask.CompactLog(node.baseMembership(), node.logStartIndex()));
        }
        publishStatus();
    }

    /** A follower's next entries are compacted away: stream it a snapshot, one transfer per follower. */
    private void sendSnapshot(int peer) {
        if (node.role() != Role.LEADER) {
            // The core can ask for a snapshot in the Ready in which it stepped down (the request was
            // queued while it led); sending one would stamp an InstallSnapshot with the new term.
            node.reportSnapshot(peer, false, 0);
            return;
        }
        if (snapshotTransfers.add(peer)) {
            host.streamSnapshot(peer, node.term());
        }
    }

    /**
     * The metadata of a snapshot through {@code index} (the image the host opened) for {@code peer}, or
     * null when it must not be sent: this node no longer leads {@code term}, or lacks that entry's term.
     */
    public SnapshotMeta snapshotToSend(int peer, long term, long index) {
        long snapshotTerm = node.termAt(index);
        if (fenced || stopped || snapshotTerm < 0 || node.role() != Role.LEADER || node.term() != term) {
            return null;
        }
        return new SnapshotMeta(index, snapshotTerm, node.membershipAt(index));
    }

    /** The outcome of a transfer started with {@link Host#streamSnapshot}. */
    public void snapshotStreamed(int peer, boolean delivered, long index) {
        snapshotTransfers.remove(peer);
        if (fenced || stopped) {
            return;
        }
        node.reportSnapshot(peer, delivered, index);
        drive();
    }

    // ----- soft state, forwarded writes, reads --------------------------------------------------

    private void onSoftState(SoftState soft) {
        reconfigurations.softStateChanged(soft, lastRole == Role.LEADER);
        // A new term, role or leader: reads and forwarded writes the old leader has not answered never
        // will be (it dropped them, or its answer is of an old term). A read is retried elsewhere; a
        // forwarded write may have been appended, so its outcome is unknown.
        reads.failUnconfirmed(RequestFailure.noLeader("the leader changed before the read was confirmed",
                soft.leaderId()));
        proposals.failForwarded(RequestFailure.outcomeUnknown(
                "the leader changed before it acknowledged the forwarded write; it may still commit"));
        if (lastRole == Role.LEADER && soft.role() != Role.LEADER) {
            // Writes whose entries are already committed will be applied here as a follower and
            // answered then. For the rest we cannot know: the next leader may still commit them.
            long committed = node.commitIndex();
            proposals.failAbove(committed, RequestFailure.outcomeUnknown(
                    "leadership was lost before the write was applied; it may still commit"));
        }
        if (soft.role() == Role.LEADER && lastRole != Role.LEADER) {
            leases.becameLeader(nowNanos);
        } else if (soft.role() != Role.LEADER && lastRole == Role.LEADER) {
            leases.steppedDown();
        }
        if (soft.role() != lastRole || soft.leaderId() != (status == null ? 0 : status.leaderId())) {
            LOG.info(() -> "node " + config.id() + " is " + soft.role().displayName() + " in term " + soft.term()
                    + (soft.leaderId() != 0 ? ", leader " + soft.leaderId() : ", no leader"));
        }
        lastRole = soft.role();
    }

    /**
     * The leader said where it put a forwarded write (or refused it). From here it waits like the
     * leader's own proposals: answered when this node applies the index, if the entry has its term.
     */
    private void onForwarded(ForwardedProposal outcome) {
        PendingProposals.Forwarded pending = proposals.removeForwarded(outcome.requestId());
        if (pending == null) {
            return;
        }
        if (outcome.refused()) {
            // Nothing was appended; the API layer relays the request to the leader for its own answer.
            pending.reply().fail(RequestFailure.noLeader("the leader refused the forwarded write", node.leaderId()));
        } else if (outcome.index() <= appliedIndex || outcome.index() <= snapshotIndex) {
            // Only if the answer overtook the entry's commit and apply (a reconnect reordered batches),
            // or a snapshot covered it: its result was never computed here.
            pending.reply().fail(RequestFailure.outcomeUnknown(
                    "the write was applied before the leader's answer arrived; its result is unknown"));
        } else {
            proposals.add(outcome.index(), outcome.term(), pending.reply(), pending.deadlineNanos());
        }
    }

    // ----- failure and status -------------------------------------------------------------------

    /**
     * A storage failure, or a core that broke an invariant, means this node can no longer keep its
     * promises. It stops taking part: no ticks, no steps, no acknowledgements, and every waiting request
     * learns its outcome is unknown. An operator restarts it once the cause is fixed; the log on disk is
     * still valid, because nothing is acknowledged that was not synced.
     */
    private void fence(String what, Throwable cause) {
        if (fenced) {
            return;
        }
        fenced = true;
        LOG.log(Level.SEVERE, "node " + config.id() + " fenced: " + what + ": " + cause.getMessage()
                + " — it no longer acknowledges writes; restart it once storage is healthy", cause);
        failEverything(RequestFailure.outcomeUnknown(what + " on this node: " + cause.getMessage()));
        watches.cancelAll(WatchMessage.Reason.UNAVAILABLE);
        publishStatus();
        listener.fenced(what, cause);
    }

    private void failEverything(RequestFailure failure) {
        proposals.failAll(failure);
        reads.failAll(failure);
        reconfigurations.failAll(failure);
    }

    /**
     * Publishes a new status only when a field changed: drive() runs for every proposal, peer batch and
     * tick, and building a fresh record with a copied member set each time showed up in the leader's
     * profile. The member set is copied only when the membership object (an immutable record) changes.
     */
    private void publishStatus() {
        NodeStatus current = status;
        Membership membership = node.membership();
        if (current != null && membership.equals(publishedMembership) && current.role() == node.role()
                && current.term() == node.term() && current.leaderId() == node.leaderId()
                && current.commitIndex() == node.commitIndex() && current.appliedIndex() == appliedIndex
                && current.lastLogIndex() == node.lastIndex() && current.fenced() == fenced
                && current.snapshotIndex() == snapshotIndex && current.firstLogIndex() == node.logStartIndex() + 1
                && current.clusterId() == node.clusterId() && current.compactRevision() == compactRevision
                && current.watchers() == watches.size()) {
            return;
        }
        if (!membership.equals(publishedMembership)) {
            publishedMembers = Collections.unmodifiableSet(membership.all());
            publishedMembership = membership;
        }
        status = new NodeStatus(node.id(), node.role(), node.term(), node.leaderId(), node.commitIndex(), appliedIndex,
                node.lastIndex(), publishedMembers, fenced, snapshotIndex, node.logStartIndex() + 1,
                membership, membership.catchingUp(node.id(), storageId), node.clusterId(), storageId, compactRevision,
                watches.size());
        host.publish(status);
    }
}
