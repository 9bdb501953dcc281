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
import java.util.function.Function;

/**
 * One step function per role, as etcd's stepLeader / stepCandidate / stepFollower, chosen in
 * RaftNode's becomeX methods. Each is a table indexed by message kind, filled from an exhaustive
 * switch: a new kind of message does not compile until every role says what it does with it.
 */
final class RoleSteps {

    private RoleSteps() {
    }

    /** The parts of a node its messages go to. */
    record Parts(NodeContext node, Elections elections, Replicator replicator, FollowerReplication follower,
            Forwarder forwarder, Outbox outbox) {
    }

    /** What the node's current role does with one kind of message (at the node's own term). */
    @FunctionalInterface
    interface StepFunction {
        void step(Parts parts, Message message);
    }

    private static final StepFunction IGNORE = (p, message) -> { };

    static final StepFunction[] LEADER = stepTable(RoleSteps::leaderStep);
    static final StepFunction[] CANDIDATE = stepTable(RoleSteps::candidateStep);
    static final StepFunction[] FOLLOWER = stepTable(RoleSteps::followerStep);

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
            case REQUEST_VOTE -> (p, m) -> p.elections().handleRequestVote((RequestVote) m);
            case APPEND_RESPONSE -> (p, m) -> p.replicator().handleAppendResponse((AppendResponse) m);
            case HEARTBEAT_RESPONSE -> (p, m) -> p.replicator().handleHeartbeatResponse((HeartbeatResponse) m);
            case READ_INDEX_REQUEST -> (p, m) -> p.replicator().confirmRead(
                    new ReadOnlyQueue.ReadRequest(m.from(), ((ReadIndexRequest) m).context()));
            case PROPOSE -> (p, m) -> p.replicator().handlePropose((Propose) m);
            case APPEND_ENTRIES, HEARTBEAT, INSTALL_SNAPSHOT -> RoleSteps::failOnSecondLeader;
            // Votes and transfers are over once leading; a leader forwards nothing, so no answers come.
            case VOTE_RESPONSE, TIMEOUT_NOW, READ_INDEX_RESPONSE, PROPOSE_RESPONSE -> IGNORE;
        };
    }

    /** Pre-candidates and candidates. */
    private static StepFunction candidateStep(Message.Kind kind) {
        return switch (kind) {
            case REQUEST_VOTE -> (p, m) -> p.elections().handleRequestVote((RequestVote) m);
            case VOTE_RESPONSE -> (p, m) -> p.elections().handleVoteResponse((VoteResponse) m);
            // A leader of this term exists: follow it, then take its message as a follower does.
            case APPEND_ENTRIES -> (p, m) -> {
                p.node().becomeFollower(p.node().term(), m.from());
                p.follower().handleAppendEntries((AppendEntries) m);
            };
            case HEARTBEAT -> (p, m) -> {
                p.node().becomeFollower(p.node().term(), m.from());
                p.follower().handleHeartbeat((Heartbeat) m);
            };
            case INSTALL_SNAPSHOT -> (p, m) -> {
                p.node().becomeFollower(p.node().term(), m.from());
                p.follower().handleInstallSnapshot((InstallSnapshot) m);
            };
            case TIMEOUT_NOW -> (p, m) -> p.elections().handleTimeoutNow();
            case PROPOSE -> (p, m) -> p.replicator().handlePropose((Propose) m);
            // Only leaders take these; a candidate has no forwarded batches (every role change drops them).
            case APPEND_RESPONSE, HEARTBEAT_RESPONSE, READ_INDEX_REQUEST, READ_INDEX_RESPONSE, PROPOSE_RESPONSE ->
                    IGNORE;
        };
    }

    /** Followers and learners. */
    private static StepFunction followerStep(Message.Kind kind) {
        return switch (kind) {
            case REQUEST_VOTE -> (p, m) -> p.elections().handleRequestVote((RequestVote) m);
            case APPEND_ENTRIES -> (p, m) -> p.follower().handleAppendEntries((AppendEntries) m);
            case HEARTBEAT -> (p, m) -> p.follower().handleHeartbeat((Heartbeat) m);
            case INSTALL_SNAPSHOT -> (p, m) -> p.follower().handleInstallSnapshot((InstallSnapshot) m);
            case TIMEOUT_NOW -> (p, m) -> p.elections().handleTimeoutNow();
            case PROPOSE -> (p, m) -> p.replicator().handlePropose((Propose) m);
            case READ_INDEX_RESPONSE -> (p, m) -> p.forwarder().onReadIndexResponse((ReadIndexResponse) m,
                    p.outbox().readStates());
            case PROPOSE_RESPONSE -> (p, m) -> p.forwarder().onProposeResponse((ProposeResponse) m);
            // Late answers to a campaign or to this node's appends as a leader deposed within its term
            // (CheckQuorum); a follower that forwarded a read to it gives up after its own timeout.
            case VOTE_RESPONSE, APPEND_RESPONSE, HEARTBEAT_RESPONSE, READ_INDEX_REQUEST -> IGNORE;
        };
    }

    private static void failOnSecondLeader(Parts parts, Message message) {
        throw new BrokenInvariantException("node " + message.to() + " leads term " + parts.node().term()
                + " but node " + message.from() + " sent it an append for the same term: election safety is broken");
    }

    /** Whether only a leader sends this kind of message. */
    static boolean fromLeader(Message message) {
        return switch (message.kind()) {
            case APPEND_ENTRIES, HEARTBEAT, INSTALL_SNAPSHOT -> true;
            case REQUEST_VOTE, VOTE_RESPONSE, APPEND_RESPONSE, HEARTBEAT_RESPONSE, TIMEOUT_NOW, READ_INDEX_REQUEST,
                 READ_INDEX_RESPONSE, PROPOSE, PROPOSE_RESPONSE -> false;
        };
    }
}
