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
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Transactions: the codec, the compare rules, and how the state machine applies them. */
class TxnTest {

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
        List<KvResult> results = machine.apply(List.of(entry(command)));
        assertEquals(1, results.size());
        return results.get(0);
    }

    private void put(String key, String value) {
        apply(new Command.Put(bytes(key), bytes(value), Precondition.NONE));
    }

    private KvResult.TxnDone txn(Txn txn) {
        return assertInstanceOf(KvResult.TxnDone.class, apply(new Command.Transaction(txn)));
    }

    private static Txn.Put putOp(String key, String value) {
        return new Txn.Put(bytes(key), bytes(value), 0);
    }

    private static Txn.Get get(String key) {
        return new Txn.Get(KeySelector.key(bytes(key)), 1);
    }

    private static Txn.Get getPrefix(String prefix, int limit) {
        return new Txn.Get(KeySelector.prefix(bytes(prefix)), limit);
    }

    private static Txn.Delete deletePrefix(String prefix) {
        return new Txn.Delete(KeySelector.prefix(bytes(prefix)));
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

    // ---- the codec

    private static Txn everyShape() {
        return new Txn(
                List.of(valueIs("a", "x"),
                        Txn.Compare.number(bytes("b"), Txn.Target.VERSION, Txn.Operator.GREATER, 0),
                        Txn.Compare.number(bytes("c"), Txn.Target.EXISTS, Txn.Operator.NOT_EQUAL, 1),
                        Txn.Compare.value(bytes("d"), Txn.Operator.LESS, new byte[0])),
                List.of(new Txn.Put(bytes("a"), bytes("y"), 7), new Txn.Delete(KeySelector.key(bytes("b"))),
                        deletePrefix("tmp/"), get("c"), getPrefix("p/", 50), getPrefix("", 3)),
                List.of(get("a")));
    }

    @Test
    void codecRoundTripsEveryCompareAndOp() {
        byte[] encoded = CommandCodec.encode(new Command.Transaction(everyShape()));
        Txn decoded = ((Command.Transaction) CommandCodec.decode(encoded)).txn();
        assertArrayEquals(encoded, CommandCodec.encode(new Command.Transaction(decoded)));
        assertEquals(4, decoded.compares().size());
        assertEquals(Txn.Target.EXISTS, decoded.compares().get(2).target());
        assertEquals(Txn.Operator.LESS, decoded.compares().get(3).operator());
        assertEquals(7, ((Txn.Put) decoded.success().get(0)).lease());
        assertTrue(((Txn.Delete) decoded.success().get(2)).keys().prefix());
        assertEquals(50, ((Txn.Get) decoded.success().get(4)).limit());
        assertEquals(Txn.Op.Kind.GET, decoded.failure().get(0).kind());
        assertEquals(CommandCodec.TYPE_TXN, encoded[1]);
    }

    @Test
    void everyTruncationOfATransactionIsRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Transaction(everyShape()));
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(truncated), "length " + length);
        }
    }

    @Test
    void hostileCountsAndOrdinalsAreRejectedWithoutAllocating() {
        byte[] encoded = CommandCodec.encode(new Command.Transaction(new Txn(List.of(valueIs("a", "x")), List.of(),
                List.of())));
        byte[] hugeCount = encoded.clone();
        hugeCount[2] = 0x7f;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(hugeCount));
        byte[] badTarget = encoded.clone();
        badTarget[2 + 4 + 4 + 1] = 42;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(badTarget));
        byte[] badOperator = encoded.clone();
        badOperator[2 + 4 + 4 + 2] = -1;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(badOperator));
    }

    // ---- compares

    @Test
    void aMissingKeyComparesAsZerosAndFailsEveryValueCompare() {
        for (Txn.Operator operator : Txn.Operator.values()) {
            assertFalse(Txn.Compare.value(bytes("k"), operator, bytes("v")).holds(null), operator.name());
        }
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.VERSION, Txn.Operator.EQUAL, 0).holds(null));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.REVISION, Txn.Operator.LESS, 1).holds(null));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.EXISTS, Txn.Operator.EQUAL, 0).holds(null));
        assertFalse(Txn.Compare.number(bytes("k"), Txn.Target.EXISTS, Txn.Operator.EQUAL, 1).holds(null));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.LEASE, Txn.Operator.EQUAL, 0).holds(null));
    }

    @Test
    void comparesUseEachTargetAndOperator() {
        KvEntry entry = new KvEntry(bytes("k"), bytes("m"), 9, 4, 3);
        assertTrue(Txn.Compare.value(bytes("k"), Txn.Operator.EQUAL, bytes("m")).holds(entry));
        assertTrue(Txn.Compare.value(bytes("k"), Txn.Operator.GREATER, bytes("a")).holds(entry));
        assertTrue(Txn.Compare.value(bytes("k"), Txn.Operator.LESS, bytes("mm")).holds(entry));
        assertTrue(Txn.Compare.value(bytes("k"), Txn.Operator.LESS, new byte[] {(byte) 0xff}).holds(entry),
                "values compare as unsigned bytes");
        assertFalse(Txn.Compare.value(bytes("k"), Txn.Operator.NOT_EQUAL, bytes("m")).holds(entry));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.REVISION, Txn.Operator.EQUAL, 9).holds(entry));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.CREATE_REVISION, Txn.Operator.LESS, 5).holds(entry));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.VERSION, Txn.Operator.GREATER, 2).holds(entry));
        assertFalse(Txn.Compare.number(bytes("k"), Txn.Target.VERSION, Txn.Operator.GREATER, 3).holds(entry));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.EXISTS, Txn.Operator.EQUAL, 1).holds(entry));
        assertTrue(Txn.Compare.number(bytes("k"), Txn.Target.EXISTS, Txn.Operator.NOT_EQUAL, 0).holds(entry));
    }

    @Test
    void overlappingWritesInOneBranchAreAProblem() {
        assertNull(new Txn(List.of(), List.of(putOp("a", "1"), putOp("b", "1"), get("a")), List.of(putOp("a", "2")))
                .problem());
        assertNotNull(new Txn(List.of(), List.of(putOp("a", "1"), putOp("a", "2")), List.of()).problem());
        assertNotNull(new Txn(List.of(), List.of(deletePrefix("p/"), putOp("p/x", "1")), List.of()).problem());
        assertNotNull(new Txn(List.of(), List.of(), List.of(deletePrefix("p/"), deletePrefix("p/q/"))).problem());
        assertNotNull(new Txn(List.of(), List.of(deletePrefix("p/q/"), deletePrefix("p/")), List.of()).problem());
        assertNull(new Txn(List.of(), List.of(deletePrefix("p/"), putOp("q", "1")), List.of()).problem());
    }

    // ---- applying

    @Test
    void successBranchWritesEveryKeyAtOneRevision() {
        put("a", "x");
        KvResult.TxnDone done = txn(new Txn(List.of(valueIs("a", "x")),
                List.of(putOp("b", "1"), putOp("a", "y"), get("a")), List.of(get("a"))));
        assertTrue(done.outcome().succeeded());
        assertEquals(2, done.index());
        assertEquals("y", value("a"));
        assertEquals(2, machine.get(bytes("a")).revision());
        assertEquals(2, machine.get(bytes("a")).version());
        assertEquals(2, machine.get(bytes("b")).revision());
        TxnRunner.OpResult.Get read = assertInstanceOf(TxnRunner.OpResult.Get.class, done.outcome().results().get(2));
        assertEquals("y", text(read.entries().get(0).value()), "a get sees the branch's earlier put");
        assertEquals(List.of("a", "b"), done.events().stream().map(e -> text(e.key())).toList(),
                "events in key order, as the history stores them");
        KvStore.HistoryPage history = machine.history(KeySelector.prefix(new byte[0]), 2, 2, 100, true);
        assertEquals(2, history.events().size());
        assertEquals("x", text(history.events().get(0).prev().value()));
    }

    @Test
    void failureBranchRunsWhenAnyCompareFails() {
        put("a", "x");
        KvResult.TxnDone done = txn(new Txn(List.of(valueIs("a", "x"), valueIs("b", "anything")),
                List.of(putOp("a", "y")), List.of(get("a"), get("b"))));
        assertFalse(done.outcome().succeeded());
        assertEquals("x", value("a"));
        assertTrue(done.events().isEmpty());
        List<TxnRunner.OpResult> results = done.outcome().results();
        assertEquals(List.of("a"), keys(((TxnRunner.OpResult.Get) results.get(0)).entries()));
        assertTrue(((TxnRunner.OpResult.Get) results.get(1)).entries().isEmpty());
    }

    @Test
    void prefixDeleteAndPrefixGetSeeEarlierEntriesOfTheSameBatch() {
        put("p/1", "a");
        put("p/2", "b");
        put("q", "c");
        // One batch: a put and a delete under p/, then a transaction that reads and deletes the prefix.
        List<KvResult> results = machine.apply(List.of(
                entry(new Command.Put(bytes("p/3"), bytes("c"), Precondition.NONE)),
                entry(new Command.Delete(bytes("p/1"), Precondition.NONE)),
                entry(new Command.Transaction(new Txn(List.of(), List.of(getPrefix("p/", 10), deletePrefix("p/")),
                        List.of())))));
        KvResult.TxnDone done = assertInstanceOf(KvResult.TxnDone.class, results.get(2));
        assertEquals(List.of("p/2", "p/3"), keys(((TxnRunner.OpResult.Get) done.outcome().results().get(0)).entries()));
        assertEquals(List.of("p/2", "p/3"),
                keys(((TxnRunner.OpResult.Delete) done.outcome().results().get(1)).deleted()));
        assertNull(machine.get(bytes("p/2")));
        assertNull(machine.get(bytes("p/3")));
        assertEquals("c", value("q"));
        assertEquals(List.of(), machine.scan(bytes("p/"), null, 10));
    }

    @Test
    void prefixGetHonoursItsLimitAndSaysThereIsMore() {
        for (int i = 0; i < 5; i++) {
            put("p/" + i, "v");
        }
        KvResult.TxnDone done = txn(new Txn(List.of(), List.of(getPrefix("p/", 3)), List.of()));
        TxnRunner.OpResult.Get read = (TxnRunner.OpResult.Get) done.outcome().results().get(0);
        assertEquals(List.of("p/0", "p/1", "p/2"), keys(read.entries()));
        assertTrue(read.more());
        TxnRunner.OpResult.Get all = (TxnRunner.OpResult.Get) txn(new Txn(List.of(), List.of(getPrefix("p/", 5)),
                List.of())).outcome().results().get(0);
        assertFalse(all.more());
    }

    @Test
    void aCommittedInvalidTransactionChangesNothing() {
        put("a", "x");
        KvResult result = apply(new Command.Transaction(new Txn(List.of(), List.of(putOp("a", "1"), putOp("a", "2")),
                List.of())));
        assertInstanceOf(KvResult.TxnInvalid.class, result);
        assertEquals("x", value("a"));
        assertEquals(2, machine.appliedIndex(), "the entry still advances the applied index");
    }

    @Test
    void readOnlyTransactionReadsTheAppliedState() {
        put("a", "1");
        put("b", "2");
        KvResult.TxnDone done = machine.readTransaction(new Txn(List.of(valueIs("a", "1")),
                List.of(get("a"), getPrefix("", 10)), List.of()));
        assertTrue(done.outcome().succeeded());
        assertEquals(2, done.index());
        assertEquals(List.of("a", "b"), keys(((TxnRunner.OpResult.Get) done.outcome().results().get(1)).entries()));
        assertThrows(IllegalArgumentException.class, () -> machine.readTransaction(new Txn(List.of(),
                List.of(putOp("a", "2")), List.of())));
    }

    @Test
    void aTransactionWithManyOpsIsOneRevision() {
        List<Txn.Op> ops = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            ops.add(putOp(String.format("k%03d", i), "v" + i));
        }
        KvResult.TxnDone done = txn(new Txn(List.of(), ops, List.of()));
        assertEquals(128, done.events().size());
        assertTrue(done.events().stream().allMatch(event -> event.revision() == done.index()));
        assertEquals(128, machine.scan(bytes("k"), null, 1000).size());
    }
}
