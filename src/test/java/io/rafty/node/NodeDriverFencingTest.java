package io.rafty.node;

import static io.rafty.node.DriverFixture.addLearner;
import static io.rafty.node.DriverFixture.put;
import static io.rafty.node.DriverFixture.settings;
import static io.rafty.node.NodeDriver.Worker.PERSIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.kv.KvResult;
import io.rafty.node.DriverFixture.Answer;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.Membership;
import io.rafty.raft.message.AppendEntries;
import io.rafty.raft.message.Heartbeat;
import io.rafty.raft.message.HeartbeatResponse;
import java.io.IOException;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * When the node stops keeping promises: a broken invariant or a failed storage task fences it, and
 * {@link NodeDriver#stop()} ends it. Either way every waiting request is answered with what is known
 * of it, nothing new is taken, and time no longer moves it. Input that is merely malformed is dropped.
 */
class NodeDriverFencingTest {

    private static final Logger DRIVER_LOG = Logger.getLogger(NodeDriver.class.getName());
    private static Level levelBefore;

    @BeforeAll
    static void quietSevereLines() {
        // Fencing logs one SEVERE line with a stack trace, on purpose; here it is the expected outcome.
        levelBefore = DRIVER_LOG.getLevel();
        DRIVER_LOG.setLevel(Level.OFF);
    }

    @AfterAll
    static void restoreLogging() {
        DRIVER_LOG.setLevel(levelBefore);
    }

    /** A write, a read, a membership change, one waiting behind it, and a leadership transfer, all waiting. */
    private record Waiting(Answer<KvResult> write, Answer<Long> read, Answer<Membership> change,
                           Answer<Membership> queuedChange, Answer<Void> transfer) {

        List<Answer<?>> all() {
            return List.of(write, read, change, queuedChange, transfer);
        }
    }

    /**
     * On the leader of three, with both followers silent, so that nothing can complete. With
     * {@code persisting}, the write's log entry is still being persisted (and the rest waits behind it).
     */
    private static Waiting waitOnEverything(DriverFixture fixture, boolean persisting) {
        Answer<KvResult> write = fixture.propose(put("k", "v"));
        if (!persisting) {
            fixture.host.completeAll(PERSIST);
        }
        Answer<Long> read = fixture.read();
        Answer<Membership> change = fixture.change(addLearner(4));
        if (!persisting) {
            fixture.host.completeAll(PERSIST);
        }
        Answer<Membership> queuedChange = fixture.change(addLearner(5));
        Answer<Void> transfer = fixture.transfer(2);
        Waiting waiting = new Waiting(write, read, change, queuedChange, transfer);
        for (Answer<?> answer : waiting.all()) {
            assertFalse(answer.isAnswered(), "setup: every request waits, but one was " + answer);
        }
        assertEquals(persisting ? 1 : 0, fixture.host.queued(PERSIST).size(), "setup: Readies in flight");
        return waiting;
    }

    @Test
    void leaderHearingAnotherLeaderOfItsTermFencesAndAnswersEverything() {
        // Election safety is broken (two leaders of one term): nothing this node acknowledges can be trusted.
        DriverFixture fixture = DriverFixture.leaderOfThree();
        Waiting waiting = waitOnEverything(fixture, false);

        fixture.receive(2, new AppendEntries(2, 1, 1, 0, 0, List.of(), 0));

        assertTrue(fixture.driver.isFenced());
        assertTrue(fixture.driver.status().fenced());
        assertTrue(fixture.host.published.get(fixture.host.published.size() - 1).fenced(), "the fence is published");
        for (Answer<?> answer : waiting.all()) {
            assertEquals(RequestFailure.Kind.OUTCOME_UNKNOWN, answer.failureKind(), answer.toString());
        }
        assertRefusesNewRequestsAndIgnoresTime(fixture);
    }

    @Test
    void failedPersistFencesAndAnswersEverything() {
        // A log write that failed may or may not be on disk: the node cannot promise anything about it.
        DriverFixture fixture = DriverFixture.leaderOfThree();
        Waiting waiting = waitOnEverything(fixture, true);

        StorageTask failed = fixture.host.fail(PERSIST, new IOException("disk on fire"));

        assertTrue(((StorageTask.Persist) failed).entries().stream().anyMatch(e -> e.type() == EntryType.COMMAND),
                "the failed task carried the write");
        assertTrue(fixture.driver.isFenced());
        assertTrue(fixture.driver.status().fenced());
        for (Answer<?> answer : waiting.all()) {
            assertEquals(RequestFailure.Kind.OUTCOME_UNKNOWN, answer.failureKind(), answer.toString());
        }
        assertRefusesNewRequestsAndIgnoresTime(fixture);
    }

    @Test
    void stopAnswersEveryWaitingRequestAdminOnesIncluded() {
        // A request nobody answers hangs its client until it times out; admin calls are no exception.
        DriverFixture fixture = DriverFixture.leaderOfThree();
        Waiting waiting = waitOnEverything(fixture, false);

        fixture.driver.stop();

        for (Answer<?> answer : waiting.all()) {
            assertEquals(RequestFailure.Kind.OUTCOME_UNKNOWN, answer.failureKind(), answer.toString());
        }
        assertFalse(fixture.driver.isFenced(), "stopping is not a failure");
        assertRefusesNewRequestsAndIgnoresTime(fixture);
    }

    @Test
    void appendWithAnUndecodableConfigurationIsDroppedWithoutFencing() {
        // The codec cannot judge a configuration entry's payload; the core rejects it with an
        // IllegalArgumentException. That is bad input, not a broken invariant: the node keeps serving.
        DriverFixture fixture = DriverFixture.follower(settings());

        fixture.receive(2, malformedConfigurationAppend());

        assertFalse(fixture.driver.isFenced());
        assertEquals(DriverFixture.THREE, fixture.driver.raft().membership(), "the configuration did not change");
        fixture.host.settle();
        fixture.receive(2, new Heartbeat(2, 1, 1, 1, 7));
        fixture.host.settle();
        assertTrue(fixture.host.sent(HeartbeatResponse.class).stream().anyMatch(r -> r.readContext() == 7),
                "the follower still answers its leader");
    }

    @Test
    void droppedMalformedAppendLeavesNothingBehindInTheLog() {
        // Dropped means not taken: were the rejected entry kept, it would be persisted, and the stored log
        // would hold a configuration no restart can decode (RaftNode's constructor reads the last one).
        DriverFixture fixture = DriverFixture.follower(settings());
        long lastIndexBefore = fixture.driver.raft().lastIndex();

        fixture.receive(2, malformedConfigurationAppend());

        assertFalse(fixture.driver.isFenced());
        for (StorageTask.Persist persist : fixture.host.queued(PERSIST, StorageTask.Persist.class)) {
            for (Entry entry : persist.entries()) {
                assertFalse(entry.type() == EntryType.CONFIGURATION,
                        "the rejected configuration entry " + entry + " is being persisted");
            }
        }
        assertEquals(lastIndexBefore, fixture.driver.raft().lastIndex(), "the rejected entry is not in the log");
    }

    /** A configuration entry whose payload names an encoding version that does not exist. */
    private static AppendEntries malformedConfigurationAppend() {
        Entry garbage = new Entry(1, 2, EntryType.CONFIGURATION, new byte[] {99});
        return new AppendEntries(2, 1, 1, 1, 1, List.of(garbage), 1);
    }

    private static void assertRefusesNewRequestsAndIgnoresTime(DriverFixture fixture) {
        assertEquals(RequestFailure.Kind.UNAVAILABLE, fixture.propose(put("late", "v")).failureKind());
        assertEquals(RequestFailure.Kind.UNAVAILABLE, fixture.read().failureKind());
        assertEquals(RequestFailure.Kind.UNAVAILABLE, fixture.change(addLearner(6)).failureKind());
        assertEquals(RequestFailure.Kind.UNAVAILABLE, fixture.transfer(3).failureKind());
        // A live leader sends heartbeats every tick; this one must stay silent and hand out no work.
        int sent = fixture.host.sent.size();
        int executed = fixture.host.executed.size();
        fixture.tick(25);
        assertEquals(sent, fixture.host.sent.size(), "messages sent after the node stopped");
        assertEquals(executed, fixture.host.executed.size(), "tasks handed out after the node stopped");
        assertFalse(fixture.driver.raft().hasReady(), "the core was not ticked either");
    }
}
