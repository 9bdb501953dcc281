package io.rafty.raft;

import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One node of the interaction harness together with the host around it: a durable in-memory disk
 * (log, hard state, log start and its configuration), a state machine that records every applied
 * entry, and a staging area for a snapshot received from a leader. It carries out a Ready in the
 * order {@link Ready} prescribes, and checks on the way the promises the Ready makes to its host
 * (contiguous appends, applying only persisted entries, a snapshot only when one was received), so a
 * core that breaks them fails the scenario instead of printing a plausible-looking golden file.
 *
 * <p>Like {@link LocalCluster}'s disk, persistence is instant and always succeeds; what a crash
 * loses is only what the node has not yet handed out in a Ready.
 */
final class InteractionHost {

    /** A snapshot a leader streamed to this node: the leader's state machine through {@code index}. */
    record StagedSnapshot(long index, long term, List<Entry> stateMachine) {
    }

    final int id;
    final RaftConfig config;
    /** The configuration the node was first started with (what it knows before any log or snapshot). */
    final Membership initial;
    RaftNode node;
    /** How often the node was started; each start gets its own deterministic random sequence. */
    private int incarnation;
    /** The id of the disk: a wiped node comes back with another one, as a replaced disk would. */
    long storageId;

    // The durable disk.
    HardState hardState = HardState.INITIAL;
    long logStartIndex;
    long logStartTerm;
    /** The configuration at the log start, once a compaction or snapshot moved it; null before. */
    Membership base;
    final List<Entry> log = new ArrayList<>();

    // The durable state machine: every applied entry in order; a snapshot copies it.
    final List<Entry> applied = new ArrayList<>();
    long appliedIndex;

    /** A received snapshot that the node has not asked to install yet (lost on a crash). */
    StagedSnapshot staged;

    InteractionHost(RaftConfig config, Membership initial) {
        this.id = config.id();
        this.config = config;
        this.initial = initial;
        this.storageId = 100L * id + 1;
        start();
    }

    /** Throws the whole disk away, state machine included, and starts on a new, empty one. */
    void wipe() {
        hardState = HardState.INITIAL;
        logStartIndex = 0;
        logStartTerm = 0;
        base = null;
        log.clear();
        applied.clear();
        appliedIndex = 0;
        storageId++;
        start();
    }

    /** What this node's batches carry. */
    PeerIdentity identity() {
        return node.identity();
    }

    /** (Re)builds the node from the disk alone, as a process that crashed and restarted would. */
    void start() {
        RecoveredState state = new RecoveredState(hardState, base == null ? initial : base, logStartIndex,
                logStartTerm, log, appliedIndex, storageId);
        // Seeded by id and incarnation: deterministic, yet a restarted node does not replay the random
        // choices (election timeouts, forwarding contexts) of its previous life.
        node = new RaftNode(config, state, new Random(id + 1_000_003L * incarnation));
        incarnation++;
        staged = null;
    }

    /**
     * Carries out one Ready, appending every message the node sends to {@code network}: the
     * immediate ones first, the after-persist ones once the disk write is done.
     */
    void handle(Ready ready, List<Message> network) {
        network.addAll(ready.messages());
        persist(ready);
        network.addAll(ready.messagesAfterPersist());
        for (Entry entry : ready.committedEntries()) {
            apply(entry);
        }
        node.advance(ready);
    }

    private void persist(Ready ready) {
        SnapshotMeta snapshot = ready.snapshot();
        if (snapshot != null) {
            if (staged == null || staged.index() != snapshot.index() || staged.term() != snapshot.term()) {
                throw new IllegalStateException("node " + id + "'s Ready asks to install snapshot " + snapshot.index()
                        + "@" + snapshot.term() + " but the host received " + (staged == null ? "none"
                        : staged.index() + "@" + staged.term()));
            }
            applied.clear();
            applied.addAll(staged.stateMachine());
            appliedIndex = snapshot.index();
            log.clear();
            base = snapshot.membership();
            logStartIndex = snapshot.index();
            logStartTerm = snapshot.term();
            staged = null;
        }
        if (!ready.entries().isEmpty()) {
            long first = ready.entries().get(0).index();
            if (first <= logStartIndex || first > lastIndex() + 1) {
                throw new IllegalStateException("node " + id + "'s Ready writes entries from " + first
                        + " but the disk holds (" + logStartIndex + ", " + lastIndex() + "]");
            }
            while (lastIndex() >= first) {
                log.remove(log.size() - 1);
            }
            for (Entry entry : ready.entries()) {
                if (entry.index() != lastIndex() + 1) {
                    throw new IllegalStateException("node " + id + "'s Ready entries are not contiguous at " + entry);
                }
                log.add(entry);
            }
        }
        if (ready.hardState() != null) {
            hardState = ready.hardState();
        }
    }

    private void apply(Entry entry) {
        if (entry.index() != appliedIndex + 1) {
            throw new IllegalStateException("node " + id + " is asked to apply " + entry.index()
                    + " after applying " + appliedIndex);
        }
        if (entry.index() <= logStartIndex || entry.index() > lastIndex()
                || !log.get((int) (entry.index() - logStartIndex - 1)).equals(entry)) {
            throw new IllegalStateException("node " + id + " is asked to apply " + InteractionFormat.entry(entry)
                    + ", which is not on its disk");
        }
        applied.add(entry);
        appliedIndex = entry.index();
    }

    long lastIndex() {
        return logStartIndex + log.size();
    }

    /** Compacts the node's log through {@code index} (it may compact less), and the disk to match. */
    void compact(long index) {
        node.compact(index);
        base = node.baseMembership();
        long newStart = node.logStartIndex();
        while (logStartIndex < newStart) {
            Entry dropped = log.remove(0);
            logStartIndex = dropped.index();
            logStartTerm = dropped.term();
        }
    }

    /**
     * What this node, as leader, streams to {@code peer}: its state machine as of its applied index.
     * The data is staged at the peer's host; the returned message tells the peer's node about it.
     */
    InstallSnapshot snapshotFor(InteractionHost peer) {
        long index = appliedIndex;
        long term = node.termAt(index);
        if (term < 0) {
            throw new IllegalStateException("node " + id + " has no term for its applied index " + index);
        }
        peer.staged = new StagedSnapshot(index, term, List.copyOf(applied));
        return new InstallSnapshot(id, peer.id, node.term(), index, term, node.membershipAt(index));
    }
}
