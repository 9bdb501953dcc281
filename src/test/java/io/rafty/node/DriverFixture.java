package io.rafty.node;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvResult;
import io.rafty.kv.Precondition;
import io.rafty.raft.Entry;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.RaftConfig;
import io.rafty.raft.RecoveredState;
import io.rafty.raft.Role;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.Message;
import io.rafty.raft.message.RequestVote;
import io.rafty.raft.message.VoteResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * One {@link NodeDriver} (always node 1) on a {@link RecordingHost}, with time as a plain counter and
 * peers played by the test: the ways to put it in the state a test needs, and to ask it things.
 */
final class DriverFixture {

    static final long REQUEST_TIMEOUT_NANOS = 1_000;
    static final long TICK_NANOS = 10;
    /** The cluster the follower fixtures' leader says it belongs to. */
    static final long CLUSTER = 0xC1A55L;
    static final Membership THREE = Membership.ofVoters(Set.of(1, 2, 3));
    /** Three voters, each bound to the storage {@link #storageOf} gives it. */
    static final Membership THREE_BOUND = new Membership(Set.of(1, 2, 3), Set.of(), Set.of(), Map.of(),
            Map.of(1, storageOf(1), 2, storageOf(2), 3, storageOf(3)));

    final RecordingHost host = new RecordingHost();
    final NodeDriver driver;
    /** The cluster id the peers' batches carry. */
    private final long peersClusterId;
    long now;

    DriverFixture(RaftConfig config, Membership membership, NodeDriver.Settings settings, long peersClusterId) {
        RecoveredState fresh = new RecoveredState(HardState.INITIAL, membership, 0, 0, List.of(), 0,
                storageOf(config.id()));
        this.driver = new NodeDriver(config, fresh, new SplittableRandom(42), settings,
                new NodeDriver.SnapshotSettings(0, 0, 0), host, NodeDriver.Listener.NONE);
        this.peersClusterId = peersClusterId;
        host.attach(driver);
    }

    /** Election timeouts of 10 to 20 ticks, heartbeats every tick; no CheckQuorum, so a silent cluster keeps its leader. */
    static RaftConfig config(int id) {
        return RaftConfig.builder(id).checkQuorum(false).build();
    }

    static NodeDriver.Settings settings() {
        return settings(64, 1L << 20, 1L << 20);
    }

    static NodeDriver.Settings settings(int maxApplyBatchEntries, long maxApplyQueueBytes, long maxForwardedBytes) {
        return new NodeDriver.Settings(100, 100, REQUEST_TIMEOUT_NANOS, maxApplyBatchEntries, maxApplyQueueBytes,
                maxForwardedBytes, 5);
    }

    static long storageOf(int id) {
        return 101L * id;
    }

    // ----- states to start from ---------------------------------------------------------------

    /** Node 1 of three, following node 2 in term 1 with the leader's no-op at index 1 persisted. */
    static DriverFixture follower(RaftConfig config, NodeDriver.Settings settings) {
        DriverFixture fixture = new DriverFixture(config, THREE, settings, CLUSTER);
        fixture.receive(2, new AppendEntries(2, 1, 1, 0, 0, List.of(Entry.noop(1, 1)), 0));
        fixture.host.completeAll(NodeDriver.Worker.PERSIST);
        fixture.expect(fixture.driver.raft().role() == Role.FOLLOWER && fixture.driver.raft().leaderId() == 2,
                "node 1 follows node 2");
        return fixture;
    }

    static DriverFixture follower(NodeDriver.Settings settings) {
        return follower(config(1), settings);
    }

    /**
     * Node 1 leading {@link #THREE_BOUND} in term 1, elected by node 2's votes, with its no-op committed
     * and applied (nodes 2 and 3 acknowledged it, so it knows both peers' storage).
     */
    static DriverFixture leaderOfThree() {
        DriverFixture fixture = new DriverFixture(config(1), THREE_BOUND, settings(), 0);
        for (int i = 0; i < 50 && fixture.host.sent(RequestVote.class).isEmpty(); i++) {
            fixture.tick();
        }
        fixture.receive(2, new VoteResponse(2, 1, 1, true, true));
        // The candidate's term and vote must be durable before its vote requests leave.
        fixture.host.completeAll(NodeDriver.Worker.PERSIST);
        fixture.receive(2, new VoteResponse(2, 1, 1, true, false));
        fixture.host.completeAll(NodeDriver.Worker.PERSIST);
        fixture.receive(2, new AppendResponse(2, 1, 1, true, 1, 0, 0));
        fixture.receive(3, new AppendResponse(3, 1, 1, true, 1, 0, 0));
        fixture.host.settle();
        fixture.expect(fixture.driver.raft().role() == Role.LEADER && fixture.driver.appliedIndex() == 1,
                "node 1 leads with its no-op applied");
        return fixture;
    }

    /** Node 1 alone, leading with its no-op committed and applied (the storage binding not proposed yet). */
    static DriverFixture singleNodeLeader() {
        DriverFixture fixture = new DriverFixture(config(1), Membership.ofVoters(Set.of(1)), settings(), 0);
        for (int i = 0; i < 100 && !(fixture.driver.raft().role() == Role.LEADER
                && fixture.driver.appliedIndex() >= 1); i++) {
            fixture.tick();
            fixture.host.settle();
        }
        fixture.expect(fixture.driver.raft().role() == Role.LEADER && fixture.driver.appliedIndex() == 1,
                "node 1 leads alone with its no-op applied");
        return fixture;
    }

    private void expect(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError("setup failed: " + what + "; status " + driver.status());
        }
    }

    // ----- inputs -----------------------------------------------------------------------------

    void tick() {
        now += TICK_NANOS;
        driver.tick(now);
    }

    void tick(int ticks) {
        for (int i = 0; i < ticks; i++) {
            tick();
        }
    }

    /** Peer {@code from} on its usual storage, carrying the fixture's cluster id. */
    PeerIdentity identity(int from) {
        return new PeerIdentity(peersClusterId, storageOf(from));
    }

    void receive(int from, Message... messages) {
        receive(identity(from), messages);
    }

    void receive(PeerIdentity sender, Message... messages) {
        driver.receive(sender, List.of(messages));
    }

    Answer<KvResult> propose(byte[] payload) {
        Answer<KvResult> answer = new Answer<>();
        driver.propose(payload, answer, now);
        return answer;
    }

    Answer<Long> read() {
        Answer<Long> answer = new Answer<>();
        driver.readBarrier(answer, now);
        return answer;
    }

    Answer<Membership> change(UnaryOperator<Membership> change) {
        Answer<Membership> answer = new Answer<>();
        driver.changeMembership(change, answer, now);
        return answer;
    }

    Answer<Void> transfer(int target) {
        Answer<Void> answer = new Answer<>();
        driver.transferLeadership(target, answer);
        return answer;
    }

    static byte[] put(String key, String value) {
        return CommandCodec.encode(new Command.Put(key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), Precondition.NONE));
    }

    static UnaryOperator<Membership> addLearner(int id) {
        return current -> current.withLearner(id, "http://node-" + id, false);
    }

    /** A {@link Reply} that remembers its one answer and refuses a second. */
    static final class Answer<T> implements Reply<T> {
        private int answers;
        private T value;
        private RuntimeException failure;

        @Override
        public void succeed(T result) {
            answered();
            value = result;
        }

        @Override
        public void fail(RuntimeException cause) {
            answered();
            failure = cause;
        }

        private void answered() {
            if (++answers > 1) {
                throw new AssertionError("a request was answered twice");
            }
        }

        boolean isAnswered() {
            return answers > 0;
        }

        boolean succeeded() {
            return answers > 0 && failure == null;
        }

        T value() {
            if (!succeeded()) {
                throw new AssertionError("the request did not succeed: " + (failure == null ? "unanswered" : failure));
            }
            return value;
        }

        RuntimeException failure() {
            return failure;
        }

        /** The kind of the {@link RequestFailure} it failed with, or null when it did not fail. */
        RequestFailure.Kind failureKind() {
            if (failure == null) {
                return null;
            }
            if (!(failure instanceof RequestFailure requestFailure)) {
                throw new AssertionError("failed with " + failure + ", not a RequestFailure");
            }
            return requestFailure.kind();
        }

        @Override
        public String toString() {
            return answers == 0 ? "unanswered" : failure != null ? "failed: " + failure : "succeeded: " + value;
        }
    }
}
