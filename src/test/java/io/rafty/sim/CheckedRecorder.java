package io.rafty.sim;

import io.rafty.check.Budget;
import io.rafty.check.CheckResult;
import io.rafty.check.History;
import io.rafty.check.KvInput;
import io.rafty.check.KvOutput;
import io.rafty.check.LinearizabilityChecker;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the simulated clients' operations (times are simulated microseconds) and checks them: key
 * operations go into a {@link History} for the per-key {@link LinearizabilityChecker}; transactions,
 * whose keys cannot be checked apart, into a {@link TxnHistory} for {@link TxnSearch}, which checks
 * their whole key group as one object. A check that runs out of its deterministic step budget is
 * reported as a failure too: "unknown" is not a pass.
 */
final class CheckedRecorder implements ClientRecorder {

    /**
     * Steps the transaction search may take (a linearizable history of a few hundred needs far fewer);
     * {@code -Dsim.txnSteps=N} raises it to tell a history that is merely hard from a violation.
     */
    static final long TXN_SEARCH_MAX_STEPS = Long.getLong("sim.txnSteps", 20_000_000);

    private final History history = new History();
    private final TxnHistory txnHistory = new TxnHistory();
    /** Per call: its {@link History.Call}, or null for a transaction. */
    private final List<History.Call> calls = new ArrayList<>();
    /** Per call: its handle in {@link #txnHistory}, or -1 for a key operation. */
    private final List<Integer> txnCalls = new ArrayList<>();
    private final List<ClientCommand> commands = new ArrayList<>();

    @Override
    public int invoke(int clientId, long timeMicros, ClientCommand command) {
        KvInput input = switch (command.kind()) {
            case PUT -> new KvInput.Put(command.key(), command.value());
            case GET -> new KvInput.Get(command.key());
            case DELETE -> new KvInput.Delete(command.key());
            case CAS -> new KvInput.Cas(command.key(), command.expected(), command.value());
            case TXN -> null;
        };
        calls.add(input == null ? null : history.invoke(clientId, timeMicros, input));
        txnCalls.add(input == null ? txnHistory.invoke(clientId, timeMicros, command.txn()) : -1);
        commands.add(command);
        return calls.size() - 1;
    }

    @Override
    public void ok(int call, long timeMicros, KvAnswer answer) {
        KvOutput output = switch (commands.get(call).kind()) {
            case PUT -> new KvOutput.PutOk();
            case GET -> new KvOutput.GetResult(answer.value());
            case DELETE -> new KvOutput.DeleteResult(answer.flag());
            case CAS -> new KvOutput.CasResult(answer.flag());
            case TXN -> null;
        };
        if (output == null) {
            txnHistory.ok(txnCalls.get(call), timeMicros, answer.txn());
        } else {
            history.ok(calls.get(call), timeMicros, output);
        }
    }

    @Override
    public void fail(int call, long timeMicros) {
        if (calls.get(call) == null) {
            txnHistory.fail(txnCalls.get(call), timeMicros);
        } else {
            history.fail(calls.get(call), timeMicros);
        }
    }

    @Override
    public void unknown(int call) {
        if (calls.get(call) == null) {
            txnHistory.unknown(txnCalls.get(call));
        } else {
            history.unknown(calls.get(call));
        }
    }

    @Override
    public String check() {
        CheckResult result = LinearizabilityChecker.check(history, Budget.DEFAULT);
        if (!result.isLinearizable()) {
            return result.explanation();
        }
        if (txnHistory.size() == 0) {
            return null;
        }
        CheckResult.KeyResult txns = TxnSearch.check(txnHistory.operations(), TXN_SEARCH_MAX_STEPS);
        return txns.verdict() == CheckResult.Verdict.LINEARIZABLE ? null
                : "transactions are " + txns.verdict().description() + ": " + txns.explanation();
    }

    @Override
    public int operationCount() {
        return calls.size();
    }
}
