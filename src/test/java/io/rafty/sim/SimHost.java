package io.rafty.sim;

import io.rafty.kv.KvResult;
import io.rafty.kv.KvStateMachine;
import io.rafty.raft.Entry;
import io.rafty.raft.ForwardedProposal;
import io.rafty.raft.Membership;
import io.rafty.raft.NotLeaderException;
import io.rafty.raft.ProposalDroppedException;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RaftNode;
import io.rafty.raft.ReadState;
import io.rafty.raft.Ready;
import io.rafty.raft.RecoveredState;
import io.rafty.raft.Role;
import io.rafty.raft.SnapshotMeta;
import io.rafty.raft.message.InstallSnapshot;
import io.rafty.raft.message.Message;
import io.rafty.kv.KvEntry;
import io.rafty.storage.InMemoryKvStore;
import io.rafty.storage.InMemoryLogStore;
import io.rafty.storage.InMemorySnapshotStore;
import io.rafty.storage.SnapshotStore;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The simulated machine around one {@link RaftNode}: a disk, a state machine and a server that
 * answers clients, carrying out each {@link Ready} in the order its javadoc prescribes.
 *
 * <p>Persistence is a separate, later event: {@link Ready#messages()} leave at once, the Ready's
 * entries and hard state reach the disk only when {@link #persisted()} runs some simulated time
 * later, and only then do {@link Ready#messagesAfterPersist()} leave. A crash in between loses the
 * Ready, exactly like a {@code kill -9} before {@code fsync} returns.
 */
final class SimHost {

    private record PendingWrite(ClientRequest request, long term) {
    }

    private static final class PendingRead {
        final ClientRequest request;
        long index = -1;

        PendingRead(ClientRequest request) {
            this.request = request;
        }
    }

    final int id;
    private final Simulation sim;
    private final RaftConfig config;
    private final Membership membership;
    final long tickMicros;

    // Durable: survives crashes.
    private InMemoryLogStore disk = new InMemoryLogStore();
    private InMemoryKvStore kvStore = new InMemoryKvStore();
    private KvStateMachine stateMachine = new KvStateMachine(kvStore);
    private InMemorySnapshotStore snapshots = new InMemorySnapshotStore(disk, kvStore);
    private final long snapshotEntries;
    private final long snapshotLogTailEntries;

    // Volatile: lost on a crash.
    RaftNode node;
    boolean up;
    boolean paused;
    /** Stopped for good after leaving the configuration (its disk is kept, in case it is added back). */
    boolean retired;
    int incarnation;
    private Ready outstanding;
    private long nextReadId;
    private final TreeMap<Long, PendingWrite> pendingWrites = new TreeMap<>();
    private final Map<Long, PendingRead> pendingReads = new LinkedHashMap<>();
    /** Writes forwarded to the leader, until it says where it appended them. */
    private final Map<Long, ClientRequest> pendingForwards = new LinkedHashMap<>();
    private long nextForwardId;
    private final List<PendingRead> confirmedReads = new ArrayList<>();
    /** Snapshots received from leaders, by index, until the core asks to install one. */
    private final TreeMap<Long, List<KvEntry>> stagedSnapshots = new TreeMap<>();

    // Invariant bookkeeping, per incarnation.
    long lastCommitSeen;
    long commitCheckedUpTo;

    SimHost(int id, Simulation sim, RaftConfig config, Membership membership, long tickMicros, long snapshotEntries,
            long snapshotLogTailEntries) {
        this.id = id;
        this.snapshotEntries = snapshotEntries;
        this.snapshotLogTailEntries = snapshotLogTailEntries;
        this.sim = sim;
        this.config = config;
        this.membership = membership;
        this.tickMicros = tickMicros;
    }

    /** Boots from what the disk and state machine durably hold. */
    void start(SplittableRandom random) {
        Membership stored = disk.membership() != null ? disk.membership() : membership;
        RecoveredState state = new RecoveredState(disk.hardState(), stored, disk.logStartIndex(),
                disk.logStartTerm(), disk.entries(), stateMachine.appliedIndex());
        node = new RaftNode(config, state, random);
        up = true;
        paused = false;
        incarnation++;
        outstanding = null;
        lastCommitSeen = node.commitIndex();
        commitCheckedUpTo = 0;
        sim.trace("n" + id + " start term=" + node.term() + " commit=" + node.commitIndex() + " logStart="
                + node.logStartIndex() + " last="
                + node.lastIndex() + " applied=" + stateMachine.appliedIndex());
    }

    /**
     * Stops the process: every unsynced write (the outstanding Ready) is lost. When
     * {@code loseStateMachine}, the state machine's store is gone too and will be rebuilt by replay.
     */
    void crash(boolean loseStateMachine) {
        sim.trace("n" + id + " crash" + (outstanding != null ? " losing unsynced " + outstanding.entries().size()
                + " entries hs=" + outstanding.hardState() : "") + (loseStateMachine ? " and state machine" : ""));
        up = false;
        paused = false;
        node = null;
        outstanding = null;
        pendingWrites.clear();
        pendingReads.clear();
        pendingForwards.clear();
        confirmedReads.clear();
        stagedSnapshots.clear();
        disk = disk.reopen();
        if (loseStateMachine) {
            kvStore = new InMemoryKvStore();
            stateMachine = new KvStateMachine(kvStore);
        }
        snapshots = new InMemorySnapshotStore(disk, kvStore);
    }

    /** Whether the state machine may be destroyed on a crash: only while replay from index 1 is possible. */
    boolean canLoseStateMachine() {
        return disk.logStartIndex() == 0;
    }

    long appliedIndex() {
        return stateMachine.appliedIndex();
    }

    void tick() {
        node.tick();
        pump();
    }

    void receive(Message message) {
        node.step(message);
        pump();
    }

    void receive(ClientRequest request) {
        ClientCommand command = request.command();
        try {
            if (command.isWrite() && node.role() == Role.LEADER) {
                long index = node.propose(KvCommands.encode(command));
                pendingWrites.put(index, new PendingWrite(request, node.term()));
                sim.trace("n" + id + " propose " + command + " at " + index + "@" + node.term());
            } else if (command.isWrite()) {
                long forwardId = ++nextForwardId;
                node.forwardProposal(forwardId, KvCommands.encode(command));
                pendingForwards.put(forwardId, request);
                sim.trace("n" + id + " forwards " + command + " as f" + forwardId + " to n" + node.leaderId());
            } else {
                long readId = ++nextReadId;
                node.readIndex(readId);
                pendingReads.put(readId, new PendingRead(request));
                sim.trace("n" + id + " readIndex " + command + " as r" + readId);
            }
        } catch (NotLeaderException e) {
            sim.reply(this, request, ClientReply.Status.NOT_LEADER, e.leaderId(), null);
        } catch (ProposalDroppedException e) {
            sim.reply(this, request, ClientReply.Status.DROPPED, 0, null);
        }
        pump();
    }

    /** Takes and carries out Readies until the node is quiet or a persist is in flight. */
    void pump() {
        while (up && !paused && outstanding == null && node.hasReady()) {
            Ready ready = node.ready();
            sim.invariants().onReady(this, ready);
            for (Message message : canonicalOrder(ready.messages())) {
                sim.send(message);
            }
            if (ready.softState() != null) {
                sim.trace("n" + id + " " + ready.softState().role() + " term=" + ready.softState().term()
                        + " leader=" + ready.softState().leaderId());
                // As in RaftVerticle: the old leader will not answer what it was asked. Reads are
                // retried; forwarded writes may have been appended, so they get no answer (unknown).
                abortUnconfirmedReads();
                pendingForwards.clear();
                if (ready.softState().role() == Role.LEADER) {
                    sim.onBecameLeader(this);
                }
            }
            for (ForwardedProposal outcome : ready.forwardedProposals()) {
                onForwarded(outcome);
            }
            for (int peer : ready.peersNeedingSnapshot()) {
                sendSnapshot(peer);
            }
            if (ready.mustPersist()) {
                outstanding = ready;
                sim.schedulePersist(this);
                return;
            }
            finish(ready);
        }
    }

    /** The persist event: the outstanding Ready's writes are now synced. */
    void persisted() {
        Ready ready = outstanding;
        outstanding = null;
        SnapshotMeta install = ready.snapshot();
        if (install != null) {
            List<KvEntry> image = stagedSnapshots.get(install.index());
            if (image == null) {
                throw new IllegalStateException("node " + id + " must install a snapshot through " + install.index()
                        + " that it never received");
            }
            snapshots.install(install, image.iterator());
            // A newer snapshot may have arrived (and been accepted) while this one was being installed.
            stagedSnapshots.headMap(install.index(), true).clear();
            sim.invariants().onSnapshotInstalled(this, install.index());
            sim.trace("n" + id + " installed snapshot through " + install.index() + "@" + install.term());
        }
        if (!ready.entries().isEmpty() && ready.entries().get(0).index() <= stateMachine.appliedIndex()) {
            throw new InvariantViolation("node " + id + " truncates its durable log at "
                    + ready.entries().get(0).index() + ", at or below its applied index " + stateMachine.appliedIndex());
        }
        disk.save(ready.hardState(), ready.entries());
        sim.trace("n" + id + " persisted " + ready.entries().size() + " entries"
                + (ready.entries().isEmpty() ? "" : " " + ready.entries().get(0).index() + ".."
                + ready.entries().get(ready.entries().size() - 1).index())
                + (ready.hardState() == null ? "" : " hs=" + ready.hardState()));
        finish(ready);
        pump();
    }

    private void finish(Ready ready) {
        for (Message message : canonicalOrder(ready.messagesAfterPersist())) {
            sim.send(message);
        }
        if (!ready.committedEntries().isEmpty()) {
            apply(ready.committedEntries());
        }
        for (ReadState readState : ready.readStates()) {
            PendingRead read = pendingReads.remove(readState.requestId());
            if (read != null) {
                read.index = readState.index();
                confirmedReads.add(read);
            }
        }
        serveReads();
        node.advance(ready);
    }

    /**
     * The Ready's messages, stably sorted by destination. RaftNode sends vote requests in the
     * iteration order of {@code Membership.voters()}, an immutable {@code Set.copyOf} whose order
     * changes from one JVM to the next; the network's random draws follow send order, so without
     * this a seed would not replay across JVMs. Messages to one peer keep their relative order.
     */
    private static List<Message> canonicalOrder(List<Message> messages) {
        if (messages.size() < 2) {
            return messages;
        }
        List<Message> sorted = new ArrayList<>(messages);
        sorted.sort(java.util.Comparator.comparingInt(Message::to));
        return sorted;
    }

    private void apply(List<Entry> committed) {
        sim.invariants().onApply(this, committed);
        List<KvResult> results = stateMachine.apply(committed);
        Map<Long, KvAnswer> answers = new TreeMap<>();
        for (KvResult result : results) {
            KvAnswer answer = KvCommands.answer(result);
            answers.put(result.index(), answer);
            sim.invariants().onResult(this, result.index(), answer);
        }
        for (Entry entry : committed) {
            PendingWrite write = pendingWrites.remove(entry.index());
            if (write == null) {
                continue;
            }
            if (entry.term() == write.term()) {
                sim.reply(this, write.request(), ClientReply.Status.OK, 0, answers.get(entry.index()));
            } else {
                sim.reply(this, write.request(), ClientReply.Status.OVERWRITTEN, node.leaderId(), null);
            }
        }
        sim.trace("n" + id + " applied " + committed.get(0).index() + ".." + committed.get(committed.size() - 1).index());
        maybeCompact();
    }

    /** Takes a snapshot (syncs the state machine) and drops the log before it, less a tail. */
    private void maybeCompact() {
        if (snapshotEntries == 0 || stateMachine.appliedIndex() - node.logStartIndex() < snapshotEntries) {
            return;
        }
        long synced = snapshots.syncStateMachine();
        node.compact(synced - snapshotLogTailEntries);
        // The configuration at the new log start must outlive the entries that carried it, as in
        // RaftVerticle: saved before the log is cut.
        disk.saveMembership(node.baseMembership());
        disk.compact(node.logStartIndex());
        sim.trace("n" + id + " compacted through " + node.logStartIndex());
    }

    /** The leader streams its state machine to a follower whose next entries are compacted away. */
    private void sendSnapshot(int peer) {
        if (node.role() != Role.LEADER) {
            // The core can hand out a snapshot request in the same Ready in which it stepped down
            // (the request was queued while it led). RaftVerticle checks the role before sending;
            // without this check the host would send an InstallSnapshot stamped with the new term,
            // as if it led that term.
            sim.trace("n" + id + " no longer leads: no snapshot to n" + peer);
            return;
        }
        long index;
        List<KvEntry> image = new ArrayList<>();
        try (SnapshotStore.StateImage state = snapshots.openImage()) {
            index = state.appliedIndex();
            state.entries().forEachRemaining(image::add);
        }
        long snapshotTerm = node.termAt(index);
        if (snapshotTerm < 0) {
            node.reportSnapshot(peer, false, index);
            return;
        }
        InstallSnapshot message = new InstallSnapshot(id, peer, node.term(), index, snapshotTerm,
                node.membershipAt(index));
        sim.sendSnapshot(this, message, image);
    }

    /** A whole snapshot arrived from a leader: stage its data, then let the core decide. */
    void receiveSnapshot(InstallSnapshot message, List<KvEntry> image) {
        stagedSnapshots.put(message.snapshotIndex(), image);
        receive(message);
    }

    /** The outcome of a snapshot transfer this node sent, as its sender would learn it. */
    void snapshotTransferred(int peer, boolean delivered, long index) {
        node.reportSnapshot(peer, delivered, index);
        pump();
    }

    private void serveReads() {
        long applied = stateMachine.appliedIndex();
        Iterator<PendingRead> reads = confirmedReads.iterator();
        while (reads.hasNext()) {
            PendingRead read = reads.next();
            if (read.index <= applied) {
                reads.remove();
                String value = KvCommands.value(stateMachine.get(KvCommands.bytes(read.request.command().key())));
                sim.reply(this, read.request, ClientReply.Status.OK, 0, new KvAnswer(value, value != null));
            }
        }
    }

    private void onForwarded(ForwardedProposal outcome) {
        ClientRequest request = pendingForwards.remove(outcome.requestId());
        if (request == null) {
            return;
        }
        sim.trace("n" + id + " f" + outcome.requestId() + (outcome.refused() ? " refused"
                : " appended at " + outcome.index() + "@" + outcome.term()));
        if (outcome.refused()) {
            sim.reply(this, request, ClientReply.Status.NOT_LEADER, node.leaderId(), null);
        } else if (outcome.index() > stateMachine.appliedIndex()) {
            pendingWrites.put(outcome.index(), new PendingWrite(request, outcome.term()));
        }
        // Else already applied before the answer came: no reply, the client sees an unknown outcome.
    }

    private void abortUnconfirmedReads() {
        for (PendingRead read : pendingReads.values()) {
            sim.reply(this, read.request, ClientReply.Status.READ_ABORTED, 0, null);
        }
        pendingReads.clear();
    }
}
