package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rafty.raft.Entry;
import io.rafty.storage.InMemoryKvStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What etcd's transactions can say beyond the HTTP ones: ranges in deletes, gets and compares, gets at a
 * past revision, puts that keep the value or lease, and nested transactions (etcd's apply rules).
 */
class TxnRangesTest {

    private KvStateMachine machine;
    private long nextIndex;

    @BeforeEach
    void setUp() {
        machine = new KvStateMachine(new InMemoryKvStore());
        nextIndex = 1;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private Entry entry(Command command) {
        return Entry.command(1, nextIndex++, CommandCodec.encode(command));
    }

    private KvResult apply(Command command) {
        return machine.apply(List.of(entry(command))).get(0);
    }

    private long put(String key, String value) {
        return apply(new Command.Put(bytes(key), bytes(value), Precondition.NONE)).index();
    }

    private KvResult.TxnDone txn(Txn txn) {
        return assertInstanceOf(KvResult.TxnDone.class, apply(new Command.Transaction(txn)));
    }

    private static Txn txn(List<Txn.Compare> compares, List<Txn.Op> success, List<Txn.Op> failure) {
        return new Txn(compares, success, failure);
    }

    private static Txn.Put putOp(String key, String value) {
        return new Txn.Put(bytes(key), bytes(value), 0);
    }

    private static KeySelector range(String start, String end) {
        return KeySelector.range(bytes(start), bytes(end));
    }

    private static Txn.Compare valueIs(String key, String value) {
        return Txn.Compare.value(bytes(key), Txn.Operator.EQUAL, bytes(value));
    }

    private static List<String> keys(List<KvEntry> entries) {
        return entries.stream().map(entry -> text(entry.key())).toList();
    }

    private String value(String key) {
        KvEntry entry = machine.get(bytes(key));
        return entry == null ? null : text(entry.value());
    }

    private static List<String> history(KvStateMachine machine) {
        return machine.history(KeySelector.prefix(new byte[0]), 1, machine.appliedIndex(), 1000, true).events().stream()
                .map(event -> event.revision() + " " + event.type() + " " + text(event.key()) + "="
                        + text(event.entry().value()) + " prev " + (event.prev() == null ? "-" : text(event.prev().value())))
                .toList();
    }

    private static TxnRunner.OpResult.Delete deleted(KvResult.TxnDone done, int op) {
        return assertInstanceOf(TxnRunner.OpResult.Delete.class, done.outcome().results().get(op));
    }

    private static TxnRunner.OpResult.Get got(List<TxnRunner.OpResult> results, int op) {
        return assertInstanceOf(TxnRunner.OpResult.Get.class, results.get(op));
    }

    // ---- key selectors

    @Test
    void aRangeSelectsKeysFromItsStartUpToItsEnd() {
        KeySelector range = range("b", "c");
        assertTrue(range.matches(bytes("b")));
        assertTrue(range.matches(bytes("bzz")));
        assertFalse(range.matches(bytes("c")));
        assertFalse(range.matches(bytes("a")));
        assertTrue(KeySelector.from(bytes("b")).matches(bytes("zzz")));
        assertTrue(range("c", "b").empty());
        assertArrayEquals(bytes("ab"), KeySelector.range(bytes("abc"), bytes("abd")).scanPrefix());
    }

    @Test
    void selectorsOverlapWhenSomeKeyMatchesBoth() {
        assertTrue(range("a", "c").overlaps(KeySelector.key(bytes("b"))));
        assertFalse(range("a", "c").overlaps(KeySelector.key(bytes("c"))), "the end is exclusive");
        assertTrue(range("a", "c").overlaps(KeySelector.prefix(bytes("bb"))));
        assertFalse(range("a", "b").overlaps(KeySelector.prefix(bytes("b"))));
        assertTrue(KeySelector.from(bytes("x")).overlaps(KeySelector.key(bytes("y"))));
        assertFalse(range("c", "a").overlaps(KeySelector.prefix(new byte[0])), "an empty range writes nothing");
        assertTrue(KeySelector.prefix(bytes("p/")).overlaps(KeySelector.prefix(bytes("p/q"))));
        assertFalse(KeySelector.prefix(bytes("p/")).overlaps(KeySelector.prefix(bytes("q"))));
    }

    // ---- deletes and gets over a range

    @Test
    void aRangeDeleteRemovesTheKeysOfItsHalfOpenRangeAtOneRevision() {
        for (String key : List.of("a", "b", "b/1", "bz", "c")) {
            put(key, "v-" + key);
        }
        KvResult.TxnDone done = txn(txn(List.of(), List.of(new Txn.Delete(range("b", "c"))), List.of()));
        assertEquals(List.of("b", "b/1", "bz"), keys(deleted(done, 0).deleted()));
        assertEquals("v-b/1", text(deleted(done, 0).deleted().get(1).value()), "each deleted key as it was");
        assertEquals(List.of("b", "b/1", "bz"), done.events().stream().map(event -> text(event.key())).toList());
        assertTrue(done.events().stream().allMatch(event -> event.type() == Event.Type.DELETE
                && event.revision() == done.index()));
        assertEquals("v-a", value("a"));
        assertEquals("v-c", value("c"));
        KvStore.HistoryPage history = machine.history(KeySelector.prefix(new byte[0]), done.index(), done.index(),
                100, true);
        assertEquals(3, history.events().size(), "the history holds one event per key at the delete's revision");
        assertEquals("v-bz", text(history.events().get(2).prev().value()));
    }

    @Test
    void aDeleteFromAKeyOnRemovesEveryLaterKey() {
        for (String key : List.of("a", "m", "m0", "z")) {
            put(key, "v");
        }
        KvResult.TxnDone done = txn(txn(List.of(), List.of(new Txn.Delete(KeySelector.from(bytes("m")))), List.of()));
        assertEquals(List.of("m", "m0", "z"), keys(deleted(done, 0).deleted()));
        assertEquals(List.of("a"), keys(machine.scan(new byte[0], null, 10)));
    }

    @Test
    void aRangeDeleteWalksPastManyPages() {
        for (int i = 0; i < KvView.SELECT_PAGE_ENTRIES * 2 + 7; i++) {
            put(String.format("k%04d", i), "v");
        }
        put("l", "after");
        // Keys k0000 to k0518; the range leaves the first and the last two.
        KvResult.TxnDone done = txn(txn(List.of(), List.of(new Txn.Delete(range("k0001", "k0517"))), List.of()));
        assertEquals(516, deleted(done, 0).deleted().size());
        assertEquals(List.of("k0000", "k0517", "k0518", "l"), keys(machine.scan(new byte[0], null, 10)));
    }

    @Test
    void anEmptyOrInvertedRangeDeletesNothing() {
        put("b", "v");
        KvResult.TxnDone done = txn(txn(List.of(), List.of(new Txn.Delete(range("c", "a")),
                new Txn.Delete(range("x", "y"))), List.of()));
        assertTrue(deleted(done, 0).deleted().isEmpty());
        assertTrue(deleted(done, 1).deleted().isEmpty());
        assertTrue(done.events().isEmpty());
        assertEquals("v", value("b"));
    }

    @Test
    void aRangeGetHonoursItsLimitAndSeesTheBranchsEarlierWrites() {
        for (String key : List.of("a", "b1", "b2", "b3", "c")) {
            put(key, "old");
        }
        KvResult.TxnDone done = txn(txn(List.of(), List.of(putOp("b0", "new"), new Txn.Delete(KeySelector.key(
                bytes("b2"))), new Txn.Get(range("b", "c"), 2), new Txn.Get(range("b", "c"), 10)), List.of()));
        TxnRunner.OpResult.Get limited = got(done.outcome().results(), 2);
        assertEquals(List.of("b0", "b1"), keys(limited.entries()));
        assertTrue(limited.more());
        TxnRunner.OpResult.Get all = got(done.outcome().results(), 3);
        assertEquals(List.of("b0", "b1", "b3"), keys(all.entries()));
        assertFalse(all.more());
    }

    // ---- compares over a range

    @Test
    void aRangeCompareHoldsOnlyWhenItHoldsForEveryKey() {
        put("p/1", "same");
        put("p/2", "same");
        put("q", "other");
        Txn.Compare allSame = valueIs("p/", "same").overRange(bytes("p0"));
        assertTrue(txn(txn(List.of(allSame), List.of(), List.of())).outcome().succeeded());
        put("p/3", "different");
        assertFalse(txn(txn(List.of(allSame), List.of(), List.of())).outcome().succeeded());
        Txn.Compare versions = Txn.Compare.number(bytes("p/"), Txn.Target.VERSION, Txn.Operator.EQUAL, 1)
                .overRange(bytes("p0"));
        assertTrue(txn(txn(List.of(versions), List.of(), List.of())).outcome().succeeded());
        put("p/1", "again");
        assertFalse(txn(txn(List.of(versions), List.of(), List.of())).outcome().succeeded());
    }

    @Test
    void anEmptyRangeComparesAsAMissingKey() {
        put("a", "v");
        Txn.Compare created = Txn.Compare.number(bytes("m"), Txn.Target.CREATE_REVISION, Txn.Operator.EQUAL, 0)
                .overRange(bytes("n"));
        assertTrue(txn(txn(List.of(created), List.of(), List.of())).outcome().succeeded());
        Txn.Compare value = Txn.Compare.value(bytes("m"), Txn.Operator.NOT_EQUAL, bytes("x")).overRange(bytes("n"));
        assertFalse(txn(txn(List.of(value), List.of(), List.of())).outcome().succeeded(),
                "a value compare on no key fails, as on a missing key");
    }

    @Test
    void aRangeCompareReadsPastManyPagesAndTheBatchsEarlierWrites() {
        List<Entry> batch = new ArrayList<>();
        for (int i = 0; i < KvView.SELECT_PAGE_ENTRIES + 3; i++) {
            batch.add(entry(new Command.Put(bytes(String.format("r%04d", i)), bytes("v"), Precondition.NONE)));
        }
        Txn.Compare allV = valueIs("r", "v").overRange(bytes("s"));
        batch.add(entry(new Command.Transaction(txn(List.of(allV), List.of(), List.of()))));
        batch.add(entry(new Command.Put(bytes("r0258"), bytes("w"), Precondition.NONE)));
        batch.add(entry(new Command.Transaction(txn(List.of(allV), List.of(), List.of()))));
        List<KvResult> results = machine.apply(batch);
        assertTrue(((KvResult.TxnDone) results.get(results.size() - 3)).outcome().succeeded());
        assertFalse(((KvResult.TxnDone) results.get(results.size() - 1)).outcome().succeeded(),
                "the last key of the range, on the second page, changed earlier in the batch");
    }

    // ---- nested transactions

    @Test
    void nestedComparesSeeTheStateBeforeAnyOpRuns() {
        put("a", "1");
        // The outer branch writes a=2 before the nested transaction, whose compare still sees a=1 (etcd).
        Txn nested = txn(List.of(valueIs("a", "1")), List.of(putOp("seen", "before")), List.of(putOp("seen", "after")));
        KvResult.TxnDone done = txn(txn(List.of(), List.of(putOp("a", "2"), new Txn.Nested(nested),
                new Txn.Get(KeySelector.key(bytes("a")), 1)), List.of()));
        TxnRunner.OpResult.Txn inner = assertInstanceOf(TxnRunner.OpResult.Txn.class, done.outcome().results().get(1));
        assertTrue(inner.succeeded());
        assertEquals("before", value("seen"));
        assertEquals("2", text(got(done.outcome().results(), 2).entries().get(0).value()),
                "ops still see the ones before them");
    }

    @Test
    void aNestedTransactionRunsEitherBranchAtTheOuterRevision() {
        put("flag", "on");
        Txn nested = txn(List.of(valueIs("flag", "on")),
                List.of(putOp("x", "then"), new Txn.Get(KeySelector.key(bytes("flag")), 1)),
                List.of(putOp("x", "else")));
        KvResult.TxnDone then = txn(txn(List.of(), List.of(new Txn.Nested(nested), putOp("y", "1")), List.of()));
        TxnRunner.OpResult.Txn thenResult = (TxnRunner.OpResult.Txn) then.outcome().results().get(0);
        assertTrue(thenResult.succeeded());
        assertEquals(2, thenResult.results().size());
        assertEquals("then", value("x"));
        assertEquals(List.of("x", "y"), then.events().stream().map(event -> text(event.key())).toList());
        assertTrue(then.events().stream().allMatch(event -> event.revision() == then.index()));
        assertEquals(then.index(), machine.get(bytes("x")).revision());

        put("flag", "off");
        KvResult.TxnDone otherwise = txn(txn(List.of(), List.of(new Txn.Nested(nested)), List.of()));
        TxnRunner.OpResult.Txn elseResult = (TxnRunner.OpResult.Txn) otherwise.outcome().results().get(0);
        assertFalse(elseResult.succeeded());
        assertEquals(1, elseResult.results().size());
        assertEquals("else", value("x"));
    }

    @Test
    void nestedTransactionsNestInTheFailureBranchToo() {
        Txn innermost = txn(List.of(), List.of(putOp("deep", "1")), List.of());
        Txn middle = txn(List.of(valueIs("missing", "x")), List.of(), List.of(new Txn.Nested(innermost)));
        KvResult.TxnDone done = txn(txn(List.of(valueIs("missing", "x")), List.of(), List.of(new Txn.Nested(middle))));
        assertFalse(done.outcome().succeeded());
        TxnRunner.OpResult.Txn mid = (TxnRunner.OpResult.Txn) done.outcome().results().get(0);
        assertFalse(mid.succeeded());
        assertTrue(((TxnRunner.OpResult.Txn) mid.results().get(0)).succeeded());
        assertEquals("1", value("deep"));
    }

    @Test
    void aKeyIsWrittenAtMostOnceAcrossNestedTransactions() {
        Txn putsA = txn(List.of(), List.of(putOp("a", "1")), List.of());
        assertNotNull(txn(List.of(), List.of(putOp("a", "0"), new Txn.Nested(putsA)), List.of()).problem());
        assertNotNull(txn(List.of(), List.of(new Txn.Nested(putsA), new Txn.Nested(putsA)), List.of()).problem());
        Txn deletesP = txn(List.of(), List.of(), List.of(new Txn.Delete(range("p", "q"))));
        assertNotNull(txn(List.of(), List.of(new Txn.Nested(deletesP), putOp("p/1", "1")), List.of()).problem());
        assertNotNull(txn(List.of(), List.of(putOp("p/1", "1"), new Txn.Nested(deletesP)), List.of()).problem());
        Txn bothBranches = txn(List.of(), List.of(putOp("a", "then")), List.of(putOp("a", "else")));
        assertNull(txn(List.of(), List.of(new Txn.Nested(bothBranches)), List.of(putOp("a", "2"))).problem(),
                "a nested transaction's two branches never both run, nor do the outer ones");
        assertNotNull(txn(List.of(), List.of(new Txn.Nested(txn(List.of(), List.of(putOp("b", "1"), putOp("b", "2")),
                List.of()))), List.of()).problem(), "a nested branch is checked on its own too");
        KvResult refused = apply(new Command.Transaction(txn(List.of(), List.of(putOp("a", "0"),
                new Txn.Nested(putsA)), List.of())));
        assertInstanceOf(KvResult.TxnInvalid.class, refused);
        assertNull(value("a"), "a committed invalid transaction changes nothing");
    }

    @Test
    void aNestedPutOnAMissingLeaseFailsTheWholeTransaction() {
        KvResult result = apply(new Command.Transaction(txn(List.of(), List.of(putOp("a", "1"),
                new Txn.Nested(txn(List.of(), List.of(new Txn.Put(bytes("b"), bytes("1"), 77)), List.of()))),
                List.of())));
        KvResult.LeaseNotFound missing = assertInstanceOf(KvResult.LeaseNotFound.class, result);
        assertEquals(77, missing.id());
        assertNull(value("a"));
    }

    // ---- gets at a past revision

    @Test
    void aGetAtAPastRevisionReadsTheHistory() {
        long first = put("a", "1");
        put("a", "2");
        put("b/1", "x");
        KvResult.TxnDone done = txn(txn(List.of(), List.of(putOp("a", "3"),
                new Txn.Get(KeySelector.key(bytes("a")), 1, first), new Txn.Get(range("a", "c"), 10, first),
                new Txn.Get(KeySelector.key(bytes("a")), 1)), List.of()));
        assertEquals("1", text(got(done.outcome().results(), 1).entries().get(0).value()));
        assertEquals(List.of("a"), keys(got(done.outcome().results(), 2).entries()), "b/1 did not exist yet");
        assertEquals("3", text(got(done.outcome().results(), 3).entries().get(0).value()));
    }

    @Test
    void aGetAtARevisionOfTheSameBatchReadsWhatOneEntryAtATimeWould() {
        // The same entries applied in one batch and one by one must answer alike on every node.
        KvStateMachine oneByOne = new KvStateMachine(new InMemoryKvStore());
        List<Entry> entries = List.of(
                Entry.command(1, 1, CommandCodec.encode(new Command.Put(bytes("a"), bytes("1"), Precondition.NONE))),
                Entry.command(1, 2, CommandCodec.encode(new Command.Put(bytes("a"), bytes("2"), Precondition.NONE))),
                Entry.command(1, 3, CommandCodec.encode(new Command.Transaction(txn(List.of(), List.of(
                        putOp("c", "1"), new Txn.Get(KeySelector.key(bytes("a")), 1, 1)), List.of())))),
                Entry.command(1, 4, CommandCodec.encode(new Command.Transaction(txn(List.of(), List.of(
                        new Txn.Get(KeySelector.key(bytes("c")), 1, 3), putOp("d", "1")), List.of())))),
                Entry.command(1, 5, CommandCodec.encode(new Command.Put(bytes("a"), bytes("5"), Precondition.NONE))));
        List<KvResult> batched = machine.apply(entries);
        List<KvResult> single = new ArrayList<>();
        for (Entry entry : entries) {
            single.addAll(oneByOne.apply(List.of(entry)));
        }
        for (int i = 0; i < entries.size(); i++) {
            assertArrayEquals(ResultCodec.encode(single.get(i)), ResultCodec.encode(batched.get(i)), "entry " + (i + 1));
        }
        KvResult.TxnDone read = (KvResult.TxnDone) batched.get(2);
        assertEquals("1", text(got(read.outcome().results(), 1).entries().get(0).value()));
        KvResult.TxnDone readOwn = (KvResult.TxnDone) batched.get(3);
        assertEquals("1", text(got(readOwn.outcome().results(), 0).entries().get(0).value()));
        assertEquals(5, machine.appliedIndex());
        assertEquals("5", text(machine.get(bytes("a")).value()));
        assertEquals(history(oneByOne), history(machine), "the same history, however the entries were batched");
    }

    @Test
    void aGetAtACompactedOrFutureRevisionRefusesTheWholeTransaction() {
        put("a", "1");
        put("a", "2");
        long compactedTo = apply(new Command.Compact(2)).index();
        KvResult compacted = apply(new Command.Transaction(txn(List.of(), List.of(putOp("b", "1"),
                new Txn.Get(KeySelector.key(bytes("a")), 1, 1)), List.of())));
        KvResult.TxnRevisionUnavailable refused = assertInstanceOf(KvResult.TxnRevisionUnavailable.class, compacted);
        assertEquals(RevisionUnavailableException.Reason.COMPACTED, refused.reason());
        assertEquals(2, refused.compactRevision());
        assertNull(value("b"), "nothing of a refused transaction applies");
        KvResult future = apply(new Command.Transaction(txn(List.of(), List.of(putOp("b", "1"),
                new Txn.Get(KeySelector.key(bytes("a")), 1, nextIndex)), List.of())));
        assertEquals(RevisionUnavailableException.Reason.FUTURE,
                assertInstanceOf(KvResult.TxnRevisionUnavailable.class, future).reason());
        assertNull(value("b"));
        KvResult.TxnDone atCompactRevision = txn(txn(List.of(), List.of(putOp("b", "1"),
                new Txn.Get(KeySelector.key(bytes("a")), 1, 2)), List.of()));
        assertEquals("2", text(got(atCompactRevision.outcome().results(), 1).entries().get(0).value()));
        assertTrue(compactedTo > 2);
    }

    @Test
    void aCompactionEarlierInTheBatchRefusesLaterReadsBelowIt() {
        put("a", "1");
        put("a", "2");
        List<KvResult> results = machine.apply(List.of(entry(new Command.Compact(2)),
                entry(new Command.Transaction(txn(List.of(), List.of(new Txn.Get(KeySelector.key(bytes("a")), 1, 1),
                        putOp("b", "1")), List.of())))));
        assertInstanceOf(KvResult.Compacted.class, results.get(0));
        assertEquals(RevisionUnavailableException.Reason.COMPACTED,
                assertInstanceOf(KvResult.TxnRevisionUnavailable.class, results.get(1)).reason());
    }

    @Test
    void aReadOnlyTransactionReadsAtAPastRevisionOrRefusesAFutureOne() {
        long first = put("a", "1");
        put("a", "2");
        KvResult.TxnDone done = machine.readTransaction(txn(List.of(), List.of(
                new Txn.Get(KeySelector.key(bytes("a")), 1, first)), List.of()));
        assertEquals("1", text(got(done.outcome().results(), 0).entries().get(0).value()));
        RevisionUnavailableException future = assertThrows(RevisionUnavailableException.class,
                () -> machine.readTransaction(txn(List.of(), List.of(new Txn.Get(KeySelector.key(bytes("a")), 1, 99)),
                        List.of())));
        assertEquals(RevisionUnavailableException.Reason.FUTURE, future.reason());
    }

    // ---- puts that keep the value or the lease

    @Test
    void aPutCanKeepTheValueOrTheLease() {
        KvResult.LeaseGranted lease = assertInstanceOf(KvResult.LeaseGranted.class,
                apply(new Command.LeaseGrant(0, 60)));
        long leaseId = lease.lease().id();
        apply(new Command.Put(bytes("k"), bytes("kept"), Precondition.NONE, leaseId));
        KvResult.TxnDone keepValue = txn(txn(List.of(), List.of(new Txn.Put(bytes("k"), new byte[0], 0, true, false)),
                List.of()));
        KvEntry written = ((TxnRunner.OpResult.Put) keepValue.outcome().results().get(0)).entry();
        assertEquals("kept", text(written.value()));
        assertEquals(0, written.lease(), "the lease was not kept, so the put names none");
        assertEquals(2, written.version());
        apply(new Command.Put(bytes("k"), bytes("v2"), Precondition.NONE, leaseId));
        KvResult.TxnDone keepLease = txn(txn(List.of(), List.of(new Txn.Put(bytes("k"), bytes("v3"), 0, false, true)),
                List.of()));
        KvEntry again = ((TxnRunner.OpResult.Put) keepLease.outcome().results().get(0)).entry();
        assertEquals("v3", text(again.value()));
        assertEquals(leaseId, again.lease());
        assertEquals(List.of("k"), machine.leaseKeys(leaseId, 10).stream().map(TxnRangesTest::text).toList());
    }

    @Test
    void keepingTheValueOfAMissingKeyRefusesTheWholeTransaction() {
        KvResult result = apply(new Command.Transaction(txn(List.of(), List.of(putOp("other", "1"),
                new Txn.Put(bytes("missing"), new byte[0], 0, true, false)), List.of())));
        KvResult.TxnKeyNotFound missing = assertInstanceOf(KvResult.TxnKeyNotFound.class, result);
        assertEquals("missing", text(missing.key()));
        assertNull(value("other"));
        assertEquals(1, machine.appliedIndex(), "the entry still advances the applied index");
    }
}
