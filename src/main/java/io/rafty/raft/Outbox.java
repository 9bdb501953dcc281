package io.rafty.raft;

import io.rafty.raft.message.Message;
import java.util.ArrayList;
import java.util.List;

/**
 * What the next {@link Ready} hands the host besides the log and the node's state: messages to
 * send now and once the Ready is persisted, confirmed reads, a snapshot to install and the peers
 * that need one. The node's parts fill it; each Ready takes and empties it.
 */
final class Outbox {

    /** {@link DeliberateBug#ACK_BEFORE_PERSIST}: every message leaves at once. */
    private final boolean ackBeforePersist;
    private final List<Message> messages = new ArrayList<>();
    private final List<Message> messagesAfterPersist = new ArrayList<>();
    private final List<ReadState> readStates = new ArrayList<>();
    private final List<Integer> peersNeedingSnapshot = new ArrayList<>();
    private SnapshotMeta snapshotToInstall;

    Outbox(boolean ackBeforePersist) {
        this.ackBeforePersist = ackBeforePersist;
    }

    /** Queues a message: now, or once the Ready carrying it has been persisted. */
    void send(Message message, boolean afterPersist) {
        if (afterPersist && !ackBeforePersist) {
            messagesAfterPersist.add(message);
        } else {
            messages.add(message);
        }
    }

    void addRead(ReadState read) {
        readStates.add(read);
    }

    /** A follower's log was restored from a snapshot: the host installs it with the next Ready. */
    void install(SnapshotMeta snapshot) {
        snapshotToInstall = snapshot;
    }

    /** The entries {@code peer} needs were compacted away: the host sends it a snapshot. */
    void needsSnapshot(int peer) {
        peersNeedingSnapshot.add(peer);
    }

    boolean hasWork() {
        return !messages.isEmpty() || !messagesAfterPersist.isEmpty() || !readStates.isEmpty()
                || snapshotToInstall != null || !peersNeedingSnapshot.isEmpty();
    }

    /** The messages to send now; others (a forwarder's batches) may be added to it. */
    List<Message> messages() {
        return messages;
    }

    List<Message> messagesAfterPersist() {
        return messagesAfterPersist;
    }

    /** The confirmed reads; others (a forwarder's answers) may be added to it. */
    List<ReadState> readStates() {
        return readStates;
    }

    SnapshotMeta snapshotToInstall() {
        return snapshotToInstall;
    }

    List<Integer> peersNeedingSnapshot() {
        return peersNeedingSnapshot;
    }

    /** A light Ready took what leaves at once; acknowledgements and a snapshot to install stay. */
    void clearLight() {
        peersNeedingSnapshot.clear();
        messages.clear();
        readStates.clear();
    }

    /** A Ready took everything. */
    void clear() {
        snapshotToInstall = null;
        peersNeedingSnapshot.clear();
        messages.clear();
        messagesAfterPersist.clear();
        readStates.clear();
    }
}
