package io.rafty.raft;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import io.rafty.raft.message.ReadIndexRequest;
import io.rafty.raft.message.ReadIndexResponse;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import io.rafty.raft.tracker.Progress;
import io.rafty.raft.tracker.ProgressTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
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
    private StepFunction[] steps = STEP_FOLLOWER;
    private long term;
    private int votedFor;
    private int leaderId;
    /** The cluster id, this node's storage id and its peers', and the rule on whose storage counts. */
    private final ClusterIdentity identity;
    /** Bytes of committed entries the host can take now (its apply queue's room); 0 withholds them. */
    private long applyBudgetBytes = Long.MAX_VALUE;

    private int electionElapsedTicks;
    private int heartbeatElapsedTicks;
    private int randomizedElectionTimeoutTicks;

    /** Progress per member (leader), votes (candidate), and the majority questions over them. */
    private final ProgressTracker tracker;

    /** The leader's ReadIndex rounds and the reads waiting for them. */
    private final ReadOnlyQueue readOnly = new ReadOnlyQueue();
    private final ReadOnlyQueue.ConfirmedReads confirmedReads = this::readConfirmed;

    private final List<Message> messages = new ArrayList<>();
    private final List<Message> messagesAfterPersist = new ArrayList<>();
    private final List<ReadState> readStates = new ArrayList<>();
    private final List<Integer> peersNeedingSnapshot = new ArrayList<>();
    private SnapshotMeta snapshotToInstall;
    private SoftState lastSoftState;
    private HardState lastHardState;
    private boolean readyOutstanding;

    /** A follower's reads and commands for its leader, batched per Ready. */
    private final Forwarder forwarder;

    /** The leader side of replication: proposals, appends, heartbeats, commits, leadership transfer. */
    private final Replicator replicator;
    /** Campaigns and votes. */
    private final Elections elections;

    public RaftNode(RaftConfig config, RecoveredState state, RandomGenerator random) {
        this.config = config;
        this.id = config.id();
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
        this.lastHardState = hardState();
        this.role = membership().isLearner(id) ? Role.LEARNER : Role.FOLLOWER;
        this.lastSoftState = softState();
        // Forgets batches unanswered for two maximum election timeouts; contexts start at a random point.
        this.forwarder = new Forwarder(id, random.nextLong(1, 1L << 62), config.messageBytesMax(),
                2L * config.electionTimeoutTicksMax());
        NodeContext context = new Context();
        this.replicator = new Replicator(config, log, configuration, tracker, identity, readOnly, confirmedReads,
                peersNeedingSnapshot, context);
        this.elections = new Elections(config, log, configuration, tracker, identity, context);
        resetRandomizedElectionTimeout();
    }

    // ----- inputs ---------------------------------------------------------------------------

    /** Advances logical time by one tick: elections on followers, heartbeats and CheckQuorum on leaders. */
    public void tick() {
        forwarder.tick();
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            tickElection();
        }
    }

    private void tickElection() {
        electionElapsedTicks++;
        if (elections.isPromotable() && electionElapsedTicks >= randomizedElectionTimeoutTicks) {
            electionElapsedTicks = 0;
            elections.campaign();
        }
    }

    private void tickLeader() {
        heartbeatElapsedTicks++;
        electionElapsedTicks++;
        // A transfer target that did not take over within an election timeout is given up on.
        replicator.tickTransfer();
        if (electionElapsedTicks >= config.electionTimeoutTicksMin()) {
            electionElapsedTicks = 0;
            if (config.checkQuorum() && !tracker.quorumRecentlyActive()) {
                becomeFollower(term, 0);
                return;
            }
        }
        if (heartbeatElapsedTicks >= config.heartbeatIntervalTicks()) {
            heartbeatElapsedTicks = 0;
            replicator.broadcastHeartbeat();
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
                readStates.add(new ReadState(requestId, log.committed()));
                return;
            }
            forwarder.addRead(requestId);
            return;
        }
        if (config.has(DeliberateBug.READ_WITHOUT_READ_INDEX)) {
            readStates.add(new ReadState(requestId, log.committed()));
            return;
        }
        confirmRead(new ReadOnlyQueue.ReadRequest(id, requestId));
    }

    /** A follower or learner that knows its leader: it may forward reads and commands to it. */
    private boolean followsKnownLeader() {
        return leaderId != 0 && (role == Role.FOLLOWER || role == Role.LEARNER);
    }

    private void confirmRead(ReadOnlyQueue.ReadRequest request) {
        if (!committedInCurrentTerm()) {
            // The leader does not know the true commit index until an entry of its own term commits (§8).
            readOnly.awaitTermCommit(request);
            return;
        }
        readOnly.add(request, log.committed());
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
        return role == Role.LEADER && readOnly.roundStartable();
    }

    private boolean committedInCurrentTerm() {
        return log.term(log.committed()) == term;
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
            if (!stepHigherTerm(message)) {
                return;
            }
        } else if (message.term() < term) {
            stepLowerTerm(message);
            return;
        }
        steps[message.kind().ordinal()].step(this, message);
    }

    // ----- step functions -------------------------------------------------------------------

    /** What the node's current role does with one kind of message (at the node's own term). */
    @FunctionalInterface
    private interface StepFunction {
        void step(RaftNode node, Message message);
    }

    private static final StepFunction IGNORE = (node, message) -> { };

    /*
     * One step function per role, as etcd's stepLeader / stepCandidate / stepFollower, chosen in the
     * becomeX methods. Each is a table indexed by message kind, filled from an exhaustive switch: a
     * new kind of message does not compile until every role says what it does with it.
     */
    private static final StepFunction[] STEP_LEADER = stepTable(RaftNode::leaderStep);
    private static final StepFunction[] STEP_CANDIDATE = stepTable(RaftNode::candidateStep);
    private static final StepFunction[] STEP_FOLLOWER = stepTable(RaftNode::followerStep);

    private static StepFunction[] stepTable(Function<Message.Kind, StepFunction> byKind) {
        Message.Kind[] kinds = Message.Kind.values();
        StepFunction[] table = new StepFunction[kinds.length];
        for (Message.Kind kind : kinds) {
            table[kind.ordinal()] = byKind.apply(kind);
        }
        return table;
    }

    private static StepFunction leaderStep(Message.Kind kind) {
        return switch (kind) {
            case REQUEST_VOTE -> (node, m) -> node.elections.handleRequestVote((RequestVote) m);
            case APPEND_RESPONSE -> (node, m) -> node.replicator.handleAppendResponse((AppendResponse) m);
            case HEARTBEAT_RESPONSE -> (node, m) -> node.replicator.handleHeartbeatResponse((HeartbeatResponse) m);
            case READ_INDEX_REQUEST -> (node, m) -> node.handleReadIndexRequest((ReadIndexRequest) m);
            case PROPOSE -> (node, m) -> node.replicator.handlePropose((Propose) m);
            case APPEND_ENTRIES, HEARTBEAT, INSTALL_SNAPSHOT -> (node, m) -> node.failOnSecondLeader(m);
            // Votes and transfers are over once leading; a leader forwards nothing, so no answers come.
            case VOTE_RESPONSE, TIMEOUT_NOW, READ_INDEX_RESPONSE, PROPOSE_RESPONSE -> IGNORE;
        };
    }

    /** Pre-candidates and candidates. */
    private static StepFunction candidateStep(Message.Kind kind) {
        return switch (kind) {
            case REQUEST_VOTE -> (node, m) -> node.elections.handleRequestVote((RequestVote) m);
            case VOTE_RESPONSE -> (node, m) -> node.elections.handleVoteResponse((VoteResponse) m);
            // A leader of this term exists: follow it, then take its message as a follower does.
            case APPEND_ENTRIES -> (node, m) -> {
                node.becomeFollower(node.term, m.from());
                node.handleAppendEntries((AppendEntries) m);
            };
            case HEARTBEAT -> (node, m) -> {
                node.becomeFollower(node.term, m.from());
                node.handleHeartbeat((Heartbeat) m);
            };
            case INSTALL_SNAPSHOT -> (node, m) -> {
                node.becomeFollower(node.term, m.from());
                node.handleInstallSnapshot((InstallSnapshot) m);
            };
            case TIMEOUT_NOW -> (node, m) -> node.elections.handleTimeoutNow();
            case PROPOSE -> (node, m) -> node.replicator.handlePropose((Propose) m);
            // Only leaders take these; a candidate has no forwarded batches (every role change drops them).
            case APPEND_RESPONSE, HEARTBEAT_RESPONSE, READ_INDEX_REQUEST, READ_INDEX_RESPONSE, PROPOSE_RESPONSE ->
                    IGNORE;
        };
    }

    /** Followers and learners. */
    private static StepFunction followerStep(Message.Kind kind) {
        return switch (kind) {
            case REQUEST_VOTE -> (node, m) -> node.elections.handleRequestVote((RequestVote) m);
            case APPEND_ENTRIES -> (node, m) -> node.handleAppendEntries((AppendEntries) m);
            case HEARTBEAT -> (node, m) -> node.handleHeartbeat((Heartbeat) m);
            case INSTALL_SNAPSHOT -> (node, m) -> node.handleInstallSnapshot((InstallSnapshot) m);
            case TIMEOUT_NOW -> (node, m) -> node.elections.handleTimeoutNow();
            case PROPOSE -> (node, m) -> node.replicator.handlePropose((Propose) m);
            case READ_INDEX_RESPONSE -> (node, m) -> node.handleReadIndexResponse((ReadIndexResponse) m);
            case PROPOSE_RESPONSE -> (node, m) -> node.handleProposeResponse((ProposeResponse) m);
            // Late answers to a campaign or to this node's appends as a leader deposed within its term
            // (CheckQuorum); a follower that forwarded a read to it gives up after its own timeout.
            case VOTE_RESPONSE, APPEND_RESPONSE, HEARTBEAT_RESPONSE, READ_INDEX_REQUEST -> IGNORE;
        };
    }

    /** Returns whether to go on processing the message. */
    private boolean stepHigherTerm(Message message) {
        if (message.kind() == Message.Kind.REQUEST_VOTE) {
            RequestVote request = (RequestVote) message;
            boolean inLease = config.checkQuorum() && leaderId != 0
                    && electionElapsedTicks < config.electionTimeoutTicksMin();
            if (inLease && !request.transfer()) {
                // Leader stickiness (thesis §4.2.3): while we hear from a leader, a disruptive
                // candidate cannot depose it.
                return false;
            }
            if (request.preVote()) {
                // A pre-vote asks about a future term; it must not move ours.
                return true;
            }
            becomeFollower(message.term(), 0);
            return true;
        }
        if (message.kind() == Message.Kind.VOTE_RESPONSE && ((VoteResponse) message).preVote()
                && ((VoteResponse) message).granted()) {
            // A granted pre-vote carries the term we would campaign at, not a newer leader's term.
            return true;
        }
        int leader = fromLeader(message) ? message.from() : 0;
        becomeFollower(message.term(), leader);
        return true;
    }

    private static boolean fromLeader(Message message) {
        return switch (message.kind()) {
            case APPEND_ENTRIES, HEARTBEAT, INSTALL_SNAPSHOT -> true;
            case REQUEST_VOTE, VOTE_RESPONSE, APPEND_RESPONSE, HEARTBEAT_RESPONSE, TIMEOUT_NOW, READ_INDEX_REQUEST,
                 READ_INDEX_RESPONSE, PROPOSE, PROPOSE_RESPONSE -> false;
        };
    }

    private void stepLowerTerm(Message message) {
        if (fromLeader(message)) {
            // A stale leader (perhaps cut off, and unable to learn the new term because PreVote keeps
            // us from disturbing it) learns of our term from this answer and steps down.
            send(new AppendResponse(id, message.from(), term, false, 0, 0, 0), false);
        } else if (message.kind() == Message.Kind.REQUEST_VOTE && ((RequestVote) message).preVote()) {
            send(new VoteResponse(id, message.from(), term, false, true), false);
        }
    }

    // ----- replication: follower side -------------------------------------------------------

    private void handleAppendEntries(AppendEntries append) {
        acceptLeader(append.from());
        if (append.prevLogIndex() < log.committed()) {
            // Everything up to our commit index matches any leader's log; acknowledge just that.
            send(new AppendResponse(id, append.from(), term, true, log.committed(), 0, 0), true);
            return;
        }
        if (log.matchTerm(append.prevLogIndex(), append.prevLogTerm())) {
            ConfigurationTracker.checkDecodable(append.entries());
            long lastNew = log.appendFollowing(append.prevLogIndex(), append.entries());
            if (configuration.changedByAppend(append.entries())) {
                Membership latest = configuration.latestInLog();
                if (!latest.equals(membership())) {
                    setMembership(latest);
                }
            }
            log.commitTo(Math.min(append.leaderCommit(), lastNew));
            send(new AppendResponse(id, append.from(), term, true, lastNew, 0, 0), true);
            return;
        }
        long conflictTerm;
        long conflictIndex;
        if (append.prevLogIndex() > log.lastIndex()) {
            conflictTerm = 0;
            conflictIndex = log.lastIndex() + 1;
        } else {
            conflictTerm = log.term(append.prevLogIndex());
            conflictIndex = Math.max(log.firstIndexOfTerm(append.prevLogIndex()), log.committed() + 1);
        }
        send(new AppendResponse(id, append.from(), term, false, append.prevLogIndex(), conflictIndex, conflictTerm),
                true);
    }

    /** Raft §7: install a snapshot that is ahead of our commit index, unless our log already has it. */
    private void handleInstallSnapshot(InstallSnapshot snapshot) {
        acceptLeader(snapshot.from());
        long index = snapshot.snapshotIndex();
        if (index <= log.committed()) {
            send(new AppendResponse(id, snapshot.from(), term, true, log.committed(), 0, 0), true);
            return;
        }
        if (log.matchTerm(index, snapshot.snapshotTerm())) {
            // Our log already holds the snapshot's last entry: keep the log and just learn the commit.
            log.commitTo(index);
        } else {
            log.restore(index, snapshot.snapshotTerm());
            configuration.restored(snapshot.membership());
            setMembership(snapshot.membership());
            snapshotToInstall = new SnapshotMeta(index, snapshot.snapshotTerm(), snapshot.membership());
        }
        send(new AppendResponse(id, snapshot.from(), term, true, index, 0, 0), true);
    }

    private void handleHeartbeat(Heartbeat heartbeat) {
        acceptLeader(heartbeat.from());
        log.commitTo(Math.min(heartbeat.commit(), log.lastIndex()));
        send(new HeartbeatResponse(id, heartbeat.from(), term, heartbeat.readContext(), log.lastIndex()), true);
    }

    /** A follower heard from the leader of its term. */
    private void acceptLeader(int leader) {
        leaderId = leader;
        electionElapsedTicks = 0;
    }

    private void failOnSecondLeader(Message message) {
        throw new BrokenInvariantException("node " + id + " leads term " + term + " but node " + message.from()
                + " sent it an append for the same term: election safety is broken");
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
        applyBudgetBytes = bytesAvailable;
    }

    private void readConfirmed(ReadOnlyQueue.ReadRequest request, long index) {
        if (request.origin() == id) {
            readStates.add(new ReadState(request.requestId(), index));
        } else {
            send(new ReadIndexResponse(id, request.origin(), term, request.requestId(), index), false);
        }
    }


    // ----- forwarded reads and commands -----------------------------------------------------

    private void handleReadIndexRequest(ReadIndexRequest request) {
        confirmRead(new ReadOnlyQueue.ReadRequest(request.from(), request.context()));
    }

    private void handleReadIndexResponse(ReadIndexResponse response) {
        forwarder.onReadIndexResponse(response, readStates);
    }

    private void handleProposeResponse(ProposeResponse response) {
        forwarder.onProposeResponse(response);
    }

    // ----- role changes ---------------------------------------------------------------------

    private void becomeFollower(long newTerm, int leader) {
        if (newTerm > term) {
            term = newTerm;
            votedFor = HardState.NO_VOTE;
        }
        role = membership().isLearner(id) ? Role.LEARNER : Role.FOLLOWER;
        steps = STEP_FOLLOWER;
        leaderId = leader;
        resetRoleState();
    }

    private void becomePreCandidate() {
        role = Role.PRE_CANDIDATE;
        steps = STEP_CANDIDATE;
        leaderId = 0;
        resetRoleState();
    }

    private void becomeCandidate() {
        term++;
        votedFor = id;
        role = Role.CANDIDATE;
        steps = STEP_CANDIDATE;
        leaderId = 0;
        resetRoleState();
    }

    private void becomeLeader() {
        role = Role.LEADER;
        steps = STEP_LEADER;
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
        electionElapsedTicks = 0;
        heartbeatElapsedTicks = 0;
        resetRandomizedElectionTimeout();
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

    private void resetRandomizedElectionTimeout() {
        randomizedElectionTimeoutTicks = random.nextInt(config.electionTimeoutTicksMin(),
                config.electionTimeoutTicksMax() + 1);
    }

    private void send(Message message, boolean afterPersist) {
        if (afterPersist && !config.has(DeliberateBug.ACK_BEFORE_PERSIST)) {
            messagesAfterPersist.add(message);
        } else {
            messages.add(message);
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

        @Override public void grantVote(int candidate) {
            electionElapsedTicks = 0;
            votedFor = candidate;
        }

        @Override public void send(Message message, boolean afterPersist) {
            RaftNode.this.send(message, afterPersist);
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
        if (readyOutstanding) {
            return false;
        }
        return !softState().equals(lastSoftState) || !hardState().equals(lastHardState) || log.hasUnstable()
                || !messages.isEmpty() || !messagesAfterPersist.isEmpty() || !readStates.isEmpty()
                || (log.hasCommittedToApply() && applyBudgetBytes > 0) || readRoundStartable() || snapshotToInstall != null
                || !peersNeedingSnapshot.isEmpty() || !forwarder.outcomes().isEmpty()
                || (leaderId != 0 && forwarder.hasPending())
                || replicator.commitNoticeDue();
    }

    /**
     * Takes the pending work. The host must call {@link #advance(Ready)} with it before taking the
     * next one; meanwhile the node keeps accepting inputs, which accumulate into the next Ready
     * (this is what makes group commit natural).
     */
    public Ready ready() {
        if (readyOutstanding) {
            throw new IllegalStateException("the previous Ready has not been advanced");
        }
        if (readRoundStartable()) {
            replicator.broadcastHeartbeat();
        }
        if (role == Role.LEADER) {
            replicator.sendCommitNotices();
        } else {
            if (leaderId != 0) {
                // What a follower collected for its leader since the last Ready: one message per kind.
                forwarder.flush(leaderId, term, messages);
            }
        }
        List<Entry> committed = applyBudgetBytes > 0
                ? log.takeCommitted((int) Math.min(config.messageBytesMax(), applyBudgetBytes))
                : List.of();
        identity.learnFrom(committed);
        SoftState soft = softState();
        HardState hard = hardState();
        Ready ready = new Ready(
                soft.equals(lastSoftState) ? null : soft,
                hard.equals(lastHardState) ? null : hard,
                log.takeUnstable(),
                messages,
                messagesAfterPersist,
                committed,
                readStates,
                snapshotToInstall,
                peersNeedingSnapshot,
                forwarder.outcomes());
        snapshotToInstall = null;
        peersNeedingSnapshot.clear();
        lastSoftState = soft;
        lastHardState = hard;
        messages.clear();
        messagesAfterPersist.clear();
        readStates.clear();
        forwarder.clearOutcomes();
        readyOutstanding = true;
        return ready;
    }

    /** Tells the node that {@code ready} has been persisted (and its messages handed to the network). */
    public void advance(Ready ready) {
        if (!readyOutstanding) {
            throw new IllegalStateException("advance without an outstanding Ready");
        }
        readyOutstanding = false;
        elections.persisted(ready.hardState());
        if (!ready.entries().isEmpty()) {
            Entry last = ready.entries().get(ready.entries().size() - 1);
            log.stableTo(last.index(), last.term());
            if (role == Role.LEADER && replicator.maybeCommit()) {
                replicator.broadcastAppend();
            }
        }
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
        return new SoftState(role, leaderId, term);
    }

    public HardState hardState() {
        return new HardState(term, votedFor, log.committed(), identity.clusterId());
    }

    /** The leader's view of every member (empty on other roles). */
    public List<PeerProgress> progress() {
        List<PeerProgress> out = new ArrayList<>();
        if (role != Role.LEADER) {
            return out;
        }
        out.add(new PeerProgress(id, membership().isVoter(id), log.stableIndex(), log.lastIndex() + 1, null,
                identity.storageId()));
        tracker.forEach((peer, pr) -> out.add(new PeerProgress(peer, membership().isVoter(peer), pr.match(), pr.next(),
                pr.state(), pr.storageId())));
        return out;
    }
}