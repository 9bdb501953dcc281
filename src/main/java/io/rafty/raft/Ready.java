package io.rafty.raft;

import io.rafty.raft.message.Message;
import java.util.List;

/**
 * A batch of work the host must carry out, taken from {@link RaftNode#ready()} and handed back with
 * {@link RaftNode#advance(Ready)} once done. The host must follow this order:
 *
 * <ol>
 *   <li>{@link #snapshot()}, when not null, must be installed first: the host replaces its state
 *       machine with the snapshot it has received (atomically) and resets its stored log to start
 *       after the snapshot's index. Nothing before it survives.</li>
 *   <li>{@link #messages()} may be sent at once, even before anything is persisted. They are the
 *       leader's appends and heartbeats; the leader never counts itself toward a quorum for entries it
 *       has not persisted, so sending them early is safe (Raft thesis §10.2.1).</li>
 *   <li>{@link #hardState()} (when not null) and {@link #entries()} must be persisted durably (one
 *       synced write) <em>before</em> any of {@link #messagesAfterPersist()} is sent: those are votes,
 *       vote requests and append acknowledgements, each a promise about durable state. Entries
 *       overwrite the log from {@code entries().get(0).index()}: every stored entry at or after that
 *       index is removed first (conflict truncation). A hard state that differs from the last
 *       persisted one only in its commit index may be persisted lazily, or not at all: no message
 *       promises anything about it, and a restarted node recomputes it from its applied index and
 *       its leader.</li>
 *   <li>{@link #committedEntries()} are to be applied to the state machine in order. They are always
 *       entries this node has already persisted (in an earlier Ready or this one).</li>
 *   <li>{@link #readStates()} are confirmed linearizable reads: serve each once the applied index
 *       reaches its index.</li>
 *   <li>{@link #forwardedProposals()}: where the leader put commands this follower forwarded with
 *       {@link RaftNode#forwardProposal(long, byte[])}, or that it refused them. Each is complete
 *       when this node applies its index, if the entry there has its term.</li>
 *   <li>{@link #peersNeedingSnapshot()}: followers whose next entries are compacted away. The host
 *       streams each a snapshot of its state machine and reports the outcome with
 *       {@link RaftNode#reportSnapshot(int, boolean, long)}.</li>
 *   <li>Call {@link RaftNode#advance(Ready)} when the persist is done.</li>
 * </ol>
 *
 * <p>With {@link RaftConfig#asyncStorageWrites()}, the node also hands out <em>light</em> Readies while
 * a Ready's persist is in flight: a soft state, {@link #messages()} (which promise nothing durable: a
 * leader's appends, heartbeats and commit notices, heartbeat answers, forwarded commands and reads),
 * {@link #readStates()}, {@link #forwardedProposals()} and {@link #peersNeedingSnapshot()} — never
 * entries, a hard state, messages after persist, committed entries or a snapshot, which wait for the
 * next full Ready (so one synced write still gathers what arrived meanwhile, and nothing is applied
 * before this node has persisted it). The host carries a light Ready out at once and advances it
 * before it takes another; none is handed out while a received snapshot is being installed.
 *
 * @param softState            the role / leader / term when it changed since the last Ready, else null
 * @param hardState            the hard state to persist when it changed, else null
 * @param entries              entries to append durably
 * @param messages             messages that may be sent immediately
 * @param messagesAfterPersist messages to send only after the persist has completed
 * @param committedEntries     entries to apply, in index order
 * @param readStates           reads that are now confirmed
 * @param snapshot             a received snapshot to install before anything else, or null
 * @param peersNeedingSnapshot followers to send a snapshot to
 * @param forwardedProposals   outcomes of commands this follower forwarded to the leader
 */
public record Ready(SoftState softState, HardState hardState, List<Entry> entries, List<Message> messages,
                    List<Message> messagesAfterPersist, List<Entry> committedEntries, List<ReadState> readStates,
                    SnapshotMeta snapshot, List<Integer> peersNeedingSnapshot,
                    List<ForwardedProposal> forwardedProposals) {

    public Ready {
        peersNeedingSnapshot = List.copyOf(peersNeedingSnapshot);
        entries = List.copyOf(entries);
        messages = List.copyOf(messages);
        messagesAfterPersist = List.copyOf(messagesAfterPersist);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
        forwardedProposals = List.copyOf(forwardedProposals);
    }

    /** True when the host has something to persist. */
    public boolean mustPersist() {
        return snapshot != null || hardState != null || !entries.isEmpty();
    }

    public boolean isEmpty() {
        return softState == null && hardState == null && entries.isEmpty() && messages.isEmpty()
                && messagesAfterPersist.isEmpty() && committedEntries.isEmpty() && readStates.isEmpty()
                && snapshot == null && peersNeedingSnapshot.isEmpty() && forwardedProposals.isEmpty();
    }
}
