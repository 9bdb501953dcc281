package io.rafty.raft;

import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.tracker.Progress;
import io.rafty.raft.tracker.ProgressTracker;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The Raft algorithm as a pure state machine (the etcd/raft "Ready" pattern).
 *
 * <p>Inputs are {@link #tick()}, {@link #step(Message)}, {@link #propose(List)} and
 * {@link #readIndex(long)}; the output is a {@link Ready} that the host carries out and hands back
 * with {@link #advance(Ready)}. No threads, clocks, files or sockets: the same code runs on a Vert.x
 * event loop and inside the deterministic simulator. It is not thread-safe; one thread owns it.
 *
 * <p>Implements leader election with PreVote and CheckQuorum, log replication with fast conflict
 * backtracking and per-follower flow control, the §5.4.2 commit rule and ReadIndex. Followers serve
 * linearizable reads themselves (ReadIndex from a follower, thesis §6.4) and forward commands to the
 * leader over the peer channel ({@link #forwardProposal(long, byte[])}), each kind batched into one
 * message per Ready.
 *
 * <p>This class holds the node's term, vote, role and leader, chooses each role's step function and
 * assembles the Ready; the work is done by its parts (see the package description).
 */
public final class RaftNode {

    private final RaftConfig config;
    private final int id;
    private final RandomGenerator random;
    private final RaftLog log;
    /** The configuration at the log start and the latest in the log, which takes effect when appended (§4.1). */
    private final ConfigurationTracker configuration;

    private Role role = Role.FOLLOWER;
    /** The current role's step function (a follower's until a becomeX chooses another). */
    private RoleSteps.StepFunction[] steps = RoleSteps.FOLLOWER;
    private long term;
    private int votedFor;
    private int leaderId;
    /** The cluster id, this node's storage id and its peers', and the rule on whose storage counts. */
    private final ClusterIdentity identity;

    /** Progress per member (leader), votes (candidate), and the majority questions over them. */
    private final ProgressTracker tracker;

    /** The leader's ReadIndex rounds and the reads waiting for them. */
    private final ReadOnlyQueue readOnly = new ReadOnlyQueue();

    /** Messages, confirmed reads and snapshots for the next Ready. */
    private final Outbox outbox;
    /** Assembles each Ready (full or light) and tracks the ones handed out and not yet advanced. */
    private final ReadyCycle cycle;

    /** A follower's reads and commands for its leader, batched per Ready. */
    private final Forwarder forwarder;

    /** The leader side of replication: proposals, appends, heartbeats, commits, reads, leadership transfer. */
    private final Replicator replicator;
    /** Campaigns, votes, the election timer, and what a message of another term does to this node. */
    private final Elections elections;
    /** Where each role's step function sends a message. */
    private final RoleSteps.Parts parts;

    public RaftNode(RaftConfig config, RecoveredState state, RandomGenerator random) {
        this.config = config;
        this.id = config.id();
        this.outbox = new Outbox(config.has(DeliberateBug.ACK_BEFORE_PERSIST));
        this.random = random;
        this.log = new RaftLog(state.logStartIndex(), state.logStartTerm(), state.entries(),
                state.hardState().commit(), state.appliedIndex());
        this.configuration = new ConfigurationTracker(log, state.membership());
        this.identity = new ClusterIdentity(id, state.storageId(), state.hardState().clusterId(),
                config.has(DeliberateBug.IGNORE_STORAGE_IDENTITY));
        this.tracker = new ProgressTracker(id, state.storageId(), config.inflightMessagesMax(), this::counts,
                membership().voters());
        this.term = state.hardState().term();
        this.votedFor = state.hardState().votedFor();
        this.role = membership().isLearner(id) ? Role.LEARNER : Role.FOLLOWER;
        // Forgets batches unanswered for two maximum election timeouts; contexts start at a random point.
        this.forwarder = new Forwarder(id, random.nextLong(1, 1L << 62), config.messageBytesMax(),
                2L * config.electionTimeoutTicksMax());
        NodeContext context = new Context();
        this.replicator = new Replicator(config, log, configuration, tracker, identity, readOnly, outbox, context);
        this.elections = new Elections(config, random, log, configuration, tracker, identity, outbox, context);
        this.parts = new RoleSteps.Parts(context, elections, replicator,
                new FollowerReplication(id, log, configuration, outbox, context), forwarder, outbox);
        this.cycle = new ReadyCycle(config, log, identity, readOnly, outbox, forwarder, replicator, elections, context);
    }

    // ----- inputs ---------------------------------------------------------------------------

    /** Advances logical time by one tick: elections on followers, heartbeats and CheckQuorum on leaders. */
    public void tick() {
        forwarder.tick();
        if (role == Role.LEADER) {
            replicator.tick(elections.tickLeader());
        } else {
            elections.tick();
        }
    }

    /** Starts an election now, as if the election timeout had passed (used by tests and leadership transfer). */
    public void campaign() {
        if (role != Role.LEADER && elections.isPromotable()) {
            elections.campaign();
        }
    }

    /**
     * Appends commands to the leader's log and starts replicating them.
     *
     * @return the index of the first appended entry; the rest follow contiguously
     * @throws NotLeaderException       when this node is not the leader (nothing appended)
     * @throws ProposalDroppedException when too many bytes are uncommitted (nothing appended)
     */
    public long propose(List<byte[]> payloads) {
        return replicator.propose(payloads);
    }

    /**
     * Proposes a new cluster configuration (single-server change, dissertation §4.1). It takes
     * effect on this leader at once, on each follower when appended, and is complete when committed.
     *
     * @return the index of the configuration entry
     * @throws NotLeaderException         on a non-leader
     * @throws MembershipChangeException  when another change is still uncommitted, the leader has not
     *                                    yet committed an entry of its term, or more than one voter
     *                                    would change
     */
    public long proposeMembership(Membership next) {
        return replicator.proposeMembership(next);
    }

    /**
     * Hands leadership to {@code target} (thesis §3.10): the leader stops taking proposals, brings the
     * target's log up to date and tells it to campaign at once. Abandoned after an election timeout.
     */
    public void transferLeadership(int target) {
        replicator.transferLeadership(target);
    }

    /** The index of the latest configuration entry in the log (0 when none since the log start). */
    public long lastConfigIndex() {
        return configuration.lastConfigIndex();
    }

    /** True while a leadership transfer started by {@link #transferLeadership(int)} is under way. */
    public boolean isTransferringLeadership() {
        return replicator.isTransferringLeadership();
    }

    /** Proposes one command; see {@link #propose(List)}. */
    public long propose(byte[] payload) {
        return propose(List.of(payload));
    }

    /**
     * Asks for a linearizable read. The read is confirmed in a later {@link Ready#readStates()} once
     * a quorum has acknowledged the leader's leadership after the request; all reads waiting at the
     * same moment share one heartbeat round. On a follower (or learner) that knows its leader, the
     * reads of one Ready go to the leader as one {@link ReadIndexRequest}; the leader confirms them
     * in its next round and answers with its commit index. A follower's read may go unanswered (the
     * leader lost its leadership, or the message was lost): the host gives up after its own timeout,
     * or when the soft state changes.
     *
     * @throws NotLeaderException when this node is neither the leader nor a follower that knows one
     */
    public void readIndex(long requestId) {
        if (role != Role.LEADER) {
            if (!followsKnownLeader()) {
                throw new NotLeaderException(leaderId);
            }
            if (config.has(DeliberateBug.FOLLOWER_READ_FROM_LOCAL_COMMIT)) {
                outbox.addRead(new ReadState(requestId, log.committed()));
                return;
            }
            forwarder.addRead(requestId);
            return;
        }
        if (config.has(DeliberateBug.READ_WITHOUT_READ_INDEX)) {
            outbox.addRead(new ReadState(requestId, log.committed()));
            return;
        }
        replicator.confirmRead(new ReadOnlyQueue.ReadRequest(id, requestId));
    }

    /** A follower or learner that knows its leader: it may forward reads and commands to it. */
    private boolean followsKnownLeader() {
        return leaderId != 0 && (role == Role.FOLLOWER || role == Role.LEARNER);
    }

    /**
     * Forwards a command from a follower (or learner) to its leader: the commands of one Ready leave
     * as one {@link Propose}. A later {@link Ready#forwardedProposals()} says where the leader
     * appended it, or that it refused it. No answer at all (the leader was deposed, or a message was
     * lost) is possible: the host gives up after its own timeout, or when the soft state changes, and
     * the command's outcome is then unknown.
     *
     * @throws NotLeaderException    when this node is a candidate or knows no leader
     * @throws IllegalStateException on the leader, which proposes with {@link #propose(List)}
     */
    public void forwardProposal(long requestId, byte[] payload) {
        if (role == Role.LEADER) {
            throw new IllegalStateException("node " + id + " leads: propose, do not forward");
        }
        if (!followsKnownLeader()) {
            throw new NotLeaderException(leaderId);
        }
        forwarder.addProposal(requestId, payload);
    }

    /** Reads wait for a heartbeat round and none is outstanding ({@link ReadOnlyQueue}). */
    private boolean readRoundStartable() {
        return cycle.readRoundStartable();
    }

    /**
     * Forgets log entries through {@code index}: the host has made the state machine's effect of them
     * durable (a snapshot). Entries not yet applied or persisted are never dropped.
     */
    public void compact(long index) {
        long through = Math.min(index, Math.min(log.applying(), log.stableIndex()));
        if (through <= log.startIndex()) {
            return;
        }
        configuration.compacting(through);
        log.compact(through);
    }

    /** The configuration in effect at the log start; the host persists it with a compaction. */
    public Membership baseMembership() {
        return configuration.base();
    }

    /**
     * The host's report on a snapshot it streamed to {@code peer}. On success the follower is probed
     * after the snapshot's index; on failure the leader will ask for a new snapshot later.
     */
    public void reportSnapshot(int peer, boolean delivered, long snapshotIndex) {
        replicator.reportSnapshot(peer, delivered, snapshotIndex);
    }

    /** Processes one message from a peer. Messages addressed elsewhere are ignored. */
    public void step(Message message) {
        if (message.to() != id || message.from() == id) {
            return;
        }
        if (message.term() > term) {
            if (!elections.stepHigherTerm(message)) {
                return;
            }
        } else if (message.term() < term) {
            elections.stepLowerTerm(message);
            return;
        }
        steps[message.kind().ordinal()].step(parts, message);
    }

    /**
     * What the host learned about a peer from the identity its batch carried; call it before stepping
     * each of the batch's messages.
     *
     * <ul>
     *   <li>A peer of another cluster is refused: the message must not be stepped.</li>
     *   <li>A node that does not know its cluster id yet learns it.</li>
     *   <li>The peer's storage id is remembered: its votes count only if the configuration binds it to
     *       that storage (or does not bind it yet).</li>
     *   <li>On a leader: a follower whose storage id changed lost its disk. The leader forgets what it
     *       believed that follower held and probes it afresh; the host then replaces the old identity
     *       in the configuration ({@link Membership#rebuilding}).</li>
     * </ul>
     */
    public Observation observe(int peer, PeerIdentity identity) {
        if (!this.identity.accept(peer, identity)) {
            return Observation.OTHER_CLUSTER;
        }
        Progress pr = role == Role.LEADER ? tracker.get(peer) : null;
        if (pr == null) {
            return Observation.ACCEPTED;
        }
        return pr.observeStorage(identity.storageId(), log.lastIndex() + 1)
                ? Observation.STORAGE_REPLACED : Observation.ACCEPTED;
    }

    /** What {@link #observe(int, PeerIdentity)} concluded. */
    public enum Observation {
        /** Step the batch. */
        ACCEPTED,
        /** Step the batch; the peer's storage was replaced since this leader last heard from it. */
        STORAGE_REPLACED,
        /** The peer belongs to another cluster: drop the batch. */
        OTHER_CLUSTER
    }

    /**
     * The storage id {@code peer}'s latest batch carried (as {@link #observe} saw it), or 0. A new
     * leader knows its voters' storage from their vote responses before any append is answered.
     */
    public long peerStorageId(int peer) {
        return identity.storageOf(peer);
    }

    /** The identity this node's batches carry. */
    public PeerIdentity identity() {
        return identity.identity();
    }

    /**
     * Whether the configuration counts this node as the member of its id: the id is not bound to a
     * storage yet, or bound to this node's. A node that came back on new storage is not, until the
     * leader has rebuilt it and bound the id to its new storage.
     */
    public boolean countsAsItself() {
        return counts(id, identity.storageId());
    }

    /** Whether what {@code member} says from {@code storage} counts (see {@link Membership#counts}). */
    private boolean counts(int member, long storage) {
        return identity.counts(membership(), member, storage);
    }

    /** The cluster id, or 0 while unknown. */
    public long clusterId() {
        return identity.clusterId();
    }

    /**
     * How many bytes of committed entries the host can take into its apply queue now. With none left,
     * committed entries stay in the core (and {@link #hasReady()} ignores them) until the host has
     * room again; with some, the next Ready carries about that many (at least one entry).
     */
    public void limitApply(long bytesAvailable) {
        cycle.limitApply(bytesAvailable);
    }

    // ----- role changes ---------------------------------------------------------------------

    private void becomeFollower(long newTerm, int leader) {
        if (newTerm > term) {
            term = newTerm;
            votedFor = HardState.NO_VOTE;
        }
        role = membership().isLearner(id) ? Role.LEARNER : Role.FOLLOWER;
        steps = RoleSteps.FOLLOWER;
        leaderId = leader;
        resetRoleState();
    }

    private void becomePreCandidate() {
        role = Role.PRE_CANDIDATE;
        steps = RoleSteps.CANDIDATE;
        leaderId = 0;
        resetRoleState();
    }

    private void becomeCandidate() {
        term++;
        votedFor = id;
        role = Role.CANDIDATE;
        steps = RoleSteps.CANDIDATE;
        leaderId = 0;
        resetRoleState();
    }

    private void becomeLeader() {
        role = Role.LEADER;
        steps = RoleSteps.LEADER;
        leaderId = id;
        resetRoleState();
        tracker.track(membership().all(), log.lastIndex() + 1);
        // A no-op of the new term lets the leader commit (and learn) everything before it (§8). The first
        // leader of a cluster that has no id yet founds one in it; the first founding no-op to commit
        // names the cluster for good (a later leader's log holds it, so it never founds another).
        long founding = identity.mustFound(log) ? random.nextLong(1, Long.MAX_VALUE) : 0;
        log.append(Entry.noop(term, log.lastIndex() + 1, founding));
        replicator.broadcastAppend();
    }

    private void resetRoleState() {
        tracker.reset();
        replicator.reset();
        readOnly.reset();
        forwarder.reset();
        elections.reset();
    }

    // ----- membership -----------------------------------------------------------------------

    /** The configuration in effect once the log through {@code index} is applied. */
    public Membership membershipAt(long index) {
        return configuration.membershipAt(index);
    }

    private void setMembership(Membership next) {
        configuration.set(next);
        tracker.setVoters(next.voters());
        if (role == Role.LEADER) {
            tracker.track(next.all(), log.lastIndex() + 1);
        } else if (role == Role.FOLLOWER || role == Role.LEARNER) {
            role = next.isVoter(id) ? Role.FOLLOWER : Role.LEARNER;
        } else if (!next.isVoter(id)) {
            becomeFollower(term, 0);
        }
    }

    /** What Replicator and Elections may see and do of this node. */
    private final class Context implements NodeContext {
        @Override public long term() {
            return term;
        }

        @Override public Role role() {
            return role;
        }

        @Override public int leaderId() {
            return leaderId;
        }

        @Override public int votedFor() {
            return votedFor;
        }

        @Override public void acceptLeader(int leader) {
            leaderId = leader;
            elections.heardFromLeader();
        }

        @Override public void grantVote(int candidate) {
            votedFor = candidate;
        }

        @Override public void setMembership(Membership next) {
            RaftNode.this.setMembership(next);
        }

        @Override public boolean counts(int member, long storage) {
            return RaftNode.this.counts(member, storage);
        }

        @Override public void becomeFollower(long newTerm, int leader) {
            RaftNode.this.becomeFollower(newTerm, leader);
        }

        @Override public void becomePreCandidate() {
            RaftNode.this.becomePreCandidate();
        }

        @Override public void becomeCandidate() {
            RaftNode.this.becomeCandidate();
        }

        @Override public void becomeLeader() {
            RaftNode.this.becomeLeader();
        }
    }

    // ----- output ---------------------------------------------------------------------------

    /** True when {@link #ready()} has work for the host. */
    public boolean hasReady() {
        return cycle.hasReady();
    }

    /**
     * Takes the pending work. The host must call {@link #advance(Ready)} with it before taking the
     * next one; meanwhile the node keeps accepting inputs, which accumulate into the next Ready
     * (this is what makes group commit natural). With {@link RaftConfig#asyncStorageWrites()} the host
     * may take light Readies meanwhile (see {@link Ready}), each advanced before the next.
     */
    public Ready ready() {
        return cycle.ready();
    }

    /** Tells the node that {@code ready} has been persisted (and its messages handed to the network). */
    public void advance(Ready ready) {
        cycle.advance(ready);
    }

    // ----- observation ----------------------------------------------------------------------

    public int id() {
        return id;
    }

    public Role role() {
        return role;
    }

    public long term() {
        return term;
    }

    public int leaderId() {
        return leaderId;
    }

    public long commitIndex() {
        return log.committed();
    }

    public long lastIndex() {
        return log.lastIndex();
    }

    /** The index before the first entry still in the log (0 when never compacted). */
    public long logStartIndex() {
        return log.startIndex();
    }

    public long lastTerm() {
        return log.lastTerm();
    }

    /** The term of the entry at {@code index}, or -1 when there is none. */
    public long termAt(long index) {
        return log.term(index);
    }

    /** The entry at {@code index}; for tests and invariant checks. */
    public Entry entryAt(long index) {
        return log.entry(index);
    }

    public Membership membership() {
        return configuration.membership();
    }

    public SoftState softState() {
        return cycle.softState();
    }

    public HardState hardState() {
        return cycle.hardState();
    }

    /** The leader's view of every member (empty on other roles). */
    public List<PeerProgress> progress() {
        return replicator.progress();
    }
}