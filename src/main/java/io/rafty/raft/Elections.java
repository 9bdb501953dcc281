package io.rafty.raft;

import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import io.rafty.raft.quorum.MajorityQuorum;
import io.rafty.raft.tracker.ProgressTracker;
import java.util.random.RandomGenerator;

/**
 * Campaigns and votes: PreVote (§9.6), asking for and granting votes, the tally, the transfer
 * election a leader asks for (thesis §3.10), and a lone voter's win that waits for its vote to be
 * durable, and what a message of another term does to this node's. Terms, votes and role changes
 * stay the node's; this reaches them through
 * {@link NodeContext}.
 */
final class Elections {

    private final RaftConfig config;
    private final int id;
    private final RandomGenerator random;
    private final RaftLog log;
    private final ConfigurationTracker configuration;
    private final ProgressTracker tracker;
    private final ClusterIdentity identity;
    private final Outbox outbox;
    private final NodeContext node;
    /** Won an election on its own vote; becomes leader once the Ready carrying that vote is persisted. */
    private boolean wonPendingDurableVote;
    private int electionElapsedTicks;
    private int randomizedElectionTimeoutTicks;

    /** Draws the first randomized election timeout from {@code random}. */
    Elections(RaftConfig config, RandomGenerator random, RaftLog log, ConfigurationTracker configuration,
            ProgressTracker tracker, ClusterIdentity identity, Outbox outbox, NodeContext node) {
        this.config = config;
        this.id = config.id();
        this.random = random;
        this.log = log;
        this.configuration = configuration;
        this.tracker = tracker;
        this.identity = identity;
        this.outbox = outbox;
        this.node = node;
        resetRandomizedElectionTimeout();
    }

    /** The node changed role: the election timer restarts with a new timeout, a pending win is forgotten. */
    void reset() {
        electionElapsedTicks = 0;
        resetRandomizedElectionTimeout();
        wonPendingDurableVote = false;
    }

    private void resetRandomizedElectionTimeout() {
        randomizedElectionTimeoutTicks = random.nextInt(config.electionTimeoutTicksMin(),
                config.electionTimeoutTicksMax() + 1);
    }

    /** One tick on a non-leader: campaigns once its randomized election timeout has passed. */
    void tick() {
        electionElapsedTicks++;
        if (isPromotable() && electionElapsedTicks >= randomizedElectionTimeoutTicks) {
            electionElapsedTicks = 0;
            campaign();
        }
    }

    /** One tick on the leader: whether a (minimum) election timeout passed, the CheckQuorum period. */
    boolean tickLeader() {
        electionElapsedTicks++;
        if (electionElapsedTicks >= config.electionTimeoutTicksMin()) {
            electionElapsedTicks = 0;
            return true;
        }
        return false;
    }

    /** A follower heard from the leader of its term. */
    void heardFromLeader() {
        electionElapsedTicks = 0;
    }

    /** Starts an election, with a pre-vote first when PreVote is on. */
    void campaign() {
        campaign(config.preVote() ? Role.PRE_CANDIDATE : Role.CANDIDATE);
    }

    private void campaign(Role kind) {
        campaign(kind, false);
    }

    private void campaign(Role kind, boolean transfer) {
        long campaignTerm;
        if (kind == Role.PRE_CANDIDATE) {
            node.becomePreCandidate();
            campaignTerm = node.term() + 1;
        } else {
            node.becomeCandidate();
            campaignTerm = node.term();
        }
        tracker.recordVote(id, true);
        if (tracker.tallyVotes() == MajorityQuorum.VoteResult.WON) {
            if (kind == Role.PRE_CANDIDATE) {
                winElection(kind);
            } else {
                // A lone voter wins on its own vote, but may lead only once that vote (and its
                // term) is durable: otherwise a crash could let it vote again in this term and a
                // second leader of the same term appear. advance() completes the win.
                wonPendingDurableVote = true;
            }
            return;
        }
        for (int voter : configuration.membership().voters()) {
            if (voter != id) {
                outbox.send(new RequestVote(id, voter, campaignTerm, log.lastIndex(), log.lastTerm(),
                        kind == Role.PRE_CANDIDATE, transfer), true);
            }
        }
    }

    private void winElection(Role kind) {
        if (kind == Role.PRE_CANDIDATE) {
            campaign(Role.CANDIDATE);
        } else {
            node.becomeLeader();
        }
    }

    /** A Ready was persisted: a lone voter whose own vote of this term is now durable leads. */
    void persisted(HardState persisted) {
        if (wonPendingDurableVote && node.role() == Role.CANDIDATE && persisted != null
                && persisted.term() == node.term() && persisted.votedFor() == id) {
            wonPendingDurableVote = false;
            node.becomeLeader();
        }
    }

    /**
     * A message from a later term: whether to go on processing it. Leader stickiness may refuse a
     * vote request; a pre-vote and a granted pre-vote answer leave our term; anything else makes this
     * node a follower of that term.
     */
    boolean stepHigherTerm(Message message) {
        if (message.kind() == Message.Kind.REQUEST_VOTE) {
            RequestVote request = (RequestVote) message;
            boolean inLease = config.checkQuorum() && node.leaderId() != 0
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
            node.becomeFollower(message.term(), 0);
            return true;
        }
        if (message.kind() == Message.Kind.VOTE_RESPONSE && ((VoteResponse) message).preVote()
                && ((VoteResponse) message).granted()) {
            // A granted pre-vote carries the term we would campaign at, not a newer leader's term.
            return true;
        }
        int leader = RoleSteps.fromLeader(message) ? message.from() : 0;
        node.becomeFollower(message.term(), leader);
        return true;
    }

    /** A message from an earlier term, which is not processed; its sender may need to learn ours. */
    void stepLowerTerm(Message message) {
        if (RoleSteps.fromLeader(message)) {
            // A stale leader (perhaps cut off, and unable to learn the new term because PreVote keeps
            // us from disturbing it) learns of our term from this answer and steps down.
            outbox.send(new AppendResponse(id, message.from(), node.term(), false, 0, 0, 0), false);
        } else if (message.kind() == Message.Kind.REQUEST_VOTE && ((RequestVote) message).preVote()) {
            outbox.send(new VoteResponse(id, message.from(), node.term(), false, true), false);
        }
    }

    void handleRequestVote(RequestVote request) {
        long term = node.term();
        if (identity.replacedIn(configuration.membership())) {
            // The configuration binds this node's id to other storage: this node is not that member,
            // and remembers nothing of what the member acknowledged or whom it voted for. (Candidates
            // would not count its vote anyway; refusing spares them the question.)
            outbox.send(new VoteResponse(id, request.from(), term, false, request.preVote()), true);
            return;
        }
        int votedFor = node.votedFor();
        boolean canVote = votedFor == request.from()
                || (votedFor == HardState.NO_VOTE && node.leaderId() == 0)
                || (request.preVote() && request.term() > term);
        if (canVote && log.isUpToDate(request.lastLogIndex(), request.lastLogTerm())) {
            if (!request.preVote()) {
                electionElapsedTicks = 0;
                node.grantVote(request.from());
            }
            // A granted vote is answered at the requested term, so a pre-vote grant is not mistaken
            // for a rejection from a newer term.
            outbox.send(new VoteResponse(id, request.from(), request.term(), true, request.preVote()), true);
        } else {
            outbox.send(new VoteResponse(id, request.from(), term, false, request.preVote()), true);
        }
    }

    void handleVoteResponse(VoteResponse response) {
        Role role = node.role();
        boolean expected = (role == Role.PRE_CANDIDATE && response.preVote())
                || (role == Role.CANDIDATE && !response.preVote());
        if (!expected) {
            return;
        }
        // A grant counts for the member only from the storage the configuration binds it to.
        boolean counted = node.counts(response.from(), identity.storageOf(response.from()));
        tracker.recordVote(response.from(), response.granted() && counted);
        switch (tracker.tallyVotes()) {
            case WON -> winElection(role);
            case LOST -> node.becomeFollower(node.term(), 0);
            case PENDING -> { }
        }
    }

    void handleTimeoutNow() {
        if (isPromotable()) {
            // The leader asked for this election: no PreVote, and voters waive their lease.
            campaign(Role.CANDIDATE, true);
        }
    }

    /** Whether this node may campaign: a voter counted as itself, or just removed (§4.2.2). */
    boolean isPromotable() {
        if (configuration.membership().isVoter(id)) {
            return node.counts(id, identity.storageId());
        }
        // Dissertation §4.2.2: a server removed by a configuration entry that is not yet committed
        // still campaigns. Otherwise a two-voter cluster whose leader removed itself and then lost
        // leadership before the other voter had the entry would never elect anyone: the other voter
        // needs this node's vote, and this node (with the longer log) would refuse it. It must be the
        // server the configuration before the removal names, its storage included.
        Membership before = configuration.beforeUncommittedChange();
        return before != null && before.isVoter(id) && identity.counts(before, id, identity.storageId());
    }
}
