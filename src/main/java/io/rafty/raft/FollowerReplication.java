package io.rafty.raft;

import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import io.rafty.raft.message.InstallSnapshot;

/**
 * The follower's side of log replication: the log-matching check and conflict hints on appends,
 * commits learned from appends and heartbeats, and snapshots (§7). What it needs of the node goes
 * through {@link NodeContext}.
 */
final class FollowerReplication {

    private final int id;
    private final RaftLog log;
    private final ConfigurationTracker configuration;
    private final Outbox outbox;
    private final NodeContext node;

    FollowerReplication(int id, RaftLog log, ConfigurationTracker configuration, Outbox outbox, NodeContext node) {
        this.id = id;
        this.log = log;
        this.configuration = configuration;
        this.outbox = outbox;
        this.node = node;
    }

    void handleAppendEntries(AppendEntries append) {
        node.acceptLeader(append.from());
        long term = node.term();
        if (append.prevLogIndex() < log.committed()) {
            // Everything up to our commit index matches any leader's log; acknowledge just that.
            outbox.send(new AppendResponse(id, append.from(), term, true, log.committed(), 0, 0), true);
            return;
        }
        if (log.matchTerm(append.prevLogIndex(), append.prevLogTerm())) {
            ConfigurationTracker.checkDecodable(append.entries());
            long lastNew = log.appendFollowing(append.prevLogIndex(), append.entries());
            if (configuration.changedByAppend(append.entries())) {
                Membership latest = configuration.latestInLog();
                if (!latest.equals(configuration.membership())) {
                    node.setMembership(latest);
                }
            }
            log.commitTo(Math.min(append.leaderCommit(), lastNew));
            outbox.send(new AppendResponse(id, append.from(), term, true, lastNew, 0, 0), true);
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
        outbox.send(new AppendResponse(id, append.from(), term, false, append.prevLogIndex(), conflictIndex,
                conflictTerm), true);
    }

    /** Raft §7: install a snapshot that is ahead of our commit index, unless our log already has it. */
    void handleInstallSnapshot(InstallSnapshot snapshot) {
        node.acceptLeader(snapshot.from());
        long term = node.term();
        long index = snapshot.snapshotIndex();
        if (index <= log.committed()) {
            outbox.send(new AppendResponse(id, snapshot.from(), term, true, log.committed(), 0, 0), true);
            return;
        }
        if (log.matchTerm(index, snapshot.snapshotTerm())) {
            // Our log already holds the snapshot's last entry: keep the log and just learn the commit.
            log.commitTo(index);
        } else {
            log.restore(index, snapshot.snapshotTerm());
            configuration.restored(snapshot.membership());
            node.setMembership(snapshot.membership());
            outbox.install(new SnapshotMeta(index, snapshot.snapshotTerm(), snapshot.membership()));
        }
        outbox.send(new AppendResponse(id, snapshot.from(), term, true, index, 0, 0), true);
    }

    void handleHeartbeat(Heartbeat heartbeat) {
        node.acceptLeader(heartbeat.from());
        log.commitTo(Math.min(heartbeat.commit(), log.lastIndex()));
        // A heartbeat answer promises nothing durable (it confirms the leader's term for a ReadIndex
        // round, and the leader takes no match index from it), so it need not wait for this node's
        // persist in flight: with asynchronous storage writes it leaves in a light Ready.
        outbox.send(new HeartbeatResponse(id, heartbeat.from(), node.term(), heartbeat.readContext(), log.lastIndex()),
                false);
    }
}
