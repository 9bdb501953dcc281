package io.rafty.raft;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.Propose;
import io.rafty.raft.message.ProposeResponse;
import io.rafty.raft.message.ReadIndexResponse;
import io.rafty.raft.message.TimeoutNow;
import io.rafty.raft.tracker.Progress;
import io.rafty.raft.tracker.ProgressTracker;
import java.util.ArrayList;
import java.util.List;

/**
 * The leader's side of log replication: appending proposals and configuration changes, sending
 * appends, heartbeats and commit notices to followers, handling their answers, the §5.4.2 commit
 * rule, and leadership transfer (thesis §3.10). It owns the bytes still uncommitted and the transfer
 * under way; what it needs of the node goes through {@link NodeContext}.
 */
final class Replicator {

    private final RaftConfig config;
    private final int id;
    private final RaftLog log;
    private final ConfigurationTracker configuration;
    private final ProgressTracker tracker;
    private final ClusterIdentity identity;
    private final ReadOnlyQueue readOnly;
    private final ReadOnlyQueue.ConfirmedReads confirmedReads = this::readConfirmed;
    private final Outbox outbox;
    private final NodeContext node;

    private int heartbeatElapsedTicks;
    private int leadTransferee;
    private int transferElapsedTicks;
    private long uncommittedBytes;

    Replicator(RaftConfig config, RaftLog log, ConfigurationTracker configuration, ProgressTracker tracker,
            ClusterIdentity identity, ReadOnlyQueue readOnly, Outbox outbox, NodeContext node) {
        this.config = config;
        this.id = config.id();
        this.log = log;
        this.configuration = configuration;
        this.tracker = tracker;
        this.identity = identity;
        this.readOnly = readOnly;
        this.outbox = outbox;
        this.node = node;
    }

    /** Restarts the heartbeat timer, forgets the uncommitted bytes and any transfer: the node changed role. */
    void reset() {
        heartbeatElapsedTicks = 0;
        uncommittedBytes = 0;
        leadTransferee = 0;
    }

    /** See {@link RaftNode#propose(List)}. */
    long propose(List<byte[]> payloads) {
        if (node.role() != Role.LEADER) {
            throw new NotLeaderException(node.leaderId());
        }
        if (leadTransferee != 0) {
            throw new ProposalDroppedException("leadership is being transferred to node " + leadTransferee);
        }
        long bytes = 0;
        for (byte[] payload : payloads) {
            bytes += payload.length;
        }
        if (uncommittedBytes > 0 && uncommittedBytes + bytes > config.uncommittedBytesMax()) {
            throw new ProposalDroppedException("too many uncommitted bytes (" + uncommittedBytes + ")");
        }
        uncommittedBytes += bytes;
        long first = log.lastIndex() + 1;
        for (byte[] payload : payloads) {
            log.append(Entry.command(node.term(), log.lastIndex() + 1, payload));
        }
        broadcastAppend();
        return first;
    }

    /** See {@link RaftNode#proposeMembership(Membership)}. */
    long proposeMembership(Membership next) {
        if (node.role() != Role.LEADER) {
            throw new NotLeaderException(node.leaderId());
        }
        if (leadTransferee != 0) {
            throw new MembershipChangeException("leadership is being transferred to node " + leadTransferee);
        }
        configuration.checkChange(next, committedInCurrentTerm(), identity::storageOf);
        long index = log.lastIndex() + 1;
        log.append(new Entry(node.term(), index, EntryType.CONFIGURATION, next.encode()));
        configuration.appended(index);
        node.setMembership(next);
        broadcastAppend();
        return index;
    }

    /** See {@link RaftNode#transferLeadership(int)}. */
    void transferLeadership(int target) {
        if (node.role() != Role.LEADER) {
            throw new NotLeaderException(node.leaderId());
        }
        if (target == id) {
            return;
        }
        if (!configuration.membership().isVoter(target)) {
            throw new MembershipChangeException("node " + target + " is not a voter");
        }
        Progress pr = tracker.get(target);
        if (pr != null && !node.counts(target, pr.storageId())) {
            throw new MembershipChangeException("node " + target + " is on new storage and cannot lead until it has"
                    + " been rebuilt");
        }
        leadTransferee = target;
        transferElapsedTicks = 0;
        if (pr.match() == log.lastIndex()) {
            outbox.send(new TimeoutNow(id, target, node.term()), false);
        } else {
            sendAppend(target, pr);
        }
    }

    /** Starts confirming a read (the leader's own or a follower's) with a heartbeat round (§6.4). */
    void confirmRead(ReadOnlyQueue.ReadRequest request) {
        if (!committedInCurrentTerm()) {
            // The leader does not know the true commit index until an entry of its own term commits (§8).
            readOnly.awaitTermCommit(request);
            return;
        }
        readOnly.add(request, log.committed());
    }

    boolean isTransferringLeadership() {
        return leadTransferee != 0;
    }

    /**
     * One leader tick: a transfer target that did not take over within an election timeout is given
     * up on; at each CheckQuorum period ({@code electionTimeoutPassed}) a leader that has not heard
     * from a quorum steps down; heartbeats go out at their interval.
     */
    void tick(boolean electionTimeoutPassed) {
        heartbeatElapsedTicks++;
        if (leadTransferee != 0 && ++transferElapsedTicks >= config.electionTimeoutTicksMin()) {
            leadTransferee = 0;
        }
        if (electionTimeoutPassed && config.checkQuorum() && !tracker.quorumRecentlyActive()) {
            node.becomeFollower(node.term(), 0);
            return;
        }
        if (heartbeatElapsedTicks >= config.heartbeatIntervalTicks()) {
            heartbeatElapsedTicks = 0;
            broadcastHeartbeat();
        }
    }

    /** See {@link RaftNode#reportSnapshot(int, boolean, long)}. */
    void reportSnapshot(int peer, boolean delivered, long snapshotIndex) {
        Progress pr = tracker.get(peer);
        if (node.role() != Role.LEADER || pr == null || pr.state() != Progress.State.SNAPSHOT) {
            return;
        }
        if (delivered) {
            pr.onSnapshotDelivered(snapshotIndex);
        } else {
            pr.onSnapshotFailed();
        }
    }

    private boolean committedInCurrentTerm() {
        return log.term(log.committed()) == node.term();
    }

    // ----- answers from followers -----------------------------------------------------------

    void handleAppendResponse(AppendResponse response) {
        Progress pr = tracker.get(response.from());
        if (pr == null) {
            return;
        }
        pr.markActive();
        if (!response.success()) {
            if (pr.maybeDecreaseTo(response.index(), probeHint(response))) {
                sendAppend(response.from(), pr);
            }
            return;
        }
        boolean moved = pr.maybeUpdate(response.index());
        if (moved && pr.state() != Progress.State.REPLICATE) {
            pr.becomeReplicate();
        }
        if (response.from() == leadTransferee && pr.match() == log.lastIndex()) {
            outbox.send(new TimeoutNow(id, leadTransferee, node.term()), false);
        }
        if (moved && maybeCommit()) {
            broadcastAppend();
        } else {
            sendAppend(response.from(), pr);
        }
    }

    /**
     * Where to probe from after a rejection (fast backtracking): past the leader's last entry of the
     * follower's conflicting term when the leader has that term, else the follower's conflict index.
     */
    private long probeHint(AppendResponse rejection) {
        if (rejection.conflictTerm() > 0) {
            long ours = log.lastIndexOfTerm(rejection.conflictTerm());
            if (ours > 0) {
                return ours + 1;
            }
        }
        return rejection.conflictIndex();
    }

    void handleHeartbeatResponse(HeartbeatResponse response) {
        Progress pr = tracker.get(response.from());
        if (pr == null) {
            return;
        }
        pr.onHeartbeatResponse();
        if (pr.match() < log.lastIndex()) {
            sendAppend(response.from(), pr);
        }
        if (pr.maybeAcknowledgeRead(response.readContext())) {
            releaseConfirmedReads();
        }
    }

    /** Commands a follower forwarded (any role receives them; only a leader not transferring appends them). */
    void handlePropose(Propose propose) {
        Progress pr = tracker.get(propose.from());
        if (propose.payloads().isEmpty() || (pr != null && !pr.firstProposal(propose.context()))) {
            return;
        }
        long first = 0;
        if (node.role() == Role.LEADER && leadTransferee == 0) {
            try {
                first = propose(propose.payloads());
            } catch (ProposalDroppedException e) {
                first = 0;
            }
        }
        if (first > 0 && pr != null) {
            // The follower answers its clients when it applies these entries: make sure it learns
            // their commit promptly, even if nothing else is sent its way (sendCommitNotices).
            pr.awaitCommit(first + propose.payloads().size() - 1);
        }
        outbox.send(new ProposeResponse(id, propose.from(), node.term(), propose.context(), first), false);
    }

    private void readConfirmed(ReadOnlyQueue.ReadRequest request, long index) {
        if (request.origin() == id) {
            outbox.addRead(new ReadState(request.requestId(), index));
        } else {
            outbox.send(new ReadIndexResponse(id, request.origin(), node.term(), request.requestId(), index), false);
        }
    }

    private void releaseConfirmedReads() {
        readOnly.release(tracker.confirmedReadRound(readOnly.roundSent()), confirmedReads);
    }

    /** Commits the highest index stored on a quorum, if it is of the current term (§5.4.2). */
    boolean maybeCommit() {
        long candidate = tracker.committedIndex(log.stableIndex());
        if (candidate <= log.committed()) {
            return false;
        }
        if (log.term(candidate) != node.term() && !config.has(DeliberateBug.COMMIT_PREVIOUS_TERM_BY_COUNTING)) {
            // Figure 8: counting replicas of an older term's entry does not make it committed.
            return false;
        }
        long before = log.committed();
        log.commitTo(candidate);
        for (long i = before + 1; i <= candidate; i++) {
            uncommittedBytes = Math.max(0, uncommittedBytes - log.entry(i).payload().length);
        }
        if (committedInCurrentTerm()) {
            readOnly.onTermCommitted(log.committed());
        }
        if (!configuration.membership().isVoter(id) && log.committed() >= configuration.lastConfigIndex()) {
            // A leader removed from the configuration leads until the removal commits, then steps
            // down (dissertation §4.2.2).
            node.becomeFollower(node.term(), 0);
        }
        return true;
    }

    // ----- sending --------------------------------------------------------------------------

    void broadcastAppend() {
        tracker.forEach(this::sendAppend);
    }

    private void sendAppend(int peer, Progress pr) {
        if (pr.isPaused()) {
            return;
        }
        long prevIndex = pr.next() - 1;
        if (prevIndex < log.startIndex()) {
            // The entries this follower needs were compacted away: it needs a snapshot (§7).
            pr.becomeSnapshot();
            outbox.needsSnapshot(peer);
            return;
        }
        List<Entry> entries = log.slice(pr.next(), config.messageBytesMax());
        if (entries.isEmpty() && pr.state() == Progress.State.REPLICATE) {
            // Nothing new; heartbeats carry the commit index.
            return;
        }
        long term = node.term();
        outbox.send(new AppendEntries(id, peer, term, prevIndex, log.term(prevIndex), entries, log.committed()), false);
        pr.sentCommit(Math.min(log.committed(), prevIndex + entries.size()));
        pr.sentAppend(prevIndex + entries.size(), !entries.isEmpty());
    }

    void broadcastHeartbeat() {
        long readRound = readOnly.roundForHeartbeat();
        long term = node.term();
        tracker.forEach((peer, pr) -> {
            long commit = Math.min(pr.match(), log.committed());
            outbox.send(new Heartbeat(id, peer, term, commit, readRound), false);
            pr.sentCommit(commit);
        });
        releaseConfirmedReads();
    }

    /**
     * A follower that forwarded commands applies them only once it learns they committed. Appends
     * carry the commit index, but when none is going its way (a lone client, say) the leader sends an
     * empty append from the follower's match index, which commits on the follower as far as it holds.
     */
    void sendCommitNotices() {
        long term = node.term();
        tracker.forEach((peer, pr) -> {
            if (pr.commitNoticeDue(log.committed(), log.startIndex())) {
                outbox.send(new AppendEntries(id, peer, term, pr.match(), log.term(pr.match()), List.of(),
                        log.committed()), false);
                pr.sentCommit(Math.min(log.committed(), pr.match()));
            }
        });
    }

    boolean commitNoticeDue() {
        return node.role() == Role.LEADER && tracker.commitNoticeDue(log.committed(), log.startIndex());
    }

    /** See {@link RaftNode#progress()}. */
    List<PeerProgress> progress() {
        List<PeerProgress> out = new ArrayList<>();
        if (node.role() != Role.LEADER) {
            return out;
        }
        Membership membership = configuration.membership();
        out.add(new PeerProgress(id, membership.isVoter(id), log.stableIndex(), log.lastIndex() + 1, null,
                identity.storageId()));
        tracker.forEach((peer, pr) -> out.add(new PeerProgress(peer, membership.isVoter(peer), pr.match(), pr.next(),
                pr.state(), pr.storageId())));
        return out;
    }
}
