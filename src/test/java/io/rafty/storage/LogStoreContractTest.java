package io.rafty.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.HardState;
import io.rafty.raft.Membership;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rules every {@link LogStore} keeps; run against each implementation by a subclass. */
abstract class LogStoreContractTest {

    private static final int LARGE_PAYLOAD_BYTES = 3 << 20;

    protected LogStore store;

    /** A new, empty store. */
    protected abstract LogStore openEmpty();

    /** Closes {@code store} and returns one over the same durable contents, as after a restart. */
    protected abstract LogStore reopen(LogStore store);

    /** Releases whatever the last opened store holds. */
    protected abstract void closeAll();

    @BeforeEach
    void open() {
        store = openEmpty();
    }

    @AfterEach
    void close() {
        closeAll();
    }

    private static List<Entry> commands(long firstIndex, long lastIndex, long term) {
        return LongStream.rangeClosed(firstIndex, lastIndex)
                .mapToObj(index -> Entry.command(term, index, ("cmd-" + index + "@" + term).getBytes(StandardCharsets.UTF_8)))
                .toList();
    }

    private static List<Entry> concat(List<Entry> first, List<Entry> second) {
        List<Entry> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    @Test
    void emptyStoreHasNoEntriesInitialHardStateAndNoMembership() {
        assertEquals(0, store.lastIndex());
        assertTrue(store.entries().isEmpty());
        assertEquals(HardState.INITIAL, store.hardState());
        assertNull(store.membership());
    }

    @Test
    void savedEntriesReadBackInIndexOrder() {
        List<Entry> entries = List.of(Entry.noop(1, 1), Entry.command(1, 2, new byte[] {1, 2, 3}),
                new Entry(1, 3, EntryType.CONFIGURATION, Membership.ofVoters(Set.of(1, 2)).encode()));
        store.save(null, entries);
        assertEquals(entries, store.entries());
        assertEquals(3, store.lastIndex());
    }

    @Test
    void laterSavesAppendAfterTheLastIndex() {
        store.save(null, commands(1, 2, 1));
        store.save(null, commands(3, 4, 1));
        assertEquals(commands(1, 4, 1), store.entries());
        assertEquals(4, store.lastIndex());
    }

    @Test
    void hardStateRoundTrips() {
        HardState hardState = new HardState(7, 3, 5);
        store.save(hardState, List.of());
        assertEquals(hardState, store.hardState());
    }

    @Test
    void nullHardStateKeepsThePreviousOne() {
        HardState hardState = new HardState(2, 1, 0);
        store.save(hardState, List.of());
        store.save(null, commands(1, 1, 2));
        assertEquals(hardState, store.hardState());
    }

    @Test
    void savingFromAnEarlierIndexReplacesTheConflictingSuffix() {
        // Raft §5.3: a follower deletes its conflicting entry and all that follow it.
        store.save(null, commands(1, 5, 1));
        store.save(null, commands(3, 3, 2));
        assertEquals(concat(commands(1, 2, 1), commands(3, 3, 2)), store.entries());
        assertEquals(3, store.lastIndex());
    }

    @Test
    void reopenRecoversTermVoteCommitMembershipAndLog() {
        Membership membership = new Membership(Set.of(1, 2, 3), Set.of(4));
        HardState hardState = new HardState(4, 2, 3);
        store.saveMembership(membership);
        store.save(hardState, commands(1, 5, 4));

        store = reopen(store);

        assertEquals(hardState, store.hardState());
        assertEquals(membership, store.membership());
        assertEquals(commands(1, 5, 4), store.entries());
        assertEquals(5, store.lastIndex());
    }

    @Test
    void truncatedTailStaysGoneAfterReopen() {
        store.save(null, commands(1, 5, 1));
        store.save(new HardState(2, 1, 1), commands(2, 3, 2));

        store = reopen(store);

        assertEquals(concat(commands(1, 1, 1), commands(2, 3, 2)), store.entries());
        assertEquals(3, store.lastIndex());
        store.save(null, commands(4, 4, 2));
        assertEquals(4, store.entries().size());
    }

    @Test
    void appendingBeyondLastIndexPlusOneIsRejected() {
        store.save(null, commands(1, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> store.save(new HardState(9, 0, 0), commands(4, 4, 1)));
        assertEquals(commands(1, 2, 1), store.entries());
        assertEquals(HardState.INITIAL, store.hardState());
    }

    @Test
    void nonContiguousEntriesAreRejected() {
        List<Entry> withHole = List.of(Entry.noop(1, 1), Entry.noop(1, 3));
        assertThrows(IllegalArgumentException.class, () -> store.save(null, withHole));
        assertEquals(0, store.lastIndex());
    }

    @Test
    void largePayloadsSurviveReopen() {
        Random random = new Random(42);
        List<Entry> entries = new ArrayList<>();
        for (long index = 1; index <= 3; index++) {
            byte[] payload = new byte[LARGE_PAYLOAD_BYTES];
            random.nextBytes(payload);
            entries.add(Entry.command(1, index, payload));
        }
        store.save(null, entries);

        store = reopen(store);

        List<Entry> read = store.entries();
        assertEquals(3, read.size());
        for (int i = 0; i < entries.size(); i++) {
            assertArrayEquals(entries.get(i).payload(), read.get(i).payload());
        }
    }

    @Test
    void saveMembershipReplacesThePreviousOne() {
        store.saveMembership(Membership.ofVoters(Set.of(1)));
        Membership grown = Membership.ofVoters(Set.of(1, 2, 3));
        store.saveMembership(grown);
        assertEquals(grown, store.membership());
    }
    @Test
    void compactionDropsThePrefixAndRemembersItsLastTerm() {
        store.save(null, concat(commands(1, 5, 1), commands(6, 10, 2)));
        store.compact(7);
        assertEquals(7, store.logStartIndex());
        assertEquals(2, store.logStartTerm());
        assertEquals(commands(8, 10, 2), store.entries());
        assertEquals(10, store.lastIndex());
    }

    @Test
    void compactionSurvivesReopen() {
        store.save(new HardState(2, 1, 9), concat(commands(1, 5, 1), commands(6, 10, 2)));
        store.compact(5);
        store = reopen(store);
        assertEquals(5, store.logStartIndex());
        assertEquals(1, store.logStartTerm());
        assertEquals(commands(6, 10, 2), store.entries());
        store.save(null, commands(11, 12, 3));
        assertEquals(12, store.lastIndex());
    }

    @Test
    void compactingEverythingLeavesAnEmptyLogThatContinues() {
        store.save(null, commands(1, 4, 1));
        store.compact(4);
        assertEquals(List.of(), store.entries());
        assertEquals(4, store.lastIndex());
        store.save(null, commands(5, 6, 2));
        assertEquals(commands(5, 6, 2), store.entries());
    }

    @Test
    void overwritingCompactedEntriesIsRejected() {
        store.save(null, commands(1, 6, 1));
        store.compact(4);
        assertThrows(IllegalArgumentException.class, () -> store.save(null, commands(3, 8, 2)));
        assertThrows(IllegalArgumentException.class, () -> store.compact(9));
        store.compact(2);
        assertEquals(4, store.logStartIndex(), "compacting an already compacted prefix changes nothing");
    }
}
