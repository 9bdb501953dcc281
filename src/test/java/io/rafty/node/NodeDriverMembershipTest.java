package io.rafty.node;

import static io.rafty.node.DriverFixture.REQUEST_TIMEOUT_NANOS;
import static io.rafty.node.DriverFixture.THREE_BOUND;
import static io.rafty.node.DriverFixture.TICK_NANOS;
import static io.rafty.node.DriverFixture.addLearner;
import static io.rafty.node.DriverFixture.storageOf;
import static io.rafty.node.NodeDriver.Worker.PERSIST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.node.DriverFixture.Answer;
import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.Membership;
import io.rafty.raft.MembershipChangeException;
import io.rafty.raft.PeerIdentity;
import io.rafty.raft.message.AppendResponse;
import io.rafty.raft.message.HeartbeatResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Configuration changes the driver makes or sequences: the leader keeps each member bound to the
 * storage it answers from (see {@link Membership}), and an operator's change that finds another one
 * in progress waits for it instead of failing.
 */
class NodeDriverMembershipTest {

    @Test
    void singleNodeLeaderBindsItselfToItsStorage() {
        // Votes and acknowledgements count only from bound storage; a new cluster's first leader binds itself.
        DriverFixture fixture = DriverFixture.singleNodeLeader();
        assertFalse(fixture.driver.raft().membership().bindsStorage(), "a new cluster binds nobody");

        fixture.tick();

        List<Entry> configurations = configurationEntries(fixture.host.queued(PERSIST, StorageTask.Persist.class));
        assertEquals(1, configurations.size(), "one configuration entry is proposed");
        assertEquals(Map.of(1, storageOf(1)), Membership.decode(configurations.get(0).payload()).storageIds());
        fixture.host.settle();
        assertEquals(Map.of(1, storageOf(1)), fixture.driver.raft().membership().storageIds());
        assertEquals(fixture.driver.raft().commitIndex(), fixture.driver.appliedIndex(), "and it is applied");
    }

    @Test
    void leaderReplacesFollowerBackOnNewStorageByALearnerOnIt() {
        // A node that lost its disk forgot its votes and acknowledgements: it is a new server, demoted to a
        // learner on the new storage (one voter fewer), to be promoted once rebuilt.
        DriverFixture fixture = DriverFixture.leaderOfThree();
        fixture.tick(3);
        fixture.host.settle();
        assertEquals(1, fixture.driver.raft().lastIndex(), "every member answers from its bound storage: no change");

        long newStorage = 999;
        fixture.receive(new PeerIdentity(0, newStorage), new HeartbeatResponse(2, 1, 1, 0, 0));
        fixture.tick();

        assertEquals(2, fixture.driver.raft().lastIndex(), "the leader proposed a change");
        Entry entry = fixture.driver.raft().entryAt(2);
        assertEquals(EntryType.CONFIGURATION, entry.type());
        Membership proposed = Membership.decode(entry.payload());
        assertEquals(THREE_BOUND.rebuilding(2, newStorage), proposed);
        assertEquals(Set.of(1, 3), proposed.voters());
        assertEquals(Set.of(2), proposed.learners());
        assertEquals(Set.of(2), proposed.autoPromote());
        assertEquals(newStorage, proposed.storageOf(2));
    }

    @Test
    void operatorChangeWaitsBehindTheOneInProgressAndIsProposedOnceItIsApplied() {
        // The core allows one change at a time; an operator should not have to retry by hand meanwhile.
        DriverFixture fixture = DriverFixture.leaderOfThree();
        Answer<Membership> first = fixture.change(addLearner(4));
        fixture.host.completeAll(PERSIST);
        Answer<Membership> second = fixture.change(addLearner(5));
        assertFalse(second.isAnswered(), "not refused at once");

        fixture.tick(3);
        assertFalse(second.isAnswered());
        assertEquals(2, fixture.driver.raft().lastIndex(), "not proposed while the first is uncommitted");

        fixture.receive(2, new AppendResponse(2, 1, 1, true, 2, 0, 0));
        fixture.host.settle();
        assertEquals(Set.of(4), first.value().learners(), "the first change is applied");

        fixture.tick();
        assertEquals(3, fixture.driver.raft().lastIndex(), "the waiting change is proposed");
        Entry entry = fixture.driver.raft().entryAt(3);
        assertEquals(EntryType.CONFIGURATION, entry.type());
        assertEquals(Set.of(4, 5), Membership.decode(entry.payload()).learners(), "computed from the new configuration");
        fixture.host.completeAll(PERSIST);
        fixture.receive(2, new AppendResponse(2, 1, 1, true, 3, 0, 0));
        fixture.host.settle();
        assertEquals(Set.of(4, 5), second.value().learners());
    }

    @Test
    void operatorChangeStillWaitingAtItsTimeoutFailsAsInProgress() {
        // It was never proposed, so the operator learns it was not applied, and why.
        DriverFixture fixture = DriverFixture.leaderOfThree();
        Answer<Membership> first = fixture.change(addLearner(4));
        fixture.host.completeAll(PERSIST);
        Answer<Membership> second = fixture.change(addLearner(5));

        fixture.tick((int) (REQUEST_TIMEOUT_NANOS / TICK_NANOS) + 1);

        MembershipChangeException failure = assertInstanceOf(MembershipChangeException.class, second.failure(),
                second.toString());
        assertTrue(failure.getMessage().contains("in progress"), failure.getMessage());
        assertEquals(RequestFailure.Kind.OUTCOME_UNKNOWN, first.failureKind(), "the first was proposed: it may commit");
        assertEquals(2, fixture.driver.raft().lastIndex(), "the second was never proposed");
    }

    private static List<Entry> configurationEntries(List<StorageTask.Persist> persists) {
        List<Entry> out = new ArrayList<>();
        for (StorageTask.Persist persist : persists) {
            for (Entry entry : persist.entries()) {
                if (entry.type() == EntryType.CONFIGURATION) {
                    out.add(entry);
                }
            }
        }
        return out;
    }
}
