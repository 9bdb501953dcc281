package io.rafty.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * Records the simulated clients' operations into a {@link History} (times are simulated
 * microseconds) and checks it with the {@link LinearizabilityChecker}. A check that runs out of
 * its deterministic step budget is reported as a failure too: "unknown" is not a pass.
 */
final class CheckedRecorder implements ClientRecorder {

    private final History history = new History();
    private final List<History.Call> calls = new ArrayList<>();
    private final List<ClientCommand> commands = new ArrayList<>();

    @Override
    public int invoke(int clientId, long timeMicros, ClientCommand command) {
        KvInput input = switch (command.kind()) {
            case PUT -> new KvInput.Put(command.key(), command.value());
            case GET -> new KvInput.Get(command.key());
            case DELETE -> new KvInput.Delete(command.key());
            case CAS -> new KvInput.Cas(command.key(), command.expected(), command.value());
        };
        calls.add(history.invoke(clientId, timeMicros, input));
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
        };
        history.ok(calls.get(call), timeMicros, output);
    }

    @Override
    public void fail(int call, long timeMicros) {
        history.fail(calls.get(call), timeMicros);
    }

    @Override
    public void unknown(int call) {
        history.unknown(calls.get(call));
    }

    @Override
    public String check() {
        CheckResult result = LinearizabilityChecker.check(history, Budget.DEFAULT);
        return result.isLinearizable() ? null : result.explanation();
    }

    @Override
    public int operationCount() {
        return calls.size();
    }
}
