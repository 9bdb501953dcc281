package io.rafty.raft;

import io.rafty.raft.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's side of the Ready contract: what the next {@link Ready} carries, and which Readies are out.
 *
 * <p>A full Ready takes everything pending — new entries and the hard state to persist, messages to send now
 * and after the persist, committed entries within the host's apply budget, confirmed reads, a snapshot to
 * install — and stays outstanding until {@link #advance(Ready)}. In the synchronous mode nothing else
 * leaves meanwhile, so everything that arrives during the persist shares the next synced write (group
 * commit). With {@link RaftConfig#asyncStorageWrites()} the host may also take <em>light</em> Readies beside
 * it, one at a time, carrying only what promises nothing durable (see {@link #lightReady()}).
 *
 * <p>It reads the node through {@link NodeContext} and the parts the node shares with it; it changes the
 * node's state only through those parts (the heartbeat round, commit notices, the forwarder's flush, the
 * log's stable point and the commit that follows it).
 */
final class ReadyCycle {
    private final RaftConfig config;
    private final RaftLog log;
    private final ClusterIdentity identity;
    private final ReadOnlyQueue readOnly;
    private final Outbox outbox;
    private final Forwarder forwarder;
    private final Replicator replicator;
    private final Elections elections;
    private final NodeContext node;
    /** {@link DeliberateBug#ASYNC_ACKS_IN_LIGHT_READY}: light Readies carry the acknowledgements too. */
    private final boolean acksInLightReady;

    /** Bytes of committed entries the host can take now (its apply queue's room); 0 withholds them. */
    private long applyBudgetBytes = Long.MAX_VALUE;
    private SoftState lastSoftState;
    private HardState lastHardState;
    /** A Ready that may carry durable state was handed out and not yet advanced (its persist is in flight). */
    private boolean readyOutstanding;
    /** A light Ready handed out beside it, not yet advanced. */
    private Ready lightReadyOutstanding;
    /** The Ready in flight installs a received snapshot: no light Ready until it is advanced. */
    private boolean installOutstanding;

    ReadyCycle(RaftConfig config, RaftLog log, ClusterIdentity identity, ReadOnlyQueue readOnly, Outbox outbox,
            Forwarder forwarder, Replicator replicator, Elections elections, NodeContext node) {
        this.config = config;
        this.log = log;
        this.identity = identity;
        this.readOnly = readOnly;
        this.outbox = outbox;
        this.forwarder = forwarder;
        this.replicator = replicator;
        this.elections = elections;
        this.node = node;
        this.acksInLightReady = config.has(DeliberateBug.ASYNC_ACKS_IN_LIGHT_READY);
        this.lastSoftState = softState();
        this.lastHardState = hardState();
    }

    /** See {@link RaftNode#limitApply(long)}. */
    void limitApply(long bytesAvailable) {
        applyBudgetBytes = bytesAvailable;
    }

    /** Reads wait for a heartbeat round and none is outstanding ({@link ReadOnlyQueue}). */
    boolean readRoundStartable() {
        return node.role() == Role.LEADER && readOnly.roundStartable();
    }

    /** See {@link RaftNode#hasReady()}. */
    boolean hasReady() {
        if (lightReadyOutstanding != null) {
            return false;
        }
        if (readyOutstanding) {
            return lightReadyAllowed() && hasLightWork();
        }
        return !softState().equals(lastSoftState) || !hardState().equals(lastHardState) || log.hasUnstable()
                || outbox.hasWork() || (log.hasCommittedToApply() && applyBudgetBytes > 0) || readRoundStartable()
                || !forwarder.outcomes().isEmpty()
                || (node.leaderId() != 0 && forwarder.hasPending())
                || replicator.commitNoticeDue();
    }

    /** See {@link RaftNode#ready()}. */
    Ready ready() {
        if (lightReadyOutstanding != null || (readyOutstanding && !lightReadyAllowed())) {
            throw new IllegalStateException("the previous Ready has not been advanced");
        }
        if (readyOutstanding) {
            return lightReady();
        }
        collectSends();
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
                outbox.messages(),
                outbox.messagesAfterPersist(),
                committed,
                outbox.readStates(),
                outbox.snapshotToInstall(),
                outbox.peersNeedingSnapshot(),
                forwarder.outcomes());
        outbox.clear();
        lastSoftState = soft;
        lastHardState = hard;
        forwarder.clearOutcomes();
        readyOutstanding = true;
        installOutstanding = ready.snapshot() != null;
        return ready;
    }

    /** See {@link RaftNode#advance(Ready)}. */
    void advance(Ready ready) {
        if (ready == lightReadyOutstanding) {
            lightReadyOutstanding = null;
            return;
        }
        if (!readyOutstanding) {
            throw new IllegalStateException("advance without an outstanding Ready");
        }
        readyOutstanding = false;
        installOutstanding = false;
        elections.persisted(ready.hardState());
        if (!ready.entries().isEmpty()) {
            Entry last = ready.entries().get(ready.entries().size() - 1);
            log.stableTo(last.index(), last.term());
            if (node.role() == Role.LEADER && replicator.maybeCommit()) {
                replicator.broadcastAppend();
            }
        }
    }

    /**
     * What every Ready sends that the node queues only when one is taken: a leader's heartbeat round for
     * waiting reads and its commit notices; a follower's reads and commands for its leader, one message
     * per kind since the last Ready.
     */
    private void collectSends() {
        if (readRoundStartable()) {
            replicator.broadcastHeartbeat();
        }
        if (node.role() == Role.LEADER) {
            replicator.sendCommitNotices();
        } else if (node.leaderId() != 0) {
            forwarder.flush(node.leaderId(), node.term(), outbox.messages());
        }
    }

    /**
     * Whether a light Ready may go out beside the one in flight: not while a received snapshot is being
     * installed (it replaces the log and state machine under everything), and never in the synchronous mode.
     */
    private boolean lightReadyAllowed() {
        return config.asyncStorageWrites() && outbox.snapshotToInstall() == null && !installOutstanding;
    }

    /** Work a light Ready can carry: nothing here waits for, or promises, a persist. */
    private boolean hasLightWork() {
        return !softState().equals(lastSoftState) || !outbox.messages().isEmpty() || !outbox.readStates().isEmpty()
                || !outbox.peersNeedingSnapshot().isEmpty() || readRoundStartable() || !forwarder.outcomes().isEmpty()
                || (node.leaderId() != 0 && forwarder.hasPending()) || replicator.commitNoticeDue()
                || (acksInLightReady && !outbox.messagesAfterPersist().isEmpty());
    }

    /**
     * A Ready taken while another's persist is in flight (etcd's asynchronous storage writes, in the
     * shape of this core): role changes, messages that promise nothing durable (a leader's appends,
     * heartbeats and commit notices, heartbeat answers, forwarded commands and reads), confirmed reads
     * and snapshot requests leave at once instead of waiting for an unrelated fsync. Everything that
     * needs or promises durable state stays for the next full Ready: new entries and the hard state
     * (so one synced write still gathers everything that arrived meanwhile), votes and append
     * acknowledgements, and committed entries (applied only once this node has persisted them, and in
     * log order, behind the full Ready's).
     */
    private Ready lightReady() {
        collectSends();
        List<Message> messages = new ArrayList<>(outbox.messages());
        if (acksInLightReady) {
            messages.addAll(outbox.messagesAfterPersist());
            outbox.messagesAfterPersist().clear();
        }
        SoftState soft = softState();
        Ready ready = new Ready(soft.equals(lastSoftState) ? null : soft, null, List.of(), messages, List.of(),
                List.of(), outbox.readStates(), null, outbox.peersNeedingSnapshot(), forwarder.outcomes());
        outbox.clearLight();
        lastSoftState = soft;
        forwarder.clearOutcomes();
        lightReadyOutstanding = ready;
        return ready;
    }

    /** See {@link RaftNode#softState()}. */
    SoftState softState() {
        return new SoftState(node.role(), node.leaderId(), node.term());
    }

    /** See {@link RaftNode#hardState()}. */
    HardState hardState() {
        return new HardState(node.term(), node.votedFor(), log.committed(), identity.clusterId());
    }
}
