package io.rafty.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The stored forms of transactions and their results: what older nodes wrote to logs, snapshots and the
 * idempotency table still decodes to the same thing, and the second transaction format (ranges, revisions,
 * kept values, nesting) round-trips and refuses hostile input.
 */
class TxnFormatTest {

    /**
     * A transaction as the first format wrote it before the second existed: compares on "a" (value == "x")
     * and "b" (lease != 7); success: put a=y lease 7, delete key b, delete prefix t/, get key c, get prefix p/
     * limit 5; failure: get key a.
     */
    private static final String FIRST_FORMAT_TXN = "0104000000020000000161000000000001780000000162040100000000000000"
            + "0700000005010000000161000000017900000000000000070200000001620300000002742f0400000001630000000105"
            + "00000002702f000000050000000104000000016100000001";

    /** The same transaction under idempotency key "id-1" with a window of 100 revisions. */
    private static final String FIRST_FORMAT_IDEMPOTENT_TXN = "01050000000469642d3100000000000000640000006801040000"
            + "0002000000016100000000000178000000016204010000000000000007000000050100000001610000000179000000"
            + "00000000070200000001620300000002742f040000000163000000010500000002702f0000000500000001040000000161"
            + "00000001";

    /**
     * A stored transaction result as written before nested results existed: succeeded; a put of a=y (rev 9,
     * created 3, version 2) over a=x; a delete of a=x; a get of a=y with more.
     */
    private static final String STORED_TXN_RESULT = "050100000003010000000161000000017900000000000000090000000000000003"
            + "0000000000000002000000000000000001000000016100000001780000000000000003000000000000000300000000000000"
            + "0100000000000000000200000001000000016100000001780000000000000003000000000000000300000000000000010000"
            + "000000000000030000000100000001610000000179000000000000000900000000000000030000000000000002000000000000"
            + "000001";

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static Txn nestedShapes() {
        Txn inner = new Txn(List.of(Txn.Compare.number(bytes("n"), Txn.Target.VERSION, Txn.Operator.GREATER, 0)
                .overRange(new byte[0])),
                List.of(new Txn.Put(bytes("x"), bytes("1"), 0)),
                List.of(new Txn.Put(bytes("x"), bytes("2"), 0),
                        new Txn.Nested(new Txn(List.of(), List.of(new Txn.Get(KeySelector.key(bytes("y")), 1, 4)),
                                List.of()))));
        return new Txn(
                List.of(Txn.Compare.value(bytes("a"), Txn.Operator.EQUAL, bytes("v")).overRange(bytes("c")),
                        Txn.Compare.number(bytes("k"), Txn.Target.REVISION, Txn.Operator.LESS, 9)),
                List.of(new Txn.Delete(KeySelector.range(bytes("d"), bytes("f"))),
                        new Txn.Delete(KeySelector.from(bytes("z"))),
                        new Txn.Get(KeySelector.range(bytes("g"), bytes("h")), 10, 3),
                        new Txn.Get(KeySelector.prefix(bytes("p/")), 7, 2),
                        new Txn.Put(bytes("k"), new byte[0], 0, true, false),
                        new Txn.Put(bytes("l"), bytes("w"), 0, false, true),
                        new Txn.Nested(inner)),
                List.of(new Txn.Get(KeySelector.range(bytes("a"), bytes("b")), 2)));
    }

    @Test
    void aFirstFormatTransactionStillDecodesAndEncodesToTheSameBytes() {
        byte[] stored = HexFormat.of().parseHex(FIRST_FORMAT_TXN);
        Txn txn = assertInstanceOf(Command.Transaction.class, CommandCodec.decode(stored)).txn();
        assertEquals(2, txn.compares().size());
        assertFalse(txn.compares().get(0).ranged());
        assertEquals(Txn.Target.LEASE, txn.compares().get(1).target());
        assertEquals(7, txn.compares().get(1).number());
        Txn.Put put = assertInstanceOf(Txn.Put.class, txn.success().get(0));
        assertEquals("y", text(put.value()));
        assertEquals(7, put.lease());
        assertFalse(put.ignoreValue() || put.ignoreLease());
        assertEquals(KeySelector.key(bytes("b")), ((Txn.Delete) txn.success().get(1)).keys());
        assertEquals(KeySelector.prefix(bytes("t/")), ((Txn.Delete) txn.success().get(2)).keys());
        Txn.Get prefixGet = (Txn.Get) txn.success().get(4);
        assertEquals(KeySelector.prefix(bytes("p/")), prefixGet.keys());
        assertEquals(5, prefixGet.limit());
        assertEquals(0, prefixGet.revision());
        assertEquals(1, txn.failure().size());
        assertArrayEquals(stored, CommandCodec.encode(new Command.Transaction(txn)),
                "a transaction the first format can say is still written in it");
    }

    @Test
    void aFirstFormatIdempotentTransactionKeepsItsFingerprint() {
        byte[] stored = HexFormat.of().parseHex(FIRST_FORMAT_IDEMPOTENT_TXN);
        Command.Idempotent idempotent = assertInstanceOf(Command.Idempotent.class, CommandCodec.decode(stored));
        assertEquals("id-1", text(idempotent.key()));
        assertEquals(100, idempotent.windowRevisions());
        assertArrayEquals(stored, CommandCodec.encode(idempotent));
        // A retry after an upgrade must match the entry its first attempt left in the idempotency table.
        assertArrayEquals(Idempotency.fingerprint(CommandCodec.decode(HexFormat.of().parseHex(FIRST_FORMAT_TXN))),
                Idempotency.fingerprint(idempotent.write()));
    }

    @Test
    void aStoredFirstFormatResultStillDecodes() {
        KvResult.TxnDone done = assertInstanceOf(KvResult.TxnDone.class,
                ResultCodec.decode(HexFormat.of().parseHex(STORED_TXN_RESULT), 9));
        assertTrue(done.outcome().succeeded());
        TxnRunner.OpResult.Put put = assertInstanceOf(TxnRunner.OpResult.Put.class, done.outcome().results().get(0));
        assertEquals(2, put.entry().version());
        assertEquals("x", text(put.prev().value()));
        assertEquals(1, ((TxnRunner.OpResult.Delete) done.outcome().results().get(1)).deleted().size());
        assertTrue(((TxnRunner.OpResult.Get) done.outcome().results().get(2)).more());
        assertArrayEquals(HexFormat.of().parseHex(STORED_TXN_RESULT), ResultCodec.encode(done));
    }

    @Test
    void theSecondFormatRoundTripsRangesRevisionsKeptValuesAndNesting() {
        byte[] encoded = CommandCodec.encode(new Command.Transaction(nestedShapes()));
        assertEquals(CommandCodec.TYPE_TXN_SECOND_FORMAT, encoded[1]);
        Txn decoded = assertInstanceOf(Command.Transaction.class, CommandCodec.decode(encoded)).txn();
        assertArrayEquals(encoded, CommandCodec.encode(new Command.Transaction(decoded)));
        assertEquals(KeySelector.range(bytes("a"), bytes("c")), decoded.compares().get(0).keys());
        assertFalse(decoded.compares().get(1).ranged());
        assertEquals(KeySelector.range(bytes("d"), bytes("f")), ((Txn.Delete) decoded.success().get(0)).keys());
        assertEquals(KeySelector.from(bytes("z")), ((Txn.Delete) decoded.success().get(1)).keys());
        Txn.Get rangeGet = (Txn.Get) decoded.success().get(2);
        assertEquals(KeySelector.range(bytes("g"), bytes("h")), rangeGet.keys());
        assertEquals(10, rangeGet.limit());
        assertEquals(3, rangeGet.revision());
        assertEquals(2, ((Txn.Get) decoded.success().get(3)).revision());
        assertTrue(((Txn.Put) decoded.success().get(4)).ignoreValue());
        assertTrue(((Txn.Put) decoded.success().get(5)).ignoreLease());
        Txn inner = ((Txn.Nested) decoded.success().get(6)).txn();
        assertEquals(KeySelector.from(bytes("n")), inner.compares().get(0).keys());
        assertEquals(4, ((Txn.Get) ((Txn.Nested) inner.failure().get(1)).txn().success().get(0)).revision());
        assertEquals(3, decoded.depth());
        assertEquals(4, decoded.maxReadRevision());
    }

    @Test
    void everyTruncationOfASecondFormatTransactionIsRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Transaction(nestedShapes()));
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(truncated), "length " + length);
        }
    }

    @Test
    void aFirstFormatTransactionWrittenInTheSecondIsRejected() {
        // Every transaction has one encoding, so that idempotency fingerprints are canonical.
        ByteBuffer body = ByteBuffer.allocate(2 + 12).put(CommandCodec.FORMAT_VERSION)
                .put(CommandCodec.TYPE_TXN_SECOND_FORMAT).putInt(0).putInt(0).putInt(0);
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(body.array()));
    }

    /** A chain of {@code depth} transactions, each the only success op of the one around it, as raw bytes. */
    private static byte[] nestedChain(int depth) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + depth * 13);
        buffer.put(CommandCodec.FORMAT_VERSION).put(CommandCodec.TYPE_TXN_SECOND_FORMAT);
        for (int level = 1; level < depth; level++) {
            buffer.putInt(0).putInt(1).put((byte) 9);
        }
        buffer.putInt(0).putInt(0).putInt(0);
        for (int level = 1; level < depth; level++) {
            buffer.putInt(0);
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    @Test
    void nestingIsBoundedInTheModelAndTheCodec() {
        Txn txn = assertInstanceOf(Command.Transaction.class,
                CommandCodec.decode(nestedChain(Txn.MAX_NESTING_DEPTH))).txn();
        assertEquals(Txn.MAX_NESTING_DEPTH, txn.depth());
        assertThrows(IllegalArgumentException.class, () -> new Txn(List.of(), List.of(new Txn.Nested(txn)), List.of()));
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(nestedChain(Txn.MAX_NESTING_DEPTH + 1)));
        // Far deeper than any stack would take if the decoder recursed without a bound.
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(nestedChain(100_000)));
    }

    @Test
    void hostileSecondFormatFieldsAreRejected() {
        byte[] encoded = CommandCodec.encode(new Command.Transaction(new Txn(List.of(), List.of(
                new Txn.Put(bytes("k"), new byte[0], 0, true, false)), List.of())));
        // header 2, compares 4, success count 4, op type 1, key 4+1, value 4+0, lease 8, then the flags byte.
        int flagsAt = 2 + 4 + 4 + 1 + 5 + 4 + 8;
        assertEquals(1, encoded[flagsAt]);
        byte[] noFlags = encoded.clone();
        noFlags[flagsAt] = 0;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(noFlags));
        byte[] unknownFlag = encoded.clone();
        unknownFlag[flagsAt] = 4;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(unknownFlag));
        byte[] unknownOp = encoded.clone();
        unknownOp[2 + 4 + 4] = 42;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(unknownOp));
        // The first format does not know the second's op types.
        byte[] firstWithNewOp = encoded.clone();
        firstWithNewOp[1] = CommandCodec.TYPE_TXN;
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(firstWithNewOp));
    }

    @Test
    void nestedResultsAndRefusalsRoundTripInTheIdempotencyTable() {
        KvEntry a = new KvEntry(bytes("a"), bytes("1"), 5, 5, 1, 0);
        TxnRunner.OpResult nested = new TxnRunner.OpResult.Txn(false, List.of(new TxnRunner.OpResult.Get(List.of(a),
                false), new TxnRunner.OpResult.Txn(true, List.of(new TxnRunner.OpResult.Delete(List.of(a))))));
        KvResult.TxnDone done = new KvResult.TxnDone(5, new TxnRunner.Outcome(true,
                List.of(new TxnRunner.OpResult.Put(a, null), nested), List.of(), Map.of()));
        KvResult.TxnDone decoded = assertInstanceOf(KvResult.TxnDone.class,
                ResultCodec.decode(ResultCodec.encode(done), 5));
        TxnRunner.OpResult.Txn inner = assertInstanceOf(TxnRunner.OpResult.Txn.class, decoded.outcome().results().get(1));
        assertFalse(inner.succeeded());
        TxnRunner.OpResult.Txn innermost = assertInstanceOf(TxnRunner.OpResult.Txn.class, inner.results().get(1));
        assertTrue(innermost.succeeded());
        assertEquals(1, ((TxnRunner.OpResult.Delete) innermost.results().get(0)).deleted().size());

        KvResult.TxnKeyNotFound missing = assertInstanceOf(KvResult.TxnKeyNotFound.class,
                ResultCodec.decode(ResultCodec.encode(new KvResult.TxnKeyNotFound(6, bytes("k"))), 6));
        assertEquals("k", text(missing.key()));
        KvResult.TxnRevisionUnavailable unavailable = assertInstanceOf(KvResult.TxnRevisionUnavailable.class,
                ResultCodec.decode(ResultCodec.encode(new KvResult.TxnRevisionUnavailable(7,
                        RevisionUnavailableException.Reason.COMPACTED, 2, 4, 6)), 7));
        assertEquals(RevisionUnavailableException.Reason.COMPACTED, unavailable.reason());
        assertEquals(2, unavailable.revision());
        assertEquals(4, unavailable.compactRevision());
        assertEquals(6, unavailable.currentRevision());
    }
}
