package io.rafty.sim;

import io.rafty.kv.Command;
import io.rafty.kv.CommandCodec;
import io.rafty.kv.KvEntry;
import io.rafty.kv.KvResult;
import io.rafty.kv.KeySelector;
import io.rafty.kv.Precondition;
import io.rafty.kv.Txn;
import io.rafty.kv.TxnRunner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Translates the simulated clients' string commands to the real {@link Command} bytes and back. */
final class KvCommands {

    static final long IDEMPOTENCY_WINDOW_REVISIONS = 1_000_000;

    private KvCommands() {
    }

    static byte[] encode(ClientCommand command) {
        byte[] key = bytes(command.key());
        Command encoded = switch (command.kind()) {
            case PUT -> new Command.Put(key, bytes(command.value()), Precondition.NONE);
            case DELETE -> new Command.Delete(key, Precondition.NONE);
            case CAS -> new Command.Put(key, bytes(command.value()), command.expected() == null
                    ? new Precondition(null, null, false)
                    : new Precondition(bytes(command.expected()), null, null));
            case TXN -> new Command.Transaction(txn(command.txn()));
            case GET -> throw new IllegalArgumentException("a get is not a log command");
        };
        if (command.idempotencyKey() != null) {
            // A window far beyond any run's revisions: every retry of a simulated client falls within it.
            encoded = new Command.Idempotent(bytes(command.idempotencyKey()), IDEMPOTENCY_WINDOW_REVISIONS, encoded);
        }
        return CommandCodec.encode(encoded);
    }

    /** The real transaction a simulated one stands for: value compares, key puts, deletes and gets. */
    static Txn txn(TxnInput input) {
        List<Txn.Compare> compares = new ArrayList<>();
        for (TxnCompare compare : input.compares()) {
            compares.add(compare.expected() == null
                    ? Txn.Compare.number(bytes(compare.key()), Txn.Target.EXISTS, Txn.Operator.EQUAL, 0)
                    : Txn.Compare.value(bytes(compare.key()), Txn.Operator.EQUAL, bytes(compare.expected())));
        }
        return new Txn(compares, ops(input.success()), ops(input.failure()));
    }

    private static List<Txn.Op> ops(List<TxnOp> ops) {
        List<Txn.Op> real = new ArrayList<>();
        for (TxnOp op : ops) {
            KeySelector key = KeySelector.key(bytes(op.key()));
            real.add(op instanceof TxnOp.Put put ? new Txn.Put(bytes(put.key()), bytes(put.value()), 0)
                    : op instanceof TxnOp.Delete ? new Txn.Delete(key) : new Txn.Get(key, 1));
        }
        return real;
    }

    /** What a transaction answered, as the simulated client sees it: the branch, and what its gets read. */
    static KvAnswer txnAnswer(KvResult.TxnDone done) {
        List<String> reads = new ArrayList<>();
        for (TxnRunner.OpResult result : done.outcome().results()) {
            if (result instanceof TxnRunner.OpResult.Get get) {
                reads.add(get.entries().isEmpty() ? null : value(get.entries().get(0)));
            }
        }
        boolean succeeded = done.outcome().succeeded();
        return new KvAnswer(null, succeeded, new TxnOutput(succeeded, reads));
    }

    /** The client-visible answer of an applied command, whatever kind it was. */
    static KvAnswer answer(KvResult result) {
        if (result instanceof KvResult.Written written) {
            return new KvAnswer(null, true);
        }
        if (result instanceof KvResult.Deleted) {
            return new KvAnswer(null, true);
        }
        if (result instanceof KvResult.TxnDone done) {
            return txnAnswer(done);
        }
        if (result instanceof KvResult.Replayed replayed) {
            return answer(replayed.original()).asReplayed();
        }
        if (result instanceof KvResult.IdempotencyKeyReused reused) {
            // Every simulated client sends one request per key: a refusal means the table lost track of one.
            throw new InvariantViolation("idempotency key " + new String(reused.key(), StandardCharsets.UTF_8)
                    + " was refused as reused at index " + reused.index() + " (first used at "
                    + reused.firstRevision() + ")");
        }
        return new KvAnswer(null, false);
    }

    static String value(KvEntry entry) {
        return entry == null ? null : new String(entry.value(), StandardCharsets.UTF_8);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
