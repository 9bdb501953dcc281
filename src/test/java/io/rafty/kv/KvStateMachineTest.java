package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.raft.EntryType;
import io.rafty.raft.Membership;
import io.rafty.storage.InMemoryKvStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KvStateMachineTest {

    private static final long TERM = 1;

    private CountingKvStore store;
    private KvStateMachine machine;
    private long nextIndex;

    @BeforeEach
    void setUp() {
        store = new CountingKvStore(new InMemoryKvStore());
        machine = new KvStateMachine(store);
        nextIndex = 1;
    }

    // ---- helpers

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private Entry entry(Command command) {
        return Entry.command(TERM, nextIndex++, CommandCodec.encode(command));
    }

    private KvResult applyOne(Command command) {
        List<KvResult> results = machine.apply(List.of(entry(command)));
        assertEquals(1, results.size());
        return results.get(0);
    }

    private KvResult put(String key, String value, Precondition precondition) {
        return applyOne(new Command.Put(bytes(key), bytes(value), precondition));
    }

    private KvResult put(String key, String value) {
        return put(key, value, Precondition.NONE);
    }

    private KvResult delete(String key, Precondition precondition) {
        return applyOne(new Command.Delete(bytes(key), precondition));
    }

    private static Precondition prevValue(String value) {
        return new Precondition(bytes(value), null, null);
    }

    private static Precondition prevRevision(long revision) {
        return new Precondition(null, revision, null);
    }

    private static Precondition prevExist(boolean exists) {
        return new Precondition(null, null, exists);
    }

    private static KvEntry written(KvResult result) {
        return assertInstanceOf(KvResult.Written.class, result).entry();
    }

    // ---- revision rules

    @Test
    void putOnAbsentKeyCreatesItAtTheEntryIndex() {
        KvEntry entry = written(put("a", "1"));
        assertEquals(1, entry.revision());
        assertEquals(1, entry.createRevision());
        assertEquals(1, entry.version());
        assertArrayEquals(bytes("1"), machine.get(bytes("a")).value());
    }

    @Test
    void putOnExistingKeyKeepsCreateRevisionAndIncrementsVersion() {
        put("a", "1");
        put("other", "x");
        KvEntry entry = written(put("a", "2"));
        assertEquals(3, entry.revision());
        assertEquals(1, entry.createRevision());
        assertEquals(2, entry.version());
    }

    @Test
    void deleteOfExistingKeyRemovesItAtTheEntryIndex() {
        put("a", "1");
        KvResult.Deleted deleted = assertInstanceOf(KvResult.Deleted.class, delete("a", Precondition.NONE));
        assertEquals(2, deleted.revision());
        assertEquals(2, deleted.index());
        assertNull(machine.get(bytes("a")));
    }

    @Test
    void putAfterDeleteStartsANewLifeWithVersionOne() {
        put("a", "1");
        delete("a", Precondition.NONE);
        KvEntry entry = written(put("a", "again"));
        assertEquals(3, entry.createRevision());
        assertEquals(1, entry.version());
    }

    @Test
    void deleteOfAbsentKeyIsNotFound() {
        KvResult.NotFound notFound = assertInstanceOf(KvResult.NotFound.class, delete("missing", Precondition.NONE));
        assertEquals(1, notFound.index());
        assertArrayEquals(bytes("missing"), notFound.key());
    }

    @Test
    void deleteOfAbsentKeyWithFailingPreconditionIsCompareFailedWithNoCurrent() {
        KvResult.CompareFailed failed = assertInstanceOf(KvResult.CompareFailed.class,
                delete("missing", prevExist(true)));
        assertNull(failed.current());
    }

    // ---- preconditions

    @Test
    void prevValueHoldsOnEqualBytes() {
        put("a", "1");
        assertEquals(2, written(put("a", "2", prevValue("1"))).revision());
    }

    @Test
    void prevValueFailsOnDifferentBytesAndReportsCurrent() {
        put("a", "1");
        KvResult.CompareFailed failed = assertInstanceOf(KvResult.CompareFailed.class, put("a", "2", prevValue("x")));
        assertEquals(2, failed.index());
        assertArrayEquals(bytes("1"), failed.current().value());
        assertArrayEquals(bytes("1"), machine.get(bytes("a")).value());
    }

    @Test
    void prevValueFailsOnAbsentKey() {
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "2", prevValue("")));
        assertNull(machine.get(bytes("a")));
    }

    @Test
    void prevRevisionHoldsOnCurrentModificationRevision() {
        put("a", "1");
        put("a", "2");
        assertInstanceOf(KvResult.Written.class, put("a", "3", prevRevision(2)));
    }

    @Test
    void prevRevisionFailsOnStaleRevision() {
        put("a", "1");
        put("a", "2");
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "3", prevRevision(1)));
    }

    @Test
    void prevRevisionFailsOnAbsentKey() {
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "1", prevRevision(5)));
    }

    @Test
    void prevRevisionZeroMeansMustNotExist() {
        assertInstanceOf(KvResult.Written.class, put("a", "1", prevRevision(0)));
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "2", prevRevision(0)));
    }

    @Test
    void prevExistTrueRequiresThePresentKey() {
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "1", prevExist(true)));
        put("a", "1");
        assertInstanceOf(KvResult.Written.class, put("a", "2", prevExist(true)));
    }

    @Test
    void prevExistFalseRequiresTheAbsentKey() {
        assertInstanceOf(KvResult.Written.class, put("a", "1", prevExist(false)));
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "2", prevExist(false)));
    }

    @Test
    void everyPreconditionFieldMustHold() {
        put("a", "1");
        assertInstanceOf(KvResult.CompareFailed.class, put("a", "2", new Precondition(bytes("1"), 99L, true)));
        assertInstanceOf(KvResult.Written.class, put("a", "2", new Precondition(bytes("1"), 1L, true)));
    }

    @Test
    void deleteWithHoldingPreconditionDeletes() {
        put("a", "1");
        assertInstanceOf(KvResult.Deleted.class, delete("a", new Precondition(bytes("1"), 1L, true)));
    }

    @Test
    void deleteWithFailingPreconditionKeepsTheKey() {
        put("a", "1");
        assertInstanceOf(KvResult.CompareFailed.class, delete("a", prevRevision(7)));
        assertArrayEquals(bytes("1"), machine.get(bytes("a")).value());
    }

    // ---- batches, replay, applied index

    @Test
    void laterCommandsInABatchSeeEarlierOnes() {
        List<Entry> batch = List.of(
                entry(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE)),
                entry(new Command.Put(bytes("a"), bytes("2"), prevValue("1"))),
                entry(new Command.Delete(bytes("a"), prevRevision(2))),
                entry(new Command.Delete(bytes("a"), Precondition.NONE)));
        List<KvResult> results = machine.apply(batch);
        assertEquals(2, written(results.get(1)).version());
        assertInstanceOf(KvResult.Deleted.class, results.get(2));
        assertInstanceOf(KvResult.NotFound.class, results.get(3));
        assertNull(machine.get(bytes("a")));
    }

    @Test
    void aBatchIsStoredWithOneWriteCarryingItsLastIndex() {
        List<Entry> batch = List.of(
                entry(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE)),
                Entry.noop(TERM, nextIndex++),
                entry(new Command.Put(bytes("b"), bytes("2"), Precondition.NONE)));
        machine.apply(batch);
        assertEquals(List.of(3L), store.writtenAppliedIndexes);
        assertEquals(3, machine.appliedIndex());
    }

    @Test
    void resultsCarryTheirEntryIndexInOrder() {
        List<Entry> batch = List.of(
                Entry.noop(TERM, nextIndex++),
                entry(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE)),
                entry(new Command.Delete(bytes("zz"), Precondition.NONE)));
        List<KvResult> results = machine.apply(batch);
        assertEquals(List.of(2L, 3L), results.stream().map(KvResult::index).toList());
    }

    @Test
    void noopAndConfigurationEntriesAdvanceAppliedIndexWithoutResults() {
        byte[] membership = Membership.ofVoters(Set.of(1, 2, 3)).encode();
        List<KvResult> results = machine.apply(List.of(
                Entry.noop(TERM, 1), new Entry(TERM, 2, EntryType.CONFIGURATION, membership)));
        assertTrue(results.isEmpty());
        assertEquals(2, machine.appliedIndex());
        assertEquals(List.of(2L), store.writtenAppliedIndexes);
    }

    @Test
    void replayedEntriesAreAppliedExactlyOnce() {
        Entry first = entry(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE));
        machine.apply(List.of(first));
        Entry second = entry(new Command.Put(bytes("a"), bytes("2"), Precondition.NONE));

        // After a crash the host replays from its log, which may include already-applied entries.
        List<KvResult> results = machine.apply(List.of(first, second));

        assertEquals(1, results.size());
        assertEquals(2, results.get(0).index());
        assertEquals(2, machine.get(bytes("a")).version());
    }

    @Test
    void aFullyAppliedBatchWritesNothing() {
        Entry first = entry(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE));
        machine.apply(List.of(first));
        assertTrue(machine.apply(List.of(first)).isEmpty());
        assertTrue(machine.apply(List.of()).isEmpty());
        assertEquals(List.of(1L), store.writtenAppliedIndexes);
    }

    @Test
    void aGapAfterTheAppliedIndexIsRefused() {
        Entry skipped = Entry.command(TERM, 2, CommandCodec.encode(new Command.Delete(bytes("a"), Precondition.NONE)));
        assertThrows(IllegalStateException.class, () -> machine.apply(List.of(skipped)));
        assertEquals(0, machine.appliedIndex());
    }

    @Test
    void anUndecodableCommittedCommandStopsTheBatchWithoutWriting() {
        List<Entry> batch = List.of(
                entry(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE)),
                Entry.command(TERM, nextIndex++, new byte[] {1, 9}));
        assertThrows(IllegalStateException.class, () -> machine.apply(batch));
        assertEquals(0, machine.appliedIndex());
        assertNull(machine.get(bytes("a")));
    }

    @Test
    void scanReadsThroughToTheStore() {
        put("p/1", "a");
        put("p/2", "b");
        put("q/1", "c");
        assertEquals(List.of("p/2"), machine.scan(bytes("p/"), bytes("p/1"), 10).stream()
                .map(entry -> new String(entry.key(), StandardCharsets.UTF_8)).toList());
    }

    /** Records every write so tests can check the one-write-per-batch rule. */
    private static final class CountingKvStore extends ForwardingKvStore {
        final List<Long> writtenAppliedIndexes = new ArrayList<>();

        CountingKvStore(KvStore delegate) {
            super(delegate);
        }

        @Override
        public void write(Batch batch) {
            writtenAppliedIndexes.add(batch.appliedIndex());
            delegate.write(batch);
        }
    }
}
