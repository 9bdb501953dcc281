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
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Writes with an idempotency key apply once; the table, its codec and the stored results. */
class IdempotencyTest {

    private static final long WINDOW = 1000;

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

    private Entry entry(Command command) {
        return Entry.command(1, nextIndex++, CommandCodec.encode(command));
    }

    private KvResult apply(Command command) {
        return machine.apply(List.of(entry(command))).get(0);
    }

    private static Command idempotent(String key, Command write) {
        return new Command.Idempotent(bytes(key), WINDOW, write);
    }

    private static Command put(String key, String value) {
        return new Command.Put(bytes(key), bytes(value), Precondition.NONE);
    }

    @Test
    void aRetryIsAnsweredWithTheFirstResultAndAppliesNothing() {
        KvResult.Written first = assertInstanceOf(KvResult.Written.class,
                apply(idempotent("req-1", put("counter", "1"))));
        apply(put("other", "x"));
        KvResult.Replayed retry = assertInstanceOf(KvResult.Replayed.class, apply(idempotent("req-1", put("counter",
                "1"))));
        KvResult.Written original = assertInstanceOf(KvResult.Written.class, retry.original());
        assertEquals(first.index(), original.index());
        assertEquals(first.entry().revision(), original.entry().revision());
        assertTrue(retry.events().isEmpty(), "a replay changes nothing a watcher could see");
        assertEquals(1, machine.get(bytes("counter")).version(), "applied once");
        assertEquals(3, machine.appliedIndex());
    }

    @Test
    void aFailedPreconditionIsReplayedAsTheSameFailure() {
        apply(put("k", "a"));
        Command cas = new Command.Put(bytes("k"), bytes("c"), new Precondition(bytes("b"), null, null));
        assertInstanceOf(KvResult.CompareFailed.class, apply(idempotent("cas", cas)));
        apply(put("k", "b"));
        KvResult.Replayed retry = assertInstanceOf(KvResult.Replayed.class, apply(idempotent("cas", cas)));
        assertInstanceOf(KvResult.CompareFailed.class, retry.original(), "not re-evaluated against the new value");
        assertArrayEquals(bytes("b"), machine.get(bytes("k")).value());
    }

    @Test
    void theSameKeyWithAnotherRequestIsRefused() {
        apply(idempotent("req", put("a", "1")));
        KvResult.IdempotencyKeyReused reused = assertInstanceOf(KvResult.IdempotencyKeyReused.class,
                apply(idempotent("req", put("a", "2"))));
        assertEquals(1, reused.firstRevision());
        assertArrayEquals(bytes("1"), machine.get(bytes("a")).value());
    }

    @Test
    void twoAttemptsInOneApplyBatchApplyOnce() {
        List<KvResult> results = machine.apply(List.of(entry(idempotent("r", put("a", "1"))),
                entry(idempotent("r", put("a", "1")))));
        assertInstanceOf(KvResult.Written.class, results.get(0));
        assertInstanceOf(KvResult.Replayed.class, results.get(1));
        assertEquals(1, machine.get(bytes("a")).version());
    }

    @Test
    void anEntryCountsForTheWindowItsCommandCarriedAndNoLonger() {
        apply(new Command.Idempotent(bytes("short"), 3, put("a", "1")));          // 1: remembered below 4
        apply(put("b", "1"));                                                      // 2
        assertInstanceOf(KvResult.Replayed.class, apply(new Command.Idempotent(bytes("short"), 3, put("a", "1"))),
                "at 3, within the window");
        assertInstanceOf(KvResult.Written.class, apply(new Command.Idempotent(bytes("short"), 3, put("a", "1"))),
                "at 4 the window has passed: the key is new again");
        assertEquals(2, machine.get(bytes("a")).version());
        apply(new Command.Compact(4));
        assertInstanceOf(KvResult.Replayed.class, apply(new Command.Idempotent(bytes("short"), 3, put("a", "1"))),
                "compacting the history does not shorten the window");
    }

    @Test
    void transactionsAreIdempotentToo() {
        Command txn = new Command.Transaction(new Txn(List.of(), List.of(new Txn.Put(bytes("t"), bytes("1"), 0),
                new Txn.Get(KeySelector.key(bytes("t")), 1)), List.of()));
        KvResult.TxnDone first = assertInstanceOf(KvResult.TxnDone.class, apply(idempotent("t", txn)));
        KvResult.Replayed retry = assertInstanceOf(KvResult.Replayed.class, apply(idempotent("t", txn)));
        KvResult.TxnDone original = assertInstanceOf(KvResult.TxnDone.class, retry.original());
        assertTrue(original.outcome().succeeded());
        assertEquals(first.outcome().results().size(), original.outcome().results().size());
        assertEquals(first.index(), original.index());
    }

    @Test
    void theCommandCodecCarriesTheKeyAndTheWrite() {
        Command command = idempotent("key-1", put("a", "b"));
        byte[] encoded = CommandCodec.encode(command);
        Command.Idempotent decoded = assertInstanceOf(Command.Idempotent.class, CommandCodec.decode(encoded));
        assertArrayEquals(bytes("key-1"), decoded.key());
        assertArrayEquals(encoded, CommandCodec.encode(decoded));
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = java.util.Arrays.copyOf(encoded, length);
            assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(truncated), "length " + length);
        }
        byte[] compact = CommandCodec.encode(new Command.Compact(3));
        byte[] wrappedCompact = java.nio.ByteBuffer.allocate(2 + 4 + 1 + 8 + 4 + compact.length).put((byte) 1)
                .put((byte) 5).putInt(1).put((byte) 'k').putLong(10).putInt(compact.length).put(compact).array();
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(wrappedCompact));
        byte[] zeroWindow = encoded.clone();
        java.nio.ByteBuffer.wrap(zeroWindow).putLong(2 + 4 + "key-1".length(), 0);
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(zeroWindow));
        assertThrows(IllegalArgumentException.class, () -> new Command.Idempotent(bytes("k"), 5, new Command.Compact(3)));
        Command grant = new Command.Idempotent(bytes("g"), 5, new Command.LeaseGrant(0, 10));
        assertArrayEquals(CommandCodec.encode(grant), CommandCodec.encode(CommandCodec.decode(CommandCodec.encode(grant))));
        assertThrows(IllegalArgumentException.class, () -> new Command.Idempotent(bytes("k"), 0, put("a", "b")));
        assertEquals(WINDOW, decoded.windowRevisions());
    }

    @Test
    void fingerprintsDifferWhenAnyPartOfTheRequestDoes() {
        assertArrayEquals(Idempotency.fingerprint(put("a", "1")), Idempotency.fingerprint(put("a", "1")));
        assertFalse(java.util.Arrays.equals(Idempotency.fingerprint(put("a", "1")), Idempotency.fingerprint(put("a", "2"))));
        assertFalse(java.util.Arrays.equals(Idempotency.fingerprint(put("a", "1")),
                Idempotency.fingerprint(new Command.Put(bytes("a"), bytes("1"), new Precondition(null, 0L, null)))));
    }

    @Test
    void keysAreOneTo128PrintableBytes() {
        assertNull(Idempotency.problem("a"));
        assertNull(Idempotency.problem("k".repeat(128)));
        assertNull(Idempotency.problem("order 42 / retry ~!"));
        assertNotNull(Idempotency.problem(""));
        assertNotNull(Idempotency.problem("k".repeat(129)));
        assertNotNull(Idempotency.problem("tab\there"));
        assertNotNull(Idempotency.problem("é"));
    }

    @Test
    void everyStoredResultKindRoundTrips() {
        KvEntry a = new KvEntry(bytes("a"), bytes("1"), 5, 2, 3);
        List<KvResult> results = List.of(
                new KvResult.Written(5, a, null),
                new KvResult.Written(5, a, new KvEntry(bytes("a"), bytes("0"), 4, 2, 2)),
                new KvResult.Deleted(5, bytes("a"), 5, a),
                new KvResult.NotFound(5, bytes("gone")),
                new KvResult.CompareFailed(5, bytes("a"), a),
                new KvResult.CompareFailed(5, bytes("a"), null),
                new KvResult.TxnDone(5, new TxnRunner.Outcome(false, List.of(new TxnRunner.OpResult.Put(a, null),
                        new TxnRunner.OpResult.Delete(List.of(a, a)), new TxnRunner.OpResult.Get(List.of(a), true)),
                        List.of(), java.util.Map.of())),
                new KvResult.TxnInvalid(5, "writes a twice"),
                new KvResult.LeaseGranted(5, new Lease(9, 30, Lease.NO_CHECKPOINT)),
                new KvResult.LeaseExists(5, 9),
                new KvResult.LeaseNotFound(5, 9, bytes("k")),
                new KvResult.LeaseNotFound(5, 9, null),
                new KvResult.LeaseRevoked(5, 9, List.of(Event.delete(bytes("a"), 5, null), Event.delete(bytes("b"), 5,
                        null))));
        for (KvResult result : results) {
            byte[] stored = ResultCodec.encode(result);
            KvResult decoded = ResultCodec.decode(stored, 5);
            assertEquals(result.getClass(), decoded.getClass());
            assertArrayEquals(stored, ResultCodec.encode(decoded), result.toString());
            for (int length = 0; length < stored.length; length++) {
                byte[] truncated = java.util.Arrays.copyOf(stored, length);
                assertThrows(IllegalArgumentException.class, () -> ResultCodec.decode(truncated, 5));
            }
        }
    }
}
